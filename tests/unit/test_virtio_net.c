// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <linux/if_tun.h>

#include "devices/net/virtio_net.h"
#include "vhost/tap.h"

#define B(n) (1ULL << (n))

Test(virtio_net, offered_features)
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
Test(virtio_net, device_features_less_what_was_turned_off)
{
	struct net_options opts = { .packed = true };
	uint64_t all = virtio_net_device_features(&opts, 2);
	uint64_t off;

	cr_assert(all & B(VIRTIO_RING_F_EVENT_IDX));
	cr_assert(all & B(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(all & B(VIRTIO_F_VERSION_1));
	cr_assert(all & B(VIRTIO_NET_F_MQ));
	opts.features_off = B(VIRTIO_RING_F_EVENT_IDX);
	off = virtio_net_device_features(&opts, 2);
	cr_assert_eq(off, all & ~B(VIRTIO_RING_F_EVENT_IDX));
	opts.features_off = B(VIRTIO_NET_F_MRG_RXBUF);
	off = virtio_net_device_features(&opts, 2);
	cr_assert_eq(off, all & ~B(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(virtio_net_features_valid(off), "no mrg_rxbuf is still a valid offer");
	opts.features_off = B(VIRTIO_RING_F_EVENT_IDX) | B(VIRTIO_NET_F_MRG_RXBUF);
	opts.packed = false;
	off = virtio_net_device_features(&opts, 1);
	cr_assert_not(off & (B(VIRTIO_RING_F_EVENT_IDX) | B(VIRTIO_NET_F_MRG_RXBUF) |
			     B(VIRTIO_F_RING_PACKED) | B(VIRTIO_NET_F_MQ)));
	cr_assert(off & B(VIRTIO_NET_F_GUEST_TSO4), "the rest of the offer stays");
}

Test(virtio_net, tun_offloads_follow_guest_features)
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

Test(virtio_net, udp_segmentation_only_where_the_tap_takes_it)
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

Test(virtio_net, feature_dependencies)
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

Test(virtio_net, default_mac_is_stable_unicast_and_local)
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

Test(virtio_net, parse_mac)
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
