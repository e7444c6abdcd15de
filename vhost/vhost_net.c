// SPDX-License-Identifier: MIT
/*
 * The vhost-net set-up sequence, in the order the kernel needs it
 * (drivers/vhost/vhost.c, drivers/vhost/net.c; include/uapi/linux/vhost.h).
 * docs/vhost-net.md walks through the same steps with the same numbers.
 * Steps done elsewhere are listed here with the file and function that do
 * them, so this map is complete; every step done here fails with a message
 * that names its number, its ioctl, the queue pair and the ring.
 *
 * At start-up, per queue pair (devices/net/virtio_net.c:virtio_net_init()):
 *   1  open /dev/net/tun, TUNSETIFF         vhost/tap.c:tap_open()
 *   2  TUNSETVNETHDRSZ 12, TUNSETOFFLOAD 0  vhost/tap.c:tap_open()
 *   3  TUNSETOFFLOAD probes (pair 0)        vhost/tap.c:tap_probe_offloads()
 *   4  open /dev/vhost-net                  vhost_net_open()
 *   5  VHOST_SET_OWNER                      vhost_net_open()
 *   6  VHOST_GET_FEATURES                   vhost_net_open()
 *   7  VHOST_SET/GET_VRING_BUSYLOOP_TIMEOUT vhost_net_set_busyloop() (--vhost-poll-us)
 * Attaching the device, the KVM half (before the guest runs):
 *   8  KVM_IRQFD call fd -> interrupt       vmm/core/vm_net.c:attach_mmio() (the SPI);
 *                                           on pci the MSI-X vector's irqfd, picked at
 *                                           step 18 by devices/net/net_irqfd.c
 *   9  KVM_IOEVENTFD per queue -> kick fd   vmm/core/vm_net.c:attach_mmio(),
 *                                           vmm/core/vm_pci.c:set_notify_base()
 * At DRIVER_OK, per queue pair (devices/net/virtio_net.c:net_activate(),
 * then devices/net/net_vhost.c:vhost_start() calls vhost_net_start()):
 *  10  TUNSETVNETHDRSZ (negotiated length)  devices/net/virtio_net.c:set_tap_hdr_len()
 *  11  TUNSETOFFLOAD (accepted offloads)    devices/net/virtio_net.c:net_activate()
 *  12  VHOST_SET_FEATURES                   vhost_net_start()
 *  13  VHOST_SET_MEM_TABLE                  vhost_net_start()
 *      per ring, RX (0) then TX (1):        setup_ring()
 *  14  VHOST_SET_VRING_NUM
 *  15  VHOST_SET_VRING_BASE
 *  16  VHOST_SET_VRING_ADDR
 *  17  VHOST_SET_VRING_KICK
 *  18  VHOST_SET_VRING_CALL                 (again, live: vhost_net_set_call())
 *  19  VHOST_SET_VRING_ERR
 *  20  VHOST_NET_SET_BACKEND, RX then TX   vhost_net_start()
 * At a driver reset and at shutdown:
 *  21  VHOST_NET_SET_BACKEND -1, each ring  vhost_net_stop()
 *  22  VHOST_GET_VRING_BASE, each ring      vhost_net_stop()
 *
 * In test builds each step here can be made to fail (EIO) with
 * TINYVMM_FAULT=<its ioctl name>:N (lib/fault.h), N counting its passes.
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

#include "lib/fault.h"

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

/* The steps of the map above that this file does: number and name. */
enum vhost_step {
	STEP_OPEN = 4,
	STEP_SET_OWNER = 5,
	STEP_GET_FEATURES = 6,
	STEP_BUSYLOOP = 7,
	STEP_SET_FEATURES = 12,
	STEP_SET_MEM_TABLE = 13,
	STEP_VRING_NUM = 14,
	STEP_VRING_BASE = 15,
	STEP_VRING_ADDR = 16,
	STEP_VRING_KICK = 17,
	STEP_VRING_CALL = 18,
	STEP_VRING_ERR = 19,
	STEP_SET_BACKEND = 20,
};

/* Its ioctl: what the error names, and the TINYVMM_FAULT point. */
static const char *step_ioctl_name(enum vhost_step step)
{
	switch (step) {
	case STEP_OPEN: return "open /dev/vhost-net";
	case STEP_SET_OWNER: return "VHOST_SET_OWNER";
	case STEP_GET_FEATURES: return "VHOST_GET_FEATURES";
	case STEP_BUSYLOOP: return "VHOST_SET_VRING_BUSYLOOP_TIMEOUT";
	case STEP_SET_FEATURES: return "VHOST_SET_FEATURES";
	case STEP_SET_MEM_TABLE: return "VHOST_SET_MEM_TABLE";
	case STEP_VRING_NUM: return "VHOST_SET_VRING_NUM";
	case STEP_VRING_BASE: return "VHOST_SET_VRING_BASE";
	case STEP_VRING_ADDR: return "VHOST_SET_VRING_ADDR";
	case STEP_VRING_KICK: return "VHOST_SET_VRING_KICK";
	case STEP_VRING_CALL: return "VHOST_SET_VRING_CALL";
	case STEP_VRING_ERR: return "VHOST_SET_VRING_ERR";
	case STEP_SET_BACKEND: return "VHOST_NET_SET_BACKEND";
	}
	return "?";
}

/* The fix for the errors a step is known to give, or NULL. */
static const char *step_fix(enum vhost_step step, int e)
{
	if ((step == STEP_VRING_NUM || step == STEP_VRING_BASE) && e == EBUSY)
		return "A backend is still attached to the ring: it was not stopped (step 21) before this start";
	if (step == STEP_VRING_NUM && e == EINVAL)
		return "The driver chose a queue size vhost cannot take (a power of two up to 32768); the guest's driver must be fixed";
	if (step == STEP_VRING_ADDR && e == EINVAL)
		return "The driver's ring addresses are misaligned (desc 16, avail 2, used 4 bytes); the guest's driver must be fixed";
	if ((step == STEP_VRING_KICK || step == STEP_VRING_CALL || step == STEP_VRING_ERR) &&
	    (e == EBADF || e == EINVAL))
		return "The fd given is not an eventfd (a tinyvmm bug: please report it)";
	if (step == STEP_SET_FEATURES && e == EOPNOTSUPP)
		return "A feature this vhost-net did not offer at step 6 (a tinyvmm bug: please report it)";
	if (step == STEP_SET_MEM_TABLE && e == ENOMEM)
		return "The host is out of memory";
	if (step == STEP_SET_BACKEND && e == EFAULT)
		return "vhost cannot read the rings at their addresses (steps 13 and 16)";
	if (step == STEP_SET_BACKEND && (e == ENOTSOCK || e == EBADF || e == EBADFD))
		return "The fd is not a TAP any more: was the interface deleted? Recreate it and restart the guest";
	return NULL;
}

/*
 * One step's failure, errno @e: "vhost-net: step 20 VHOST_NET_SET_BACKEND
 * (queue pair 0, ring 0 RX) failed: <strerror>. <fix>". @ring -1: a step
 * for the whole instance.
 */
static int step_failed(const struct vhost_net *vh, enum vhost_step step, int ring, int e,
		       struct tvm_error *err)
{
	const char *fix = step_fix(step, e);
	char where[48];

	if (ring < 0)
		snprintf(where, sizeof(where), "queue pair %u", vh->pair);
	else
		snprintf(where, sizeof(where), "queue pair %u, ring %d %s", vh->pair, ring,
			 ring == VHOST_NET_RX ? "RX" : "TX");
	return tvm_fail(err, TVM_EXIT_ERROR, "vhost-net: step %d %s (%s) failed: %s%s%s",
			(int)step, step_ioctl_name(step), where, strerror(e), fix ? ". " : "",
			fix ? fix : "");
}

/* Every ioctl of the sequence goes through here: -1 with errno set on failure. */
static int step_ioctl(const struct vhost_net *vh, enum vhost_step step, unsigned long request,
		      void *arg)
{
	if (fault_inject(step_ioctl_name(step))) {
		errno = EIO;
		return -1;
	}
	return ioctl(vh->fd, request, arg);
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

/* Step 5 or 6 failed: close the instance, report with errno @e. */
static int open_step_failed(struct vhost_net *vh, enum vhost_step step, int e,
			    struct tvm_error *err)
{
	step_failed(vh, step, -1, e, err);
	vhost_net_close(vh);
	return -1;
}

int vhost_net_open(struct vhost_net *vh, unsigned int pair, struct tvm_error *err)
{
	memset(vh, 0, sizeof(*vh));
	vh->pair = pair;
	/* 4. One instance per queue pair; its messages say how to get one. */
	if (fault_inject(step_ioctl_name(STEP_OPEN)))
		return open_failure(EIO, err);
	vh->fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (vh->fd < 0)
		return open_failure(errno, err);
	/*
	 * 5. VHOST_SET_OWNER binds the instance to this process's memory (mm)
	 *    and starts its kernel worker. Every later ioctl but the feature
	 *    ones fails with EPERM before it.
	 */
	if (step_ioctl(vh, STEP_SET_OWNER, VHOST_SET_OWNER, NULL) < 0)
		return open_step_failed(vh, STEP_SET_OWNER, errno, err);
	/* 6. VHOST_GET_FEATURES: what this kernel's vhost-net can do. */
	if (step_ioctl(vh, STEP_GET_FEATURES, VHOST_GET_FEATURES, &vh->features) < 0)
		return open_step_failed(vh, STEP_GET_FEATURES, errno, err);
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

int vhost_net_set_busyloop(struct vhost_net *vh, unsigned int us, struct tvm_error *err)
{
	for (unsigned int i = VHOST_NET_RX; i <= VHOST_NET_TX; i++) {
		struct vhost_vring_state s = { .index = i, .num = us };

		/*
		 * 7. Per ring: the RX ring's timeout bounds the wait for TAP
		 *    frames, the TX ring's the wait for the guest's next buffer.
		 *    A kernel older than 4.6 has no such ioctl (ENOTTY).
		 */
		if (step_ioctl(vh, STEP_BUSYLOOP, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &s) < 0) {
			if (errno == ENOTTY || errno == EINVAL)
				return tvm_fail(err, TVM_EXIT_ERROR,
						"vhost-net: this kernel cannot busy-poll (no VHOST_SET_VRING_BUSYLOOP_TIMEOUT, Linux 4.6+). Drop --vhost-poll-us");
			return step_failed(vh, STEP_BUSYLOOP, (int)i, errno, err);
		}
		s.num = ~0u;
		if (ioctl(vh->fd, VHOST_GET_VRING_BUSYLOOP_TIMEOUT, &s) < 0 || s.num != us)
			return tvm_fail(err, TVM_EXIT_ERROR,
					"vhost-net: step 7 (queue pair %u, ring %u %s): the ring did not keep the busy-poll time %u us (VHOST_GET_VRING_BUSYLOOP_TIMEOUT reads %u)",
					vh->pair, i, i == VHOST_NET_RX ? "RX" : "TX", us, s.num);
	}
	return 0;
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
	return step_ioctl(vh, STEP_SET_MEM_TABLE, VHOST_SET_MEM_TABLE, &table);
}

/* Steps 14-19 for ring @index (0 RX, 1 TX). */
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

	/* 14, 15. NUM and BASE fail with EBUSY while a backend is attached. */
	if (step_ioctl(vh, STEP_VRING_NUM, VHOST_SET_VRING_NUM, &num) < 0)
		return step_failed(vh, STEP_VRING_NUM, (int)index, errno, err);
	if (step_ioctl(vh, STEP_VRING_BASE, VHOST_SET_VRING_BASE, &base) < 0)
		return step_failed(vh, STEP_VRING_BASE, (int)index, errno, err);
	/* 16. Checked against the memory only at step 20, once NUM is known. */
	if (step_ioctl(vh, STEP_VRING_ADDR, VHOST_SET_VRING_ADDR, &addr) < 0)
		return step_failed(vh, STEP_VRING_ADDR, (int)index, errno, err);
	/* 17. The guest's QueueNotify, via the KVM ioeventfd (step 9): vhost polls it. */
	if (step_ioctl(vh, STEP_VRING_KICK, VHOST_SET_VRING_KICK, &kick) < 0)
		return step_failed(vh, STEP_VRING_KICK, (int)index, errno, err);
	/* 18. vhost signals this eventfd when the guest should be interrupted (step 8). */
	if (step_ioctl(vh, STEP_VRING_CALL, VHOST_SET_VRING_CALL, &call) < 0)
		return step_failed(vh, STEP_VRING_CALL, (int)index, errno, err);
	/*
	 * 19. vhost signals this one when it gives up on the ring (a bad
	 *     descriptor, an address outside the memory table): otherwise the
	 *     queue would just go silent.
	 */
	if (step_ioctl(vh, STEP_VRING_ERR, VHOST_SET_VRING_ERR, &error) < 0)
		return step_failed(vh, STEP_VRING_ERR, (int)index, errno, err);
	return 0;
}

int vhost_net_set_call(struct vhost_net *vh, unsigned int index, int call_fd)
{
	struct vhost_vring_file call = { .index = index, .fd = call_fd };

	/* Step 18 again, with the ring running: vhost swaps it under the ring's mutex. */
	return ioctl(vh->fd, VHOST_SET_VRING_CALL, &call) < 0 ? -1 : 0;
}

static int set_backend(struct vhost_net *vh, unsigned int index, int fd)
{
	struct vhost_vring_file backend = { .index = index, .fd = fd };

	return step_ioctl(vh, STEP_SET_BACKEND, VHOST_NET_SET_BACKEND, &backend);
}

/* Step 21 for ring @index: nothing to report if it fails, the fd is closed later. */
static void detach_backend(struct vhost_net *vh, unsigned int index)
{
	struct vhost_vring_file backend = { .index = index, .fd = -1 };

	ioctl(vh->fd, VHOST_NET_SET_BACKEND, &backend);
}

int vhost_net_start(struct vhost_net *vh, const struct guest_mem *mem,
		    uint64_t negotiated, const struct vhost_net_ring *rx,
		    const struct vhost_net_ring *tx,
		    const int kick_fd[2], const int call_fd[2], const int err_fd[2],
		    int tap_fd, struct tvm_error *err)
{
	uint64_t features = vhost_net_backend_features(negotiated, vh->features);
	int e;

	/*
	 * Steps 10 and 11 (the TAP's header length and offloads) are done by
	 * the caller before this, for every backend: see the map above.
	 *
	 * 12. VHOST_SET_FEATURES: the ring features the guest accepted. With
	 *     no bit 27, vhost expects the header to come from the TAP, of the
	 *     length it derives from these features: 12 bytes with VERSION_1 or
	 *     MRG_RXBUF, else 10 (a legacy driver), the length step 10 set.
	 *     Without VERSION_1 vhost reads the rings in the host's byte order,
	 *     which is the little-endian guest's (legacy is guest-native; arm64
	 *     hosts and guests are little-endian here), so no
	 *     VHOST_SET_VRING_ENDIAN (nor TUNSETVNETLE on the TAP).
	 */
	if (step_ioctl(vh, STEP_SET_FEATURES, VHOST_SET_FEATURES, &features) < 0)
		return step_failed(vh, STEP_SET_FEATURES, -1, errno, err);
	/* 13. VHOST_SET_MEM_TABLE: guest RAM, before vhost reads any ring. */
	if (set_mem_table(vh, mem) < 0)
		return step_failed(vh, STEP_SET_MEM_TABLE, -1, errno, err);
	/* 14-19. Per ring: NUM, BASE, ADDR, KICK, CALL, ERR. */
	if (setup_ring(vh, VHOST_NET_RX, rx, kick_fd[0], call_fd[0], err_fd[0], err) ||
	    setup_ring(vh, VHOST_NET_TX, tx, kick_fd[1], call_fd[1], err_fd[1], err))
		return -1;
	/*
	 * 20. VHOST_NET_SET_BACKEND last: it starts the data path. It fails
	 *     with EFAULT if vhost cannot reach the rings. A TX failure
	 *     detaches RX again, so the pair is stopped as a whole.
	 */
	if (set_backend(vh, VHOST_NET_RX, tap_fd) < 0)
		return step_failed(vh, STEP_SET_BACKEND, VHOST_NET_RX, errno, err);
	if (set_backend(vh, VHOST_NET_TX, tap_fd) < 0) {
		e = errno;
		detach_backend(vh, VHOST_NET_RX);
		return step_failed(vh, STEP_SET_BACKEND, VHOST_NET_TX, e, err);
	}
	vh->running = true;
	return 0;
}

void vhost_net_stop(struct vhost_net *vh)
{
	struct vhost_vring_state state;

	if (!vh->running)
		return;
	/*
	 * 21. Detach the TAP from both rings (fd -1): the worker stops
	 *     touching guest memory.
	 * 22. VHOST_GET_VRING_BASE then reads back where each ring stopped
	 *     (and is what lets NUM/BASE be set again at the next step 14).
	 */
	for (unsigned int i = VHOST_NET_RX; i <= VHOST_NET_TX; i++) {
		detach_backend(vh, i);
		state.index = i;
		state.num = 0;
		ioctl(vh->fd, VHOST_GET_VRING_BASE, &state);
	}
	vh->running = false;
}
