// SPDX-License-Identifier: MIT
/*
 * The virtio-net control queue (devices/net/net_ctrl.c). Input byte 0 picks:
 *   even: net_ctrl_parse(): u8 max_pairs, then the command bytes.
 *   odd:  net_ctrl_process() on a fuzzed control ring: u8 npairs, u8 flags
 *         (1 packed, 2 EVENT_IDX, 4 INDIRECT), u16 size, u16 desc_off,
 *         u16 driver_off, u16 device_off, then the 64 KiB guest RAM image.
 * The TAP fds are -1, so VQ_PAIRS_SET reaches TUNSETQUEUE and fails cleanly.
 */
#include <linux/virtio_net.h>

#include "devices/net/net_ctrl.h"
#include "fuzz_common.h"

#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	0x10000ULL

static struct guest_mem mem;
static struct virtio_net net;
static struct virtq_chain *ctrl_chain;
static uint8_t *ctrl_buf;

static int no_activate(struct virtio_dev *m)
{
	return -1;
}

static const struct virtio_dev_ops ops = { .activate = no_activate };

static void fuzz_parse(struct fz *f)
{
	unsigned int max_pairs = fz_u8(f) % (NET_MAX_QUEUE_PAIRS + 1);
	struct net_ctrl_cmd cmd;
	/* Exact-size heap copy: ASan sees any read past the command. */
	uint8_t *buf = malloc(f->n ? f->n : 1);
	uint8_t ack;

	memcpy(buf, f->p, f->n);
	ack = net_ctrl_parse(buf, f->n, max_pairs, &cmd);
	FZ_CHECK(ack == VIRTIO_NET_OK || ack == VIRTIO_NET_ERR);
	if (ack == VIRTIO_NET_OK && cmd.action == NET_CTRL_SET_PAIRS)
		FZ_CHECK(cmd.pairs >= 1 && cmd.pairs <= max_pairs);
	else
		FZ_CHECK(cmd.action == NET_CTRL_NONE);
	free(buf);
}

static void fuzz_process(struct fz *f)
{
	unsigned int npairs = 1 + fz_u8(f) % NET_MAX_QUEUE_PAIRS;
	uint8_t flags = fz_u8(f);
	uint16_t size = fz_u16(f) % (VIRTQ_MAX_SIZE + 1);
	uint16_t d = fz_u16(f), dr = fz_u16(f), dv = fz_u16(f);
	struct virtq *vq;

	if (!ctrl_chain) {
		ctrl_chain = calloc(1, sizeof(*ctrl_chain));
		ctrl_buf = malloc(NET_CTRL_MAX_CMD);
	}
	fz_mem_load(&mem, RAM_BASE, RAM_SIZE, f->p, f->n);
	memset(&net, 0, sizeof(net));
	net.opts.quiet = true;
	net.npairs = npairs;
	net.has_ctrl = true;
	net.active_pairs = 1;
	net.ctrl_chain = ctrl_chain;
	net.ctrl_buf = ctrl_buf;
	for (unsigned int i = 0; i < NET_MAX_QUEUE_PAIRS; i++)
		net.pairs[i].tap_fd = -1;
	virtio_dev_init(&net.vdev, 1, 0, 2 * npairs + 1, VIRTQ_MAX_SIZE, &mem, &ops, &net);
	vq = &net.vdev.queues[2 * npairs];
	vq->size = size;
	vq->packed = flags & 1;
	vq->event_idx = flags & 2;
	vq->indirect = flags & 4;
	vq->desc_gpa = RAM_BASE + d;
	vq->driver_gpa = RAM_BASE + dr;
	vq->device_gpa = RAM_BASE + dv;
	if (virtq_start(vq) == 0) {
		/* Twice: the second pass sees what the first left in the ring. */
		net_ctrl_process(&net);
		net_ctrl_process(&net);
		FZ_CHECK(net.active_pairs >= 1 && net.active_pairs <= npairs);
	}
	pthread_mutex_destroy(&net.vdev.lock);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };

	if (fz_u8(&f) & 1)
		fuzz_process(&f);
	else
		fuzz_parse(&f);
	return 0;
}
