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
 * the host kernel (its own "vhost-<pid>" worker thread). docs/vhost-net.md
 * walks through the sequence implemented here.
 */
struct vhost_net {
	int fd;
	uint64_t features;	/* what this kernel's vhost-net offers */
	bool running;		/* backend attached */
};

/* vhost ring indices inside one vhost-net instance. */
#define VHOST_NET_RX 0
#define VHOST_NET_TX 1

/*
 * Open /dev/vhost-net, take ownership and read its features. On failure
 * @err names the reason and the fix (module not loaded, permissions).
 */
int vhost_net_open(struct vhost_net *vh, struct tvm_error *err);
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

/* Hand the two rings to the kernel; see the comments for the order. */
int vhost_net_start(struct vhost_net *vh, const struct guest_mem *mem,
		    uint64_t negotiated, const struct vhost_net_ring *rx,
		    const struct vhost_net_ring *tx,
		    const int kick_fd[2], const int call_fd[2], const int err_fd[2],
		    int tap_fd, struct tvm_error *err);

/*
 * Point ring @index's completions at eventfd @call_fd, with the ring
 * running or not (vhost swaps it under the ring's mutex). -1 on failure.
 */
int vhost_net_set_call(struct vhost_net *vh, unsigned int index, int call_fd);

/* Detach the backend and stop both rings (driver reset, shutdown). */
void vhost_net_stop(struct vhost_net *vh);

#endif
