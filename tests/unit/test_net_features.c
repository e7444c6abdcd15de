// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <linux/if_tun.h>
#include <string.h>

#include "devices/net/net_features.h"
#include "vhost/tap.h"

#define B(n) (1ULL << (n))

Test(net_features, offered_features)
{
	uint64_t split = virtio_net_offered_features(false, 1);
	uint64_t packed = virtio_net_offered_features(true, 1);

	cr_assert(split & B(VIRTIO_NET_F_MAC));
	cr_assert(split & B(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(split & B(VIRTIO_NET_F_GUEST_TSO4));
	cr_assert(split & B(VIRTIO_F_VERSION_1));
	cr_assert(split & B(VIRTIO_RING_F_EVENT_IDX));
	cr_assert_not(split & B(VIRTIO_F_RING_PACKED));
	cr_assert(packed & B(VIRTIO_F_RING_PACKED));
	cr_assert(virtio_net_features_valid(packed), "what we offer is self-consistent");
}

/* --no-event-idx, --no-mrg-rxbuf: exactly those bits leave the offer. */
Test(net_features, device_features_less_what_was_turned_off)
{
	uint64_t all = virtio_net_device_features(true, 2, 0);
	uint64_t off;

	cr_assert(all & B(VIRTIO_RING_F_EVENT_IDX));
	cr_assert(all & B(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(all & B(VIRTIO_F_VERSION_1));
	cr_assert(all & B(VIRTIO_NET_F_MQ));
	off = virtio_net_device_features(true, 2, B(VIRTIO_RING_F_EVENT_IDX));
	cr_assert_eq(off, all & ~B(VIRTIO_RING_F_EVENT_IDX));
	off = virtio_net_device_features(true, 2, B(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert_eq(off, all & ~B(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(virtio_net_features_valid(off), "no mrg_rxbuf is still a valid offer");
	off = virtio_net_device_features(false, 1, B(VIRTIO_RING_F_EVENT_IDX) | B(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert_not(off & (B(VIRTIO_RING_F_EVENT_IDX) | B(VIRTIO_NET_F_MRG_RXBUF) |
			     B(VIRTIO_F_RING_PACKED) | B(VIRTIO_NET_F_MQ)));
	cr_assert(off & B(VIRTIO_NET_F_GUEST_TSO4), "the rest of the offer stays");
}

/* The report names what the command line turned off. */
Test(net_features, report_names_what_the_command_line_turned_off)
{
	struct net_negotiation n = {
		.driver_features = B(VIRTIO_F_VERSION_1),
		.rx_size = 256, .tx_size = 256,
		.features_off = B(VIRTIO_RING_F_EVENT_IDX) | B(VIRTIO_NET_F_MRG_RXBUF),
	};
	char buf[1024];

	net_negotiation_report(&n, buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, "tinyvmm: virtio-net: not offered (command line): mrg_rxbuf event_idx\n"),
			   "%s", buf);
	n.features_off = 0;
	net_negotiation_report(&n, buf, sizeof(buf));
	cr_assert_null(strstr(buf, "not offered (command line)"), "%s", buf);
}

Test(net_features, tun_offloads_follow_guest_features)
{
	cr_assert_eq(virtio_net_tun_offloads(0), 0);
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_GUEST_TSO4)), 0,
		     "TSO without checksum offload is meaningless");
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_GUEST_CSUM)), TUN_F_CSUM);
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_TSO4) |
					     B(VIRTIO_NET_F_GUEST_TSO6)),
		     TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_TSO4) |
					     B(VIRTIO_NET_F_GUEST_ECN)),
		     TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN);
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_ECN)),
		     TUN_F_CSUM, "ECN only with TSO");
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_HOST_TSO4) | B(VIRTIO_NET_F_CSUM)), 0,
		     "host-side offloads are not TAP offloads");
}

Test(net_features, udp_segmentation_only_where_the_tap_takes_it)
{
	uint64_t uso = B(VIRTIO_NET_F_GUEST_USO4) | B(VIRTIO_NET_F_GUEST_USO6) |
		       B(VIRTIO_NET_F_HOST_USO);
	uint64_t ufo = B(VIRTIO_NET_F_GUEST_UFO) | B(VIRTIO_NET_F_HOST_UFO);

	cr_assert_eq(virtio_net_udp_gso_features(0), 0);
	cr_assert_eq(virtio_net_udp_gso_features(TUN_F_UFO), ufo);
	cr_assert_eq(virtio_net_udp_gso_features(TUN_F_USO4 | TUN_F_USO6), uso);
	cr_assert_eq(virtio_net_udp_gso_features(TUN_F_USO4), 0, "both families or neither");
	cr_assert_eq(virtio_net_udp_gso_features(TUN_F_UFO | TUN_F_USO4 | TUN_F_USO6), ufo | uso);
	cr_assert(virtio_net_features_valid(virtio_net_offered_features(true, 2) | ufo | uso));
	cr_assert_not(virtio_net_offered_features(true, 4) & (ufo | uso),
		      "never offered without asking the TAP");
	/* GUEST_* decide the TAP's offloads; HOST_* never do. */
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_UFO)),
		     TUN_F_CSUM | TUN_F_UFO);
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_USO4) |
					     B(VIRTIO_NET_F_GUEST_USO6)),
		     TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6);
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_HOST_USO)),
		     TUN_F_CSUM);
	cr_assert_eq(virtio_net_tun_offloads(B(VIRTIO_NET_F_GUEST_USO4)), 0, "USO needs GUEST_CSUM");
}

Test(net_features, feature_dependencies)
{
	cr_assert(virtio_net_features_valid(0));
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_GUEST_TSO4)));
	cr_assert(virtio_net_features_valid(B(VIRTIO_NET_F_GUEST_TSO4) | B(VIRTIO_NET_F_GUEST_CSUM)));
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_HOST_TSO6)));
	cr_assert(virtio_net_features_valid(B(VIRTIO_NET_F_HOST_TSO6) | B(VIRTIO_NET_F_CSUM)));
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_ECN)));
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_CSUM) | B(VIRTIO_NET_F_HOST_ECN)));
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_GUEST_USO4)));
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_HOST_USO)));
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_HOST_UFO)));
	cr_assert(virtio_net_features_valid(B(VIRTIO_NET_F_HOST_USO) | B(VIRTIO_NET_F_CSUM)));
}

/* Each GUEST_* offload the driver accepts and the TUN_F_* flag it turns on. */
static const struct { unsigned int feature; unsigned int tun; } guest_offloads[] = {
	{ VIRTIO_NET_F_GUEST_TSO4, TUN_F_TSO4 }, { VIRTIO_NET_F_GUEST_TSO6, TUN_F_TSO6 },
	{ VIRTIO_NET_F_GUEST_ECN, TUN_F_TSO_ECN }, { VIRTIO_NET_F_GUEST_UFO, TUN_F_UFO },
	{ VIRTIO_NET_F_GUEST_USO4, TUN_F_USO4 }, { VIRTIO_NET_F_GUEST_USO6, TUN_F_USO6 },
};
#define N_GUEST_OFFLOADS (sizeof(guest_offloads) / sizeof(guest_offloads[0]))

static uint64_t guest_set(unsigned int mask)
{
	uint64_t f = 0;

	for (unsigned int i = 0; i < N_GUEST_OFFLOADS; i++)
		if (mask & (1u << i))
			f |= B(guest_offloads[i].feature);
	return f;
}

Test(net_features, every_consistent_guest_set_maps_to_exactly_its_tap_offloads)
{
	uint64_t host = B(VIRTIO_NET_F_CSUM) | B(VIRTIO_NET_F_HOST_TSO4) |
			B(VIRTIO_NET_F_HOST_TSO6) | B(VIRTIO_NET_F_HOST_ECN) |
			B(VIRTIO_NET_F_HOST_UFO) | B(VIRTIO_NET_F_HOST_USO);
	unsigned int valid = 0;

	for (unsigned int mask = 0; mask < (1u << N_GUEST_OFFLOADS); mask++) {
		uint64_t f = guest_set(mask) | B(VIRTIO_NET_F_GUEST_CSUM);
		unsigned int t = virtio_net_tun_offloads(f);

		cr_assert_eq(virtio_net_tun_offloads(f | host), t,
			     "HOST_* features changed the TAP offloads of set %#x", mask);
		cr_assert_eq(virtio_net_tun_offloads(guest_set(mask)), 0,
			     "set %#x without GUEST_CSUM must turn nothing on", mask);
		if (!virtio_net_features_valid(f))
			continue;
		valid++;
		cr_assert(t & TUN_F_CSUM, "set %#x", mask);
		for (unsigned int i = 0; i < N_GUEST_OFFLOADS; i++)
			cr_assert_eq(!!(t & guest_offloads[i].tun), !!(mask & (1u << i)),
				     "set %#x: feature %u and TUN flag %#x disagree", mask,
				     guest_offloads[i].feature, guest_offloads[i].tun);
	}
	/* 64 sets; the 8 with ECN but neither TSO4 nor TSO6 are refused. */
	cr_assert_eq(valid, 56);
}

Test(net_features, tap_offloads_of_named_sets)
{
	uint64_t csum = B(VIRTIO_NET_F_GUEST_CSUM);

	cr_assert_eq(virtio_net_tun_offloads(csum | B(VIRTIO_NET_F_GUEST_TSO6) |
					     B(VIRTIO_NET_F_GUEST_ECN)),
		     TUN_F_CSUM | TUN_F_TSO6 | TUN_F_TSO_ECN);
	cr_assert_eq(virtio_net_tun_offloads(virtio_net_offered_features(false, 1)),
		     TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
		     "all we offer without UDP segmentation");
	cr_assert_eq(virtio_net_tun_offloads(virtio_net_offered_features(false, 1) |
					     virtio_net_udp_gso_features(TUN_F_UFO | TUN_F_USO4 |
									 TUN_F_USO6)),
		     TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_UFO |
		     TUN_F_USO4 | TUN_F_USO6);
}

Test(net_features, each_dependency_rule_refuses_its_feature_alone)
{
	/* virtio 1.2 §5.1.3.1: feature, and one set that satisfies its requirement. */
	static const struct { unsigned int feature; uint64_t needs; } rules[] = {
		{ VIRTIO_NET_F_GUEST_TSO4, B(VIRTIO_NET_F_GUEST_CSUM) },
		{ VIRTIO_NET_F_GUEST_TSO6, B(VIRTIO_NET_F_GUEST_CSUM) },
		{ VIRTIO_NET_F_GUEST_UFO, B(VIRTIO_NET_F_GUEST_CSUM) },
		{ VIRTIO_NET_F_GUEST_USO4, B(VIRTIO_NET_F_GUEST_CSUM) },
		{ VIRTIO_NET_F_GUEST_USO6, B(VIRTIO_NET_F_GUEST_CSUM) },
		{ VIRTIO_NET_F_GUEST_ECN, B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_TSO4) },
		{ VIRTIO_NET_F_GUEST_ECN, B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_TSO6) },
		{ VIRTIO_NET_F_HOST_TSO4, B(VIRTIO_NET_F_CSUM) },
		{ VIRTIO_NET_F_HOST_TSO6, B(VIRTIO_NET_F_CSUM) },
		{ VIRTIO_NET_F_HOST_UFO, B(VIRTIO_NET_F_CSUM) },
		{ VIRTIO_NET_F_HOST_USO, B(VIRTIO_NET_F_CSUM) },
		{ VIRTIO_NET_F_HOST_ECN, B(VIRTIO_NET_F_CSUM) | B(VIRTIO_NET_F_HOST_TSO4) },
		{ VIRTIO_NET_F_HOST_ECN, B(VIRTIO_NET_F_CSUM) | B(VIRTIO_NET_F_HOST_TSO6) },
	};

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		uint64_t f = B(rules[i].feature);

		cr_assert(virtio_net_features_valid(rules[i].needs), "rule %zu", i);
		cr_assert(virtio_net_features_valid(f | rules[i].needs), "rule %zu", i);
		cr_assert_not(virtio_net_features_valid(f), "feature %u alone", rules[i].feature);
		/* Each bit of the requirement on its own is not enough. */
		for (unsigned int bit = 0; bit < 64; bit++)
			if ((rules[i].needs & B(bit)) && rules[i].needs != B(bit))
				cr_assert_not(virtio_net_features_valid(f | B(bit)),
					      "rule %zu with bit %u only", i, bit);
	}
	/* The other family's checksum does not count: guest and host sides are apart. */
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_GUEST_TSO4) | B(VIRTIO_NET_F_CSUM)));
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_HOST_TSO4) |
						B(VIRTIO_NET_F_GUEST_CSUM)));
	cr_assert_not(virtio_net_features_valid(B(VIRTIO_NET_F_GUEST_CSUM) |
						B(VIRTIO_NET_F_GUEST_ECN) |
						B(VIRTIO_NET_F_HOST_TSO4) | B(VIRTIO_NET_F_CSUM)));
}

Test(net_features, everything_offered_is_consistent)
{
	uint64_t udp = virtio_net_udp_gso_features(TUN_F_UFO | TUN_F_USO4 | TUN_F_USO6);

	for (unsigned int pairs = 1; pairs <= 16; pairs++) {
		for (int packed = 0; packed <= 1; packed++) {
			uint64_t f = virtio_net_offered_features(packed, pairs);

			cr_assert(virtio_net_features_valid(f), "%u pairs, packed %d", pairs, packed);
			cr_assert(virtio_net_features_valid(f | udp), "%u pairs", pairs);
			cr_assert_eq(!!(f & B(VIRTIO_NET_F_MQ)), pairs > 1, "%u pairs", pairs);
			cr_assert_eq(!!(f & B(VIRTIO_NET_F_CTRL_VQ)), pairs > 1,
				     "MQ comes with its control queue (%u pairs)", pairs);
		}
	}
}

Test(net_features, header_length)
{
	cr_assert_eq(virtio_net_hdr_len(B(VIRTIO_F_VERSION_1)), 12);
	cr_assert_eq(virtio_net_hdr_len(B(VIRTIO_NET_F_MRG_RXBUF)), 12, "legacy with num_buffers");
	cr_assert_eq(virtio_net_hdr_len(B(VIRTIO_NET_F_CSUM)), 10, "legacy without it");
	cr_assert_eq(virtio_net_hdr_len(0), 10);
}

Test(net_features, feature_names)
{
	uint64_t every = virtio_net_offered_features(true, 2) |
			 virtio_net_udp_gso_features(TUN_F_UFO | TUN_F_USO4 | TUN_F_USO6);

	cr_assert_str_eq(virtio_net_feature_name(VIRTIO_NET_F_MRG_RXBUF), "mrg_rxbuf");
	cr_assert_str_eq(virtio_net_feature_name(VIRTIO_NET_F_HOST_USO), "host_uso");
	cr_assert_str_eq(virtio_net_feature_name(VIRTIO_F_RING_PACKED), "ring_packed");
	cr_assert_null(virtio_net_feature_name(VIRTIO_NET_F_CTRL_RX), "never offered, no name");
	cr_assert_null(virtio_net_feature_name(63));
	/* Every bit we can offer has a name, and no two share one. */
	for (unsigned int a = 0; a < 64; a++) {
		if (every & B(a))
			cr_assert_not_null(virtio_net_feature_name(a), "bit %u", a);
		for (unsigned int b = a + 1; b < 64 && virtio_net_feature_name(a); b++)
			if (virtio_net_feature_name(b))
				cr_assert_str_neq(virtio_net_feature_name(a),
						  virtio_net_feature_name(b));
	}
}

Test(net_features, why_packed_is_not_offered)
{
	uint64_t with = B(VIRTIO_F_RING_PACKED);

	cr_assert_null(net_packed_not_offered(false, 0, false), "--no-packed: nothing to explain");
	cr_assert_null(net_packed_not_offered(true, with, false));
	cr_assert_str_eq(net_packed_not_offered(true, 0, false),
			 "vhost-net has no packed ring support; split ring in use");
	cr_assert_str_eq(net_packed_not_offered(true, 0, true),
			 "legacy virtio-mmio has no packed ring (--virtio-mmio modern has); split ring in use");
}

Test(net_features, report_for_tier_2)
{
	struct net_negotiation n = {
		.driver_features = B(VIRTIO_F_VERSION_1) | B(VIRTIO_NET_F_MRG_RXBUF) |
				   B(VIRTIO_F_RING_PACKED) | B(VIRTIO_NET_F_CSUM) | B(60),
		.rx_size = 256, .tx_size = 1024, .packed_asked = true,
	};
	char buf[1024];

	net_negotiation_report(&n, buf, sizeof(buf));
	cr_assert_str_eq(buf,
		"tinyvmm: virtio-net: driver ready: packed ring, rx/tx queue size 256/1024, backend userspace\n"
		"tinyvmm: virtio-net: features in effect: csum mrg_rxbuf version_1 ring_packed\n");
	n.irq_direct = true;	/* no meaning without vhost: not reported */
	net_negotiation_report(&n, buf, sizeof(buf));
	cr_assert_null(strstr(buf, "interrupts"), "%s", buf);
}

Test(net_features, report_for_vhost_and_legacy)
{
	struct net_negotiation n = {
		.driver_features = B(VIRTIO_NET_F_MAC), .rx_size = 256, .tx_size = 256,
		.vhost = true, .irq_direct = true, .packed_asked = true,
		.packed_not_offered = net_packed_not_offered(true, 0, false),
	};
	char buf[1024];

	net_negotiation_report(&n, buf, sizeof(buf));
	cr_assert_str_eq(buf,
		"tinyvmm: virtio-net: driver ready: split ring, rx/tx queue size 256/256, backend vhost-net, interrupts irqfd-direct\n"
		"tinyvmm: virtio-net: features in effect: mac\n"
		"tinyvmm: virtio-net: packed ring not offered: vhost-net has no packed ring support; split ring in use\n");
	n.irq_direct = false;
	n.legacy = true;
	n.packed_not_offered = NULL;
	net_negotiation_report(&n, buf, sizeof(buf));
	cr_assert_str_eq(buf,
		"tinyvmm: virtio-net: driver ready: split ring, rx/tx queue size 256/256, backend vhost-net, interrupts relayed, legacy interface (virtio-mmio version 1, 10-byte header)\n"
		"tinyvmm: virtio-net: features in effect: mac\n"
		"tinyvmm: virtio-net: packed ring offered but the driver chose split\n");
	n.packed_asked = false;
	net_negotiation_report(&n, buf, sizeof(buf));
	cr_assert_null(strstr(buf, "packed ring"), "--no-packed: %s", buf);
}

Test(net_features, report_is_cut_not_overrun)
{
	struct net_negotiation n = {
		.driver_features = ~0ULL, .rx_size = 1024, .tx_size = 1024, .vhost = true,
		.packed_asked = true, .packed_not_offered = "x",
	};
	char full[1024], small[40];

	net_negotiation_report(&n, full, sizeof(full));
	memset(small, 'Z', sizeof(small));
	net_negotiation_report(&n, small, 33);
	cr_assert_eq(strlen(small), 32);
	cr_assert_eq(strncmp(small, full, 32), 0);
	cr_assert_eq(small[34], 'Z', "wrote past the size given");
}

Test(net_features, default_mac_is_stable_unicast_and_local)
{
	uint8_t a[6], b[6], c[6];

	virtio_net_default_mac("tap0", a);
	virtio_net_default_mac("tap0", b);
	virtio_net_default_mac("tap1", c);
	cr_assert_arr_eq(a, b, 6);
	cr_assert_arr_neq(a, c, 6);
	cr_assert_eq(a[0] & 1, 0, "unicast");
	cr_assert_eq(a[0] & 2, 2, "locally administered");
}

Test(net_features, parse_mac)
{
	uint8_t m[6];

	cr_assert_eq(virtio_net_parse_mac("02:00:0a:0B:fe:ff", m), 0);
	cr_assert_eq(m[2], 0x0a);
	cr_assert_eq(m[3], 0x0b);
	cr_assert_eq(m[5], 0xff);
	cr_assert_eq(virtio_net_parse_mac("03:00:00:00:00:00", m), -1, "multicast");
	cr_assert_eq(virtio_net_parse_mac("02:00:00:00:00", m), -1);
	cr_assert_eq(virtio_net_parse_mac("02:00:00:00:00:00:00", m), -1);
	cr_assert_eq(virtio_net_parse_mac("02-00-00-00-00-00", m), -1);
	cr_assert_eq(virtio_net_parse_mac("zz:00:00:00:00:00", m), -1);
	cr_assert_eq(virtio_net_parse_mac("", m), -1);
}
