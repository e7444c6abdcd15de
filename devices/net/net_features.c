// SPDX-License-Identifier: MIT
/* virtio-net policy (virtio 1.2 §5.1): pure functions, see net_features.h. */
#include "devices/net/net_features.h"

#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vhost/tap.h"

#define BIT(n) (1ULL << (n))

uint64_t virtio_net_offered_features(bool packed, unsigned int queue_pairs)
{
	uint64_t f = BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
		     BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
		     BIT(VIRTIO_NET_F_MRG_RXBUF) |
		     BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |
		     BIT(VIRTIO_NET_F_GUEST_ECN) |
		     BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
		     BIT(VIRTIO_NET_F_HOST_ECN) |
		     BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) |
		     BIT(VIRTIO_F_VERSION_1);

	if (packed)
		f |= BIT(VIRTIO_F_RING_PACKED);
	/* MQ needs the control queue to switch pairs on (§5.1.3.1). */
	if (queue_pairs > 1)
		f |= BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ);
	return f;
}

uint64_t virtio_net_device_features(bool packed, unsigned int queue_pairs, uint64_t features_off)
{
	return virtio_net_offered_features(packed, queue_pairs) & ~features_off;
}

/*
 * UDP segmentation, only where the TAP takes it (@tap_offloads from
 * tap_probe_offloads()): the guest may then both send (HOST_*) and receive
 * (GUEST_*) such frames, and the TAP passes them through unchanged.
 */
uint64_t virtio_net_udp_gso_features(unsigned int tap_offloads)
{
	uint64_t f = 0;

	if (tap_offloads & TUN_F_UFO)
		f |= BIT(VIRTIO_NET_F_GUEST_UFO) | BIT(VIRTIO_NET_F_HOST_UFO);
	if ((tap_offloads & (TUN_F_USO4 | TUN_F_USO6)) == (TUN_F_USO4 | TUN_F_USO6))
		f |= BIT(VIRTIO_NET_F_GUEST_USO4) | BIT(VIRTIO_NET_F_GUEST_USO6) |
		     BIT(VIRTIO_NET_F_HOST_USO);
	return f;
}

unsigned int virtio_net_tun_offloads(uint64_t f)
{
	unsigned int t = 0;

	if (!(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;	/* every TSO/ECN offload needs checksum offload */
	t |= TUN_F_CSUM;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO4))
		t |= TUN_F_TSO4;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO6))
		t |= TUN_F_TSO6;
	if ((f & BIT(VIRTIO_NET_F_GUEST_ECN)) && (t & (TUN_F_TSO4 | TUN_F_TSO6)))
		t |= TUN_F_TSO_ECN;
	if (f & BIT(VIRTIO_NET_F_GUEST_UFO))
		t |= TUN_F_UFO;
	if (f & BIT(VIRTIO_NET_F_GUEST_USO4))
		t |= TUN_F_USO4;
	if (f & BIT(VIRTIO_NET_F_GUEST_USO6))
		t |= TUN_F_USO6;
	return t;
}

unsigned int virtio_net_hdr_len(uint64_t f)
{
	if (f & (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF)))
		return VNET_HDR_SIZE;
	return VNET_HDR_SIZE_LEGACY;
}

bool virtio_net_features_valid(uint64_t f)
{
	uint64_t guest_gso = BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |
			     BIT(VIRTIO_NET_F_GUEST_UFO) | BIT(VIRTIO_NET_F_GUEST_USO4) |
			     BIT(VIRTIO_NET_F_GUEST_USO6);
	uint64_t host_gso = BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
			    BIT(VIRTIO_NET_F_HOST_UFO) | BIT(VIRTIO_NET_F_HOST_USO);

	if ((f & guest_gso) && !(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return false;
	if ((f & BIT(VIRTIO_NET_F_GUEST_ECN)) && !(f & (BIT(VIRTIO_NET_F_GUEST_TSO4) |
							 BIT(VIRTIO_NET_F_GUEST_TSO6))))
		return false;
	if ((f & host_gso) && !(f & BIT(VIRTIO_NET_F_CSUM)))
		return false;
	if ((f & BIT(VIRTIO_NET_F_HOST_ECN)) && !(f & (BIT(VIRTIO_NET_F_HOST_TSO4) |
							BIT(VIRTIO_NET_F_HOST_TSO6))))
		return false;
	return true;
}

void virtio_net_default_mac(const char *seed, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a: stable across runs */

	for (const char *p = seed; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);	/* unicast, locally administered */
}

int virtio_net_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &tail) != 6 || strlen(text) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	if (mac[0] & 1)
		return -1;	/* multicast: not a station address */
	return 0;}

const char *virtio_net_feature_name(unsigned int bit)
{
	static const struct { unsigned int bit; const char *name; } names[] = {
		{ VIRTIO_NET_F_CSUM, "csum" }, { VIRTIO_NET_F_GUEST_CSUM, "guest_csum" },
		{ VIRTIO_NET_F_MAC, "mac" }, { VIRTIO_NET_F_GUEST_TSO4, "guest_tso4" },
		{ VIRTIO_NET_F_GUEST_TSO6, "guest_tso6" }, { VIRTIO_NET_F_GUEST_ECN, "guest_ecn" },
		{ VIRTIO_NET_F_HOST_TSO4, "host_tso4" }, { VIRTIO_NET_F_HOST_TSO6, "host_tso6" },
		{ VIRTIO_NET_F_HOST_ECN, "host_ecn" }, { VIRTIO_NET_F_MRG_RXBUF, "mrg_rxbuf" },
		{ VIRTIO_NET_F_GUEST_UFO, "guest_ufo" }, { VIRTIO_NET_F_HOST_UFO, "host_ufo" },
		{ VIRTIO_NET_F_GUEST_USO4, "guest_uso4" }, { VIRTIO_NET_F_GUEST_USO6, "guest_uso6" },
		{ VIRTIO_NET_F_HOST_USO, "host_uso" },
		{ VIRTIO_NET_F_STATUS, "status" }, { VIRTIO_NET_F_CTRL_VQ, "ctrl_vq" },
		{ VIRTIO_NET_F_MQ, "mq" }, { VIRTIO_RING_F_INDIRECT_DESC, "indirect_desc" },
		{ VIRTIO_RING_F_EVENT_IDX, "event_idx" }, { VIRTIO_F_VERSION_1, "version_1" },
		{ VIRTIO_F_RING_PACKED, "ring_packed" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].bit == bit)
			return names[i].name;
	return NULL;
}

const char *net_packed_not_offered(bool packed_asked, uint64_t device_features, bool legacy)
{
	if (!packed_asked || (device_features & BIT(VIRTIO_F_RING_PACKED)))
		return NULL;
	if (legacy)
		return "legacy virtio-mmio has no packed ring (--virtio-mmio modern has); split ring in use";
	return "vhost-net has no packed ring support; split ring in use";
}

/* snprintf() at @off that never runs past @size; returns the new offset. */
static size_t append(char *buf, size_t size, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t append(char *buf, size_t size, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off >= size)
		return off;
	va_start(ap, fmt);
	n = vsnprintf(buf + off, size - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return off;
	return off + (size_t)n < size ? off + (size_t)n : size;
}

/* "tinyvmm: virtio-net: @what: name name ...\n" for the known bits of @bits. */
static size_t append_names(char *buf, size_t size, size_t off, const char *what, uint64_t bits)
{
	off = append(buf, size, off, "tinyvmm: virtio-net: %s:", what);
	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *name = virtio_net_feature_name(bit);

		if ((bits & BIT(bit)) && name)
			off = append(buf, size, off, " %s", name);
	}
	return append(buf, size, off, "\n");
}

void net_negotiation_report(const struct net_negotiation *n, char *buf, size_t size)
{
	bool packed = n->driver_features & BIT(VIRTIO_F_RING_PACKED);
	size_t off = 0;

	if (!size)
		return;
	buf[0] = '\0';
	off = append(buf, size, off,
		     "tinyvmm: virtio-net: driver ready: %s ring, rx/tx queue size %u/%u, backend %s%s",
		     packed ? "packed" : "split", n->rx_size, n->tx_size,
		     n->vhost ? "vhost-net" : "userspace",
		     !n->vhost ? "" : n->irq_direct ? ", interrupts irqfd-direct" :
						    ", interrupts relayed");
	if (n->legacy)
		off = append(buf, size, off,
			     ", legacy interface (virtio-mmio version 1, %u-byte header)",
			     virtio_net_hdr_len(n->driver_features));
	off = append(buf, size, off, "\n");
	off = append_names(buf, size, off, "features in effect", n->driver_features);
	if (n->features_off)
		off = append_names(buf, size, off, "not offered (command line)", n->features_off);
	if (n->packed_not_offered)
		append(buf, size, off, "tinyvmm: virtio-net: packed ring not offered: %s\n",
		       n->packed_not_offered);
	else if (n->packed_asked && !packed)
		append(buf, size, off,
		       "tinyvmm: virtio-net: packed ring offered but the driver chose split\n");
}
