/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VIRTIO_MMIO_H
#define TINYVMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "devices/virtq.h"

/* virtio-mmio version 2 register file (virtio 1.2 §4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL	0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL	0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_SHM_SEL		0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW		0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH	0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW	0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH	0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAGIC		0x74726976	/* "virt" */
#define VIRTIO_MMIO_VENDOR		0x4d565954	/* "TYVM" */

#define VIRTIO_INT_VRING		1
#define VIRTIO_INT_CONFIG		2

#define VIRTIO_MMIO_MAX_QUEUES		33	/* 16 queue pairs + control */

struct virtio_mmio;

struct virtio_mmio_ops {
	/* DRIVER_OK: queues are configured; start serving them. */
	int (*activate)(struct virtio_mmio *dev);
	/* Status 0 or teardown: stop touching queues before they are cleared. */
	void (*reset)(struct virtio_mmio *dev);
	/* QueueNotify trapped through MMIO (when no ioeventfd took it). */
	void (*notify)(struct virtio_mmio *dev, unsigned int queue);
	/* Device config space (offset from 0x100); reads fill @data. */
	void (*config_access)(struct virtio_mmio *dev, uint64_t offset, uint8_t *data,
			      unsigned int len, bool is_write);
	/* Extra device rules on the accepted features; false refuses FEATURES_OK. */
	bool (*features_ok)(struct virtio_mmio *dev, uint64_t features);
};

struct virtio_mmio {
	pthread_mutex_t lock;
	const struct virtio_mmio_ops *ops;
	void *opaque;			/* the device */
	void (*raise_irq)(void *irq_opaque);
	void *irq_opaque;

	uint32_t device_id;
	uint64_t device_features;
	uint64_t driver_features;
	uint32_t device_features_sel, driver_features_sel;
	uint32_t queue_sel;
	uint32_t status;		/* the driver's bits; written under the lock */
	bool needs_reset;		/* atomic: DEVICE_NEEDS_RESET, set by any thread */
	uint32_t config_generation;
	uint32_t interrupt_status;	/* atomic: set by workers, cleared by ACK */
	bool active;			/* activate() succeeded, reset() pending */
	/*
	 * Interrupts for the rings bypass us (vhost call fd wired to a KVM
	 * irqfd), so InterruptStatus must report VRING by itself: Linux's
	 * vm_interrupt() ignores the interrupt otherwise.
	 */
	bool vring_irq_bypass;
	/*
	 * InterruptACK writes of exactly VRING complete inside KVM (an
	 * ioeventfd nobody waits on): the guest's interrupt handler then costs
	 * one exit to userspace (the InterruptStatus read), not two. Such ACKs
	 * never reach us, so VRING must read as set by itself here too; the
	 * driver then checks its rings, which it does for every VRING
	 * interrupt anyway. Set once at setup; survives device resets.
	 */
	bool vring_ack_in_kernel;

	unsigned int nqueues;
	uint16_t queue_num_max;
	struct virtq queues[VIRTIO_MMIO_MAX_QUEUES];
	bool queue_ready[VIRTIO_MMIO_MAX_QUEUES];

	unsigned long mmio_notifies;	/* kicks that trapped instead of ioeventfd */
	unsigned long interrupts;
};

void virtio_mmio_init(struct virtio_mmio *dev, uint32_t device_id, uint64_t features,
		      unsigned int nqueues, uint16_t queue_num_max,
		      const struct guest_mem *mem, const struct virtio_mmio_ops *ops,
		      void *opaque);
void virtio_mmio_destroy(struct virtio_mmio *dev);

/* MMIO handler (struct mmio_bus signature). */
void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data,
			unsigned int len, bool is_write);

/* Set InterruptStatus bits, then raise the line (order matters to Linux). */
void virtio_mmio_interrupt(struct virtio_mmio *dev, uint32_t bits);

/* The driver broke a ring: flag DEVICE_NEEDS_RESET and tell it (§2.1.2). */
void virtio_mmio_needs_reset(struct virtio_mmio *dev);

/* Device status as the driver reads it (with NEEDS_RESET). */
uint32_t virtio_mmio_status(struct virtio_mmio *dev);

/* Stop and reset the device (also used at VM teardown). */
void virtio_mmio_reset(struct virtio_mmio *dev);

static inline bool virtio_has_feature(uint64_t features, unsigned int bit)
{
	return (features >> bit) & 1;
}

#endif
