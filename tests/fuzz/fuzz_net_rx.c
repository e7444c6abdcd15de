// SPDX-License-Identifier: MIT
/*
 * Mergeable RX filling (devices/net/net_user.c, through net_rx_deliver()):
 * frames of fuzzed lengths delivered into a fuzzed RX ring. Input:
 *
 *   u8 flags (1 MRG_RXBUF, 2 packed, 4 EVENT_IDX, 8 INDIRECT), u16 size,
 *   u16 desc_off, u16 driver_off, u16 device_off, u8 nframes,
 *   nframes x {u16 len, u16 avail_idx}, then the 64 KiB guest RAM image.
 *
 * A frame is VNET_HDR_SIZE + 1 + len bytes (read_frame() passes nothing
 * shorter). A non-zero avail_idx is written to the split avail index before
 * that frame, as a driver posting (or faking) buffers would.
 */
#include "devices/net/net_user.h"
#include "fuzz_common.h"
#include "vhost/tap.h"

#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	0x10000ULL

static struct guest_mem mem;
static struct virtio_net net;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags = fz_u8(&f);
	uint16_t qsize = fz_u16(&f) % (VIRTQ_MAX_SIZE + 1);
	uint16_t d = fz_u16(&f), dr = fz_u16(&f), dv = fz_u16(&f);
	unsigned int nframes = fz_u8(&f);
	struct net_queue_pair *pair = &net.pairs[0];
	struct virtq *vq = &net.vdev.queues[0];
	const uint8_t *frames;
	uint8_t *rx_frame;
	struct virtq_chain *chains;

	if (f.n < 4 * (size_t)nframes)
		nframes = (unsigned int)(f.n / 4);
	frames = f.p;
	f.p += 4 * nframes;
	f.n -= 4 * nframes;
	fz_mem_load(&mem, RAM_BASE, RAM_SIZE, f.p, f.n);

	rx_frame = pair->rx_frame;
	chains = pair->chains;
	if (!rx_frame) {
		rx_frame = malloc(NET_RX_FRAME_MAX);
		chains = calloc(NET_RX_MAX_MERGE, sizeof(*chains));
		memset(rx_frame, 0xab, NET_RX_FRAME_MAX);
	}
	memset(&net, 0, sizeof(net));
	pair->net = &net;
	pair->tap_fd = -1;
	pair->rx_frame = rx_frame;
	pair->chains = chains;
	net.npairs = 1;
	if (flags & 1)
		net.vdev.driver_features |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	/* Bit 4: a legacy driver (no VERSION_1); without MRG_RXBUF its header is 10 bytes. */
	if (!(flags & 16))
		net.vdev.driver_features |= 1ULL << VIRTIO_F_VERSION_1;
	vq->mem = &mem;
	vq->size = qsize;
	vq->packed = flags & 2;
	vq->event_idx = flags & 4;
	vq->indirect = flags & 8;
	vq->desc_gpa = RAM_BASE + d;
	vq->driver_gpa = RAM_BASE + dr;
	vq->device_gpa = RAM_BASE + dv;
	if (virtq_start(vq))
		return 0;
	for (unsigned int i = 0; i < nframes; i++) {
		const uint8_t *fr = frames + 4 * i;
		size_t len = VNET_HDR_SIZE + 1 + (size_t)(fr[0] | fr[1] << 8);
		uint16_t idx = (uint16_t)(fr[2] | fr[3] << 8);
		uint64_t before = pair->stats.rx_packets + pair->stats.rx_dropped;
		uint64_t packets = pair->stats.rx_packets;
		uint16_t nbuf;
		int r;

		if (idx && !vq->packed && dr + 4ULL <= RAM_SIZE)
			memcpy(mem.host + dr + 2, &idx, 2);
		pair->rx_frame_len = len;
		memset(rx_frame + 10, 0, 2);	/* num_buffers: ours to fill */
		r = net_rx_deliver(pair);
		FZ_CHECK(r >= -1 && r <= 1);
		FZ_CHECK((r < 0) == vq->broken);
		FZ_CHECK(pair->stats.rx_packets + pair->stats.rx_dropped == before + (r == 1));
		if (r < 0)
			break;
		if (pair->stats.rx_packets != packets &&
		    virtio_net_hdr_len(net.vdev.driver_features) == VNET_HDR_SIZE) {
			memcpy(&nbuf, rx_frame + 10, 2);
			nbuf = le16toh(nbuf);
			FZ_CHECK(nbuf >= 1 && nbuf <= ((flags & 1) ? NET_RX_MAX_MERGE : 1));
		} else if (pair->stats.rx_packets != packets) {
			/* A 10-byte header: bytes 10-11 are the frame's, never num_buffers. */
			FZ_CHECK(rx_frame[10] == 0 && rx_frame[11] == 0);
		}
		virtq_should_interrupt(vq);
		if (r == 0)
			virtq_set_kicks(vq, true);
	}
	return 0;
}
