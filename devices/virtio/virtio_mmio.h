/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VIRTIO_MMIO_H
#define TINYVMM_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtio_dev.h"

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

/* Version 1 (legacy, §4.2.4) only: the rest of its registers are version 2's. */
#define VIRTIO_MMIO_GUEST_PAGE_SIZE	0x028
#define VIRTIO_MMIO_QUEUE_ALIGN		0x03c
#define VIRTIO_MMIO_QUEUE_PFN		0x040

#define VIRTIO_MMIO_MAGIC		0x74726976	/* "virt" */
#define VIRTIO_MMIO_VENDOR		0x4d565954	/* "TYVM" */

#define VIRTIO_INT_VRING		1
#define VIRTIO_INT_CONFIG		2

/*
 * One virtio device on the virtio-mmio transport: the register file and
 * its one interrupt line. What the device is and does is in its virtio_dev.
 */
struct virtio_mmio {
	struct virtio_dev *vdev;
	void (*raise_irq)(void *irq_opaque);	/* edge on the device's SPI */
	void *irq_opaque;

	uint32_t device_features_sel, driver_features_sel;
	uint32_t queue_sel;
	uint32_t interrupt_status;	/* atomic: set by any thread, cleared by ACK */
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

	/*
	 * Version 1 (legacy interface): the device's virtio core is in legacy
	 * mode. GuestPageSize survives a driver reset (Linux writes it once,
	 * at probe); each queue's QueueAlign goes back to its default then.
	 */
	bool legacy;
	uint32_t guest_page_size;
	uint32_t queue_align[VIRTIO_MAX_QUEUES];
};

/* Attach @vdev to a new virtio-mmio transport @mmio (vdev's interrupts go here). */
void virtio_mmio_init(struct virtio_mmio *mmio, struct virtio_dev *vdev);
/* The same, version 1 (legacy): call after the device model set its features. */
void virtio_mmio_init_legacy(struct virtio_mmio *mmio, struct virtio_dev *vdev);

/* Power-on reset (machine reset): the device and every transport register. */
void virtio_mmio_reset(struct virtio_mmio *mmio);

/* MMIO handler (struct mmio_bus signature); @opaque is the struct virtio_mmio. */
void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data,
			unsigned int len, bool is_write);

#endif
