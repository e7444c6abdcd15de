/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VHOST_NET_H
#define TINYVMM_VHOST_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "lib/util.h"

/*
 * One /dev/vhost-net instance drives exactly one RX/TX virtqueue pair in
 * the host kernel (its own "vhost-<pid>" worker thread). vhost_net.c opens
 * with the whole set-up sequence as a numbered map; docs/vhost-net.md uses
 * the same numbers.
 */
struct vhost_net {
	int fd;
	unsigned int pair;	/* the device's queue pair, for messages */
	uint64_t features;	/* what this kernel's vhost-net offers */
	bool running;		/* backend attached */
};

/* vhost ring indices inside one vhost-net instance. */
#define VHOST_NET_RX 0
#define VHOST_NET_TX 1

/*
 * Steps 4-6: open /dev/vhost-net for queue pair @pair, take ownership and
 * read its features. On failure @err names the step and the fix (module
 * not loaded, permissions).
 */
int vhost_net_open(struct vhost_net *vh, unsigned int pair, struct tvm_error *err);
void vhost_net_close(struct vhost_net *vh);

/* Why /dev/vhost-net failed to open with errno @e, and the fix. */
void vhost_net_describe_error(int e, char *buf, size_t size);

/*
 * Device features to offer the guest when vhost-net moves the data:
 * everything the device model has, except ring features vhost-net cannot
 * do (no packed ring upstream; EVENT_IDX / INDIRECT / MRG_RXBUF only if it
 * offers them).
 */
uint64_t vhost_net_guest_features(uint64_t device_features, uint64_t vhost_features);

/*
 * Features for VHOST_SET_FEATURES: only the ring/transport bits vhost-net
 * implements, plus MRG_RXBUF. Never VHOST_NET_F_VIRTIO_NET_HDR (bit 27: vhost
 * would add its own header, the TAP already carries one) nor
 * ACCESS_PLATFORM (IOTLB mode).
 */
uint64_t vhost_net_backend_features(uint64_t negotiated, uint64_t vhost_features);

/*
 * One ring as vhost-net takes it: its size and the host addresses of its
 * three parts (inside guest RAM, which VHOST_SET_MEM_TABLE maps).
 */
struct vhost_net_ring {
	uint16_t size;
	void *desc, *avail, *used;
};

/*
 * Steps 12-20: hand the pair's two rings to the kernel, in order. On
 * failure @err names the step, its ioctl, the pair and the ring.
 */
int vhost_net_start(struct vhost_net *vh, const struct guest_mem *mem,
		    uint64_t negotiated, const struct vhost_net_ring *rx,
		    const struct vhost_net_ring *tx,
		    const int kick_fd[2], const int call_fd[2], const int err_fd[2],
		    int tap_fd, struct tvm_error *err);

/*
 * Step 18 again: point ring @index's completions at eventfd @call_fd, with
 * the ring running or not (vhost swaps it under the ring's mutex). -1 on
 * failure.
 */
int vhost_net_set_call(struct vhost_net *vh, unsigned int index, int call_fd);

/*
 * Step 7: let the vhost worker busy-poll each ring up to @us microseconds when it
 * runs empty (VHOST_SET_VRING_BUSYLOOP_TIMEOUT, Linux 4.6+; 0 = off), read
 * back with the GET ioctl. Kept across backend changes: call once after open.
 */
int vhost_net_set_busyloop(struct vhost_net *vh, unsigned int us, struct tvm_error *err);

/* Steps 21-22: detach the backend and stop both rings (driver reset, shutdown). */
void vhost_net_stop(struct vhost_net *vh);

#endif
