// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <endian.h>

#include "devices/net/net_ctrl.h"

static struct net_ctrl_cmd cmd;

static uint8_t parse(const uint8_t *buf, size_t len)
{
	return net_ctrl_parse(buf, len, 4, &cmd);
}

Test(net_ctrl, set_pairs_valid)
{
	uint8_t c[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 0 };

	cr_assert_eq(parse(c, sizeof(c)), VIRTIO_NET_OK);
	cr_assert_eq(cmd.action, NET_CTRL_SET_PAIRS);
	cr_assert_eq(cmd.pairs, 3);
}

Test(net_ctrl, set_pairs_out_of_range)
{
	uint8_t zero[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0, 0 };
	uint8_t five[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 5, 0 };
	uint8_t huge[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0, 0x80 };

	cr_assert_eq(parse(zero, sizeof(zero)), VIRTIO_NET_ERR);
	cr_assert_eq(parse(five, sizeof(five)), VIRTIO_NET_ERR, "above max_virtqueue_pairs");
	cr_assert_eq(parse(huge, sizeof(huge)), VIRTIO_NET_ERR);
	cr_assert_eq(cmd.action, NET_CTRL_NONE, "a refused command changes nothing");
}

Test(net_ctrl, set_pairs_truncated_or_padded)
{
	uint8_t shortc[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2 };
	uint8_t longc[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0, 0 };

	cr_assert_eq(parse(shortc, sizeof(shortc)), VIRTIO_NET_ERR);
	cr_assert_eq(parse(longc, sizeof(longc)), VIRTIO_NET_ERR);
}

Test(net_ctrl, rss_not_offered)
{
	uint8_t c[64] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG };

	cr_assert_eq(parse(c, sizeof(c)), VIRTIO_NET_ERR);
}

Test(net_ctrl, rx_modes_accepted)
{
	for (uint8_t m = VIRTIO_NET_CTRL_RX_PROMISC; m <= VIRTIO_NET_CTRL_RX_NOBCAST; m++) {
		uint8_t c[] = { VIRTIO_NET_CTRL_RX, m, 1 };

		cr_assert_eq(parse(c, sizeof(c)), VIRTIO_NET_OK, "mode %u", m);
		cr_assert_eq(cmd.action, NET_CTRL_NONE);
	}
	{
		uint8_t bad[] = { VIRTIO_NET_CTRL_RX, 9, 1 };
		uint8_t nodata[] = { VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC };

		cr_assert_eq(parse(bad, sizeof(bad)), VIRTIO_NET_ERR);
		cr_assert_eq(parse(nodata, sizeof(nodata)), VIRTIO_NET_ERR);
	}
}

Test(net_ctrl, mac_table_well_formed)
{
	/* 1 unicast + 2 multicast entries */
	uint8_t c[2 + 4 + 6 + 4 + 12] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, 1 };

	c[2 + 4 + 6] = 2;
	cr_assert_eq(parse(c, sizeof(c)), VIRTIO_NET_OK);
}

Test(net_ctrl, mac_table_hostile_counts)
{
	uint8_t c[2 + 8] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET };
	uint32_t huge = htole32(0xffffffff);

	memcpy(c + 2, &huge, 4);	/* claims 4 billion entries in 8 bytes */
	cr_assert_eq(parse(c, sizeof(c)), VIRTIO_NET_ERR);
	memset(c + 2, 0, 8);
	cr_assert_eq(parse(c, sizeof(c)), VIRTIO_NET_OK, "two empty tables");
	cr_assert_eq(parse(c, 2 + 4), VIRTIO_NET_ERR, "second table missing");
	{
		uint8_t trailing[2 + 8 + 1] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET };

		cr_assert_eq(parse(trailing, sizeof(trailing)), VIRTIO_NET_ERR, "trailing garbage");
	}
}

Test(net_ctrl, mac_addr_set)
{
	uint8_t ok[2 + 6] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, 2 };
	uint8_t bad[2 + 5] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET };

	cr_assert_eq(parse(ok, sizeof(ok)), VIRTIO_NET_OK);
	cr_assert_eq(parse(bad, sizeof(bad)), VIRTIO_NET_ERR);
}

Test(net_ctrl, vlan_and_announce)
{
	uint8_t add[] = { VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, 10, 0 };
	uint8_t badv[] = { VIRTIO_NET_CTRL_VLAN, 7, 10, 0 };
	uint8_t ann[] = { VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK };

	cr_assert_eq(parse(add, sizeof(add)), VIRTIO_NET_OK);
	cr_assert_eq(parse(badv, sizeof(badv)), VIRTIO_NET_ERR);
	cr_assert_eq(parse(ann, sizeof(ann)), VIRTIO_NET_OK);
}

Test(net_ctrl, unknown_class_and_short_header)
{
	uint8_t unk[] = { 99, 0 };
	uint8_t one[] = { VIRTIO_NET_CTRL_MQ };

	cr_assert_eq(parse(unk, sizeof(unk)), VIRTIO_NET_ERR);
	cr_assert_eq(parse(one, sizeof(one)), VIRTIO_NET_ERR);
	cr_assert_eq(parse(one, 0), VIRTIO_NET_ERR);
}

Test(net_ctrl, offered_features_with_mq)
{
	uint64_t f = virtio_net_offered_features(false, 4);

	cr_assert(f & (1ULL << VIRTIO_NET_F_MQ));
	cr_assert(f & (1ULL << VIRTIO_NET_F_CTRL_VQ));
	cr_assert_not(virtio_net_offered_features(false, 1) & (1ULL << VIRTIO_NET_F_MQ));
}
