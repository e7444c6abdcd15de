// SPDX-License-Identifier: MIT
/*
 * The vhost-net set-up sequence, in the order the kernel needs it
 * (drivers/vhost/vhost.c, drivers/vhost/net.c; include/uapi/linux/vhost.h).
 * Each step says why it is there and what fails without it.
 */
#include "vhost/vhost_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BIT(n) (1ULL << (n))

/* Ring and transport bits vhost-net itself implements and we may pass on. */
#define VHOST_PASSABLE (BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) | \
			BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF))

uint64_t vhost_net_guest_features(uint64_t device_features, uint64_t vhost_features)
{
	uint64_t ring_bits = VHOST_PASSABLE | BIT(VIRTIO_F_RING_PACKED);

	/*
	 * Device-level bits (MAC, STATUS, CSUM, TSO, CTRL_VQ, MQ) are ours to
	 * offer whatever vhost says: tinyvmm serves the config space and the
	 * TAP does the offloads. Ring bits must be backed by vhost.
	 */
	return (device_features & ~ring_bits) |
	       (device_features & VHOST_PASSABLE & vhost_features);
}

uint64_t vhost_net_backend_features(uint64_t negotiated, uint64_t vhost_features)
{
	return negotiated & VHOST_PASSABLE & vhost_features;
}

void vhost_net_describe_error(int e, char *buf, size_t size)
{
	if (e == ENOENT || e == ENODEV || e == ENXIO)
		snprintf(buf, size, "/dev/vhost-net does not exist (module not loaded). Load it: modprobe vhost_net");
	else if (e == EACCES || e == EPERM)
		snprintf(buf, size, "/dev/vhost-net: permission denied. Give your user access (e.g. a udev rule: KERNEL==\"vhost-net\", GROUP=\"kvm\", MODE=\"0660\")");
	else
		snprintf(buf, size, "cannot open /dev/vhost-net: %s", strerror(e));
}

static int open_failure(int e, struct tvm_error *err)
{
	vhost_net_describe_error(e, err->msg, sizeof(err->msg));
	err->code = TVM_EXIT_ERROR;
	return -1;
}

int vhost_net_open(struct vhost_net *vh, struct tvm_error *err)
{
	memset(vh, 0, sizeof(*vh));
	vh->fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (vh->fd < 0)
		return open_failure(errno, err);
	/*
	 * 1. VHOST_SET_OWNER binds the instance to this process's memory (mm)
	 *    and starts its kernel worker. Every other ioctl fails with EPERM
	 *    before it.
	 */
	if (ioctl(vh->fd, VHOST_SET_OWNER) < 0) {
		int e = errno;

		vhost_net_close(vh);
		return tvm_fail(err, TVM_EXIT_ERROR, "VHOST_SET_OWNER failed: %s", strerror(e));
	}
	/* 2. VHOST_GET_FEATURES: what this kernel's vhost-net can do. */
	if (ioctl(vh->fd, VHOST_GET_FEATURES, &vh->features) < 0) {
		int e = errno;

		vhost_net_close(vh);
		return tvm_fail(err, TVM_EXIT_ERROR, "VHOST_GET_FEATURES failed: %s", strerror(e));
	}
	if (!(vh->features & BIT(VIRTIO_F_VERSION_1))) {
		vhost_net_close(vh);
		return tvm_fail(err, TVM_EXIT_ERROR,
				"this kernel's vhost-net lacks VIRTIO_F_VERSION_1 (needs Linux 4.0+)");
	}
	return 0;
}

void vhost_net_close(struct vhost_net *vh)
{
	if (vh->fd >= 0)
		close(vh->fd);
	vh->fd = -1;
	vh->running = false;
}

static int set_mem_table(struct vhost_net *vh, const struct guest_mem *mem)
{
	struct {
		struct vhost_memory hdr;
		struct vhost_memory_region region;
	} table = { 0 };

	/* vhost translates guest-physical ring and buffer addresses with this. */
	table.hdr.nregions = 1;
	table.region.guest_phys_addr = mem->gpa_base;
	table.region.memory_size = mem->size;
	table.region.userspace_addr = (uint64_t)(uintptr_t)mem->host;
	return ioctl(vh->fd, VHOST_SET_MEM_TABLE, &table);
}

static int fail_step(struct tvm_error *err, const char *step, unsigned int ring)
{
	return tvm_fail(err, TVM_EXIT_ERROR, "vhost-net: %s (ring %u) failed: %s",
			step, ring, strerror(errno));
}

static int setup_ring(struct vhost_net *vh, unsigned int index, const struct vhost_net_ring *vq,
		      int kick_fd, int call_fd, int err_fd, struct tvm_error *err)
{
	struct vhost_vring_state num = { .index = index, .num = vq->size };
	/* A fresh ring after DRIVER_OK or a reset starts at index 0. */
	struct vhost_vring_state base = { .index = index, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = index,
		/* Host virtual addresses of the rings, inside the memory table. */
		.desc_user_addr = (uint64_t)(uintptr_t)vq->desc,
		.avail_user_addr = (uint64_t)(uintptr_t)vq->avail,
		.used_user_addr = (uint64_t)(uintptr_t)vq->used,
	};
	struct vhost_vring_file kick = { .index = index, .fd = kick_fd };
	struct vhost_vring_file call = { .index = index, .fd = call_fd };
	struct vhost_vring_file error = { .index = index, .fd = err_fd };

	/* NUM and BASE fail with EBUSY while a backend is attached. */
	if (ioctl(vh->fd, VHOST_SET_VRING_NUM, &num) < 0)
		return fail_step(err, "VHOST_SET_VRING_NUM", index);
	if (ioctl(vh->fd, VHOST_SET_VRING_BASE, &base) < 0)
		return fail_step(err, "VHOST_SET_VRING_BASE", index);
	if (ioctl(vh->fd, VHOST_SET_VRING_ADDR, &addr) < 0)
		return fail_step(err, "VHOST_SET_VRING_ADDR", index);
	/* The guest's QueueNotify, via the KVM ioeventfd: vhost polls it. */
	if (ioctl(vh->fd, VHOST_SET_VRING_KICK, &kick) < 0)
		return fail_step(err, "VHOST_SET_VRING_KICK", index);
	/* vhost signals this eventfd when the guest should be interrupted. */
	if (ioctl(vh->fd, VHOST_SET_VRING_CALL, &call) < 0)
		return fail_step(err, "VHOST_SET_VRING_CALL", index);
	/*
	 * vhost signals this one when it gives up on the ring (a bad
	 * descriptor, an address outside the memory table): otherwise the
	 * queue would just go silent.
	 */
	if (ioctl(vh->fd, VHOST_SET_VRING_ERR, &error) < 0)
		return fail_step(err, "VHOST_SET_VRING_ERR", index);
	return 0;
}

int vhost_net_set_call(struct vhost_net *vh, unsigned int index, int call_fd)
{
	struct vhost_vring_file call = { .index = index, .fd = call_fd };

	return ioctl(vh->fd, VHOST_SET_VRING_CALL, &call) < 0 ? -1 : 0;
}

static int set_backend(struct vhost_net *vh, unsigned int index, int fd)
{
	struct vhost_vring_file backend = { .index = index, .fd = fd };

	return ioctl(vh->fd, VHOST_NET_SET_BACKEND, &backend);
}

int vhost_net_start(struct vhost_net *vh, const struct guest_mem *mem,
		    uint64_t negotiated, const struct vhost_net_ring *rx,
		    const struct vhost_net_ring *tx,
		    const int kick_fd[2], const int call_fd[2], const int err_fd[2],
		    int tap_fd, struct tvm_error *err)
{
	uint64_t features = vhost_net_backend_features(negotiated, vh->features);

	/*
	 * 3. VHOST_SET_FEATURES: the ring features the guest accepted. With
	 *    no bit 27, vhost expects the header to come from the TAP, of the
	 *    length it derives from these features: 12 bytes with VERSION_1 or
	 *    MRG_RXBUF, else 10 (a legacy driver). The TAP's TUNSETVNETHDRSZ
	 *    was set to the same at activation (virtio_net_hdr_len()). Without
	 *    VERSION_1 vhost reads the rings in the host's byte order, which is
	 *    the little-endian guest's (legacy is guest-native; arm64 hosts and
	 *    guests are little-endian here), so no VHOST_SET_VRING_ENDIAN.
	 */
	if (ioctl(vh->fd, VHOST_SET_FEATURES, &features) < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "vhost-net: VHOST_SET_FEATURES 0x%llx failed: %s",
				(unsigned long long)features, strerror(errno));
	/* 4. VHOST_SET_MEM_TABLE: guest RAM, before any ring address. */
	if (set_mem_table(vh, mem) < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "vhost-net: VHOST_SET_MEM_TABLE failed: %s",
				strerror(errno));
	/* 5. Per ring: NUM, BASE, ADDR, KICK, CALL, ERR. */
	if (setup_ring(vh, VHOST_NET_RX, rx, kick_fd[0], call_fd[0], err_fd[0], err) ||
	    setup_ring(vh, VHOST_NET_TX, tx, kick_fd[1], call_fd[1], err_fd[1], err))
		return -1;
	/*
	 * 6. VHOST_NET_SET_BACKEND last: it starts the data path. It fails
	 *    with EFAULT if the rings are not inside the memory table.
	 */
	if (set_backend(vh, VHOST_NET_RX, tap_fd) < 0 || set_backend(vh, VHOST_NET_TX, tap_fd) < 0) {
		int e = errno;

		set_backend(vh, VHOST_NET_RX, -1);
		errno = e;
		return fail_step(err, "VHOST_NET_SET_BACKEND", VHOST_NET_TX);
	}
	vh->running = true;
	return 0;
}

int vhost_net_set_busyloop(struct vhost_net *vh, unsigned int us, struct tvm_error *err)
{
	for (unsigned int i = VHOST_NET_RX; i <= VHOST_NET_TX; i++) {
		struct vhost_vring_state s = { .index = i, .num = us };

		/*
		 * Per ring: the RX ring's timeout bounds the wait for TAP frames,
		 * the TX ring's the wait for the guest's next buffer. A kernel
		 * older than 4.6 has no such ioctl (ENOTTY).
		 */
		if (ioctl(vh->fd, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &s) < 0) {
			if (errno == ENOTTY || errno == EINVAL)
				return tvm_fail(err, TVM_EXIT_ERROR,
						"vhost-net: this kernel cannot busy-poll (no VHOST_SET_VRING_BUSYLOOP_TIMEOUT, Linux 4.6+). Drop --vhost-poll-us");
			return fail_step(err, "VHOST_SET_VRING_BUSYLOOP_TIMEOUT", i);
		}
		s.num = ~0u;
		if (ioctl(vh->fd, VHOST_GET_VRING_BUSYLOOP_TIMEOUT, &s) < 0 || s.num != us)
			return tvm_fail(err, TVM_EXIT_ERROR,
					"vhost-net: ring %u did not keep the busy-poll time %u us (reads %u)",
					i, us, s.num);
	}
	return 0;
}

void vhost_net_stop(struct vhost_net *vh)
{
	struct vhost_vring_state state;

	if (!vh->running)
		return;
	/*
	 * Detach the TAP from both rings (fd -1): the worker stops touching
	 * guest memory. GET_VRING_BASE then reads back where each ring stopped
	 * (and is what lets NUM/BASE be set again for the next activation).
	 */
	for (unsigned int i = VHOST_NET_RX; i <= VHOST_NET_TX; i++) {
		set_backend(vh, i, -1);
		state.index = i;
		state.num = 0;
		ioctl(vh->fd, VHOST_GET_VRING_BASE, &state);
	}
	vh->running = false;
}
