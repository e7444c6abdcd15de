// SPDX-License-Identifier: MIT
/*
 * The feature arithmetic of Tier 1: what the guest is offered, what goes to
 * VHOST_SET_FEATURES and what goes to TUNSETOFFLOAD, for every combination
 * of what vhost-net offers and what the guest accepts.
 */
#include <criterion/criterion.h>
#include <linux/if_tun.h>

#include "devices/net/virtio_net.h"
#include "vhost/vhost_net.h"

#define B(n) (1ULL << (n))
#define VHOST_NET_F_VIRTIO_NET_HDR_BIT 27
#define ACCESS_PLATFORM_BIT 33
#define LOG_ALL_BIT 26

/* What Linux 6.1's vhost-net offers (measured in the emulated host). */
static const uint64_t linux61 = B(24) /* NOTIFY_ON_EMPTY */ | B(LOG_ALL_BIT) |
	B(VHOST_NET_F_VIRTIO_NET_HDR_BIT) | B(VIRTIO_RING_F_INDIRECT_DESC) |
	B(VIRTIO_RING_F_EVENT_IDX) | B(VIRTIO_NET_F_MRG_RXBUF) | B(VIRTIO_F_VERSION_1) |
	B(ACCESS_PLATFORM_BIT);

Test(vhost_features, guest_keeps_device_bits_loses_packed)
{
	uint64_t dev = virtio_net_offered_features(true, 4);
	uint64_t g = vhost_net_guest_features(dev, linux61);

	cr_assert_not(g & B(VIRTIO_F_RING_PACKED), "vhost-net has no packed ring");
	/* kvmtool ANDs these away under vhost; tinyvmm must keep them. */
	cr_assert(g & B(VIRTIO_NET_F_MAC));
	cr_assert(g & B(VIRTIO_NET_F_STATUS));
	cr_assert(g & B(VIRTIO_NET_F_CSUM));
	cr_assert(g & B(VIRTIO_NET_F_GUEST_CSUM));
	cr_assert(g & B(VIRTIO_NET_F_HOST_TSO4));
	cr_assert(g & B(VIRTIO_NET_F_GUEST_TSO6));
	cr_assert(g & B(VIRTIO_NET_F_MQ));
	cr_assert(g & B(VIRTIO_NET_F_CTRL_VQ));
	cr_assert(g & B(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(g & B(VIRTIO_RING_F_EVENT_IDX));
	cr_assert(g & B(VIRTIO_RING_F_INDIRECT_DESC));
	cr_assert(g & B(VIRTIO_F_VERSION_1));
	cr_assert_eq(g, dev & ~B(VIRTIO_F_RING_PACKED), "only the packed bit goes");
	cr_assert(virtio_net_features_valid(g));
}

Test(vhost_features, ring_bits_need_vhost_support)
{
	uint64_t dev = virtio_net_offered_features(false, 1);
	uint64_t old_vhost = B(VIRTIO_F_VERSION_1);	/* a vhost without EVENT_IDX etc. */
	uint64_t g = vhost_net_guest_features(dev, old_vhost);

	cr_assert_not(g & B(VIRTIO_RING_F_EVENT_IDX));
	cr_assert_not(g & B(VIRTIO_RING_F_INDIRECT_DESC));
	cr_assert_not(g & B(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(g & B(VIRTIO_NET_F_MAC), "device bits stay");
	cr_assert(g & B(VIRTIO_F_VERSION_1));
}

Test(vhost_features, backend_gets_only_ring_bits_and_mrg_rxbuf)
{
	uint64_t accepted = vhost_net_guest_features(virtio_net_offered_features(true, 2), linux61);
	uint64_t be = vhost_net_backend_features(accepted, linux61);

	cr_assert_eq(be, B(VIRTIO_RING_F_INDIRECT_DESC) | B(VIRTIO_RING_F_EVENT_IDX) |
			 B(VIRTIO_NET_F_MRG_RXBUF) | B(VIRTIO_F_VERSION_1));
	cr_assert_not(be & B(VHOST_NET_F_VIRTIO_NET_HDR_BIT), "vhost would add a second header");
	cr_assert_not(be & B(ACCESS_PLATFORM_BIT), "would switch vhost to IOTLB mode");
	cr_assert_not(be & B(LOG_ALL_BIT));
	cr_assert_not(be & B(VIRTIO_NET_F_MAC), "device bits are ours, not vhost's");
	cr_assert_not(be & B(VIRTIO_NET_F_MQ));
}

Test(vhost_features, every_subset_the_guest_may_accept)
{
	uint64_t offered = vhost_net_guest_features(virtio_net_offered_features(false, 2), linux61);
	uint64_t ring = B(VIRTIO_RING_F_INDIRECT_DESC) | B(VIRTIO_RING_F_EVENT_IDX) |
			B(VIRTIO_NET_F_MRG_RXBUF) | B(VIRTIO_F_VERSION_1);
	uint64_t bits[8];
	unsigned int n = 0;

	/* Walk all subsets of the interesting bits; each result must hold. */
	for (unsigned int b = 0; b < 64 && n < 8; b++)
		if ((offered & B(b)) && ((ring | B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_TSO4) |
					  B(VIRTIO_NET_F_GUEST_TSO6) | B(VIRTIO_NET_F_GUEST_ECN)) & B(b)))
			bits[n++] = B(b);
	for (unsigned int mask = 0; mask < (1U << n); mask++) {
		uint64_t acc = 0, be, tun;

		for (unsigned int i = 0; i < n; i++)
			if (mask & (1U << i))
				acc |= bits[i];
		be = vhost_net_backend_features(acc, linux61);
		tun = virtio_net_tun_offloads(acc);
		cr_assert_eq(be, acc & ring, "mask %u", mask);
		cr_assert_eq(!!(tun & TUN_F_CSUM), !!(acc & B(VIRTIO_NET_F_GUEST_CSUM)), "mask %u", mask);
		if (tun & (TUN_F_TSO4 | TUN_F_TSO6))
			cr_assert(tun & TUN_F_CSUM);
		if (!(acc & B(VIRTIO_NET_F_GUEST_CSUM)))
			cr_assert_eq(tun, 0);
	}
}
