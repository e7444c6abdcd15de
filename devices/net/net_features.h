/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_NET_FEATURES_H
#define TINYVMM_NET_FEATURES_H
/*
 * virtio-net policy as pure functions (no device state, no I/O): the
 * features the device offers, which accepted sets are consistent (virtio 1.2
 * §5.1.3.1), the TAP offloads and header length they mean, MAC addresses,
 * feature names and the negotiation report. virtio_net.c applies them.
 */
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* virtio 1.2 UDP segmentation offload bits; Debian 12's headers lack them. */
#ifndef VIRTIO_NET_F_GUEST_USO4
#define VIRTIO_NET_F_GUEST_USO4	54
#define VIRTIO_NET_F_GUEST_USO6	55
#define VIRTIO_NET_F_HOST_USO	56
#endif

/* Features the device offers (device-level and ring-level). */
uint64_t virtio_net_offered_features(bool packed, unsigned int queue_pairs);
/* The same less @features_off, the bits the command line turned off (--no-event-idx, ...). */
uint64_t virtio_net_device_features(bool packed, unsigned int queue_pairs, uint64_t features_off);
/* UFO/USO feature bits to add for a TAP that takes @tap_offloads. */
uint64_t virtio_net_udp_gso_features(unsigned int tap_offloads);
/* TUN_F_* offloads matching the guest's accepted GUEST_* features. */
unsigned int virtio_net_tun_offloads(uint64_t features);
/*
 * Bytes of virtio-net header before each frame for negotiated @features:
 * 12 with VERSION_1 or MRG_RXBUF, else 10 (a legacy driver; §5.1.6.1).
 * vhost-net derives the same from the features it is given.
 */
unsigned int virtio_net_hdr_len(uint64_t features);
/* §5.1.3.1 dependency rules; false refuses FEATURES_OK. */
bool virtio_net_features_valid(uint64_t features);
/* A stable locally administered MAC derived from @seed. */
void virtio_net_default_mac(const char *seed, uint8_t mac[6]);
/* Parse "aa:bb:cc:dd:ee:ff"; rejects multicast addresses. */
int virtio_net_parse_mac(const char *text, uint8_t mac[6]);

/* Lower-case name of a feature bit tinyvmm knows ("mrg_rxbuf"), or NULL. */
const char *virtio_net_feature_name(unsigned int bit);

/*
 * Why the packed ring was asked for (@packed_asked: not --no-packed) but is
 * not among @device_features, or NULL when it is offered or was not asked for.
 */
const char *net_packed_not_offered(bool packed_asked, uint64_t device_features, bool legacy);

/* What a driver ended up with, as the negotiation report states it. */
struct net_negotiation {
	uint64_t driver_features;	/* accepted by the driver */
	unsigned int rx_size, tx_size;	/* the first pair's queue sizes */
	bool vhost;			/* backend vhost-net, else tinyvmm's own */
	bool irq_direct;		/* vhost interrupts by irqfd, else relayed */
	bool legacy;			/* legacy virtio-mmio (version 1) */
	bool packed_asked;		/* not --no-packed */
	const char *packed_not_offered;	/* net_packed_not_offered(), or NULL */
	uint64_t features_off;		/* not offered because the command line said so */
};

/*
 * The report printed once the driver is up: two or three lines, each
 * "tinyvmm: virtio-net: ...\n", in @buf (truncated to @size).
 */
void net_negotiation_report(const struct net_negotiation *n, char *buf, size_t size);

#endif
