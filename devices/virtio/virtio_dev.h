/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VIRTIO_DEV_H
#define TINYVMM_VIRTIO_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/virtq.h"

/*
 * The virtio core (virtio 1.2 §2-3): what every virtio device has whatever
 * transport carries it — the status state machine, feature negotiation and
 * its checks, queue configuration and its phase rules, DEVICE_NEEDS_RESET,
 * the config generation. A transport (virtio_mmio.c or virtio_pci.c)
 * decodes the driver's register accesses into these calls and delivers
 * interrupts; a device model (devices/net/) sees only this interface.
 * Every value the driver writes is untrusted and checked here.
 */
#define VIRTIO_MAX_QUEUES	33	/* 16 queue pairs + control */

/*
 * The legacy interface (virtio 1.2 §4.2.4, virtio-mmio version 1): features
 * are one 32-bit word (no VERSION_1, so no packed ring), there is no
 * FEATURES_OK step, and a queue is placed by one page frame number in the
 * legacy layout (§2.7.2) instead of three addresses. Values are in the
 * guest's byte order, which tinyvmm takes as little-endian (arm64 guests
 * run little-endian; a big-endian guest kernel is not supported).
 * GuestPageSize and QueueAlign: powers of two up to 64 KiB (arm64's
 * largest page); the used ring needs QueueAlign >= 4.
 */
#define VIRTIO_LEGACY_ALIGN_DEFAULT	4096
#define VIRTIO_LEGACY_PAGE_DEFAULT	4096
#define VIRTIO_LEGACY_SIZE_MAX		65536
#define VIRTIO_LEGACY_ALIGN_MIN		4

struct virtio_dev;

/* The device model's side. */
struct virtio_dev_ops {
	/* DRIVER_OK: queues are configured; start serving them. */
	int (*activate)(struct virtio_dev *vdev);
	/* Status 0 or teardown: stop touching queues before they are cleared. */
	void (*reset)(struct virtio_dev *vdev);
	/* A queue notification that reached userspace (no ioeventfd took it). */
	void (*notify)(struct virtio_dev *vdev, unsigned int queue);
	/* Device-specific config space; reads fill @data. */
	void (*config_access)(struct virtio_dev *vdev, uint64_t offset, uint8_t *data,
			      unsigned int len, bool is_write);
	/* Extra device rules on the accepted features; false refuses FEATURES_OK. */
	bool (*features_ok)(struct virtio_dev *vdev, uint64_t features);
	/*
	 * Optional. What virtio_dev_queue_irqfd() returns may have changed
	 * (the driver reassigned a queue's MSI-X vector, or turned MSI-X on
	 * or off). The transport calls it with vdev->lock held.
	 */
	void (*queue_irqfds_changed)(struct virtio_dev *vdev);
};

/* The transport's side: how the guest is told things. Any thread, no lock. */
struct virtio_transport {
	/* The device used buffers of the queues in @queues (bit n: queue n). */
	void (*interrupt)(void *opaque, uint64_t queues);
	/* Config space changed, or DEVICE_NEEDS_RESET was set. */
	void (*config_interrupt)(void *opaque);
	/*
	 * Queue interrupts now reach the guest without us (vhost's call
	 * eventfds are KVM irqfds), or no longer: the transport adjusts what
	 * the driver reads (virtio-mmio's InterruptStatus).
	 */
	void (*irq_bypass)(void *opaque, bool on);
	void *opaque;
	/*
	 * Optional (NULL on a one-line transport). An eventfd whose signal
	 * interrupts the guest for queue @q with no userspace work (a KVM
	 * irqfd of the queue's MSI-X vector; queues sharing a vector share
	 * it), or -1 when queue @q has none now (no vector, MSI-X off): then
	 * interrupt() is the way. Called with vdev->lock held.
	 */
	int (*queue_irqfd)(void *opaque, unsigned int q);
};

struct virtio_dev {
	pthread_mutex_t lock;		/* driver accesses; held by the transport */
	const struct virtio_dev_ops *ops;
	void *opaque;			/* the device model */
	struct virtio_transport transport;

	uint32_t device_id;
	bool legacy;			/* legacy interface (set at attach, never changes) */
	uint64_t device_features;
	uint64_t driver_features;
	uint32_t status;		/* the driver's bits; written under the lock */
	bool needs_reset;		/* atomic: DEVICE_NEEDS_RESET, set by any thread */
	uint32_t config_generation;
	bool active;			/* activate() succeeded, reset() pending */

	unsigned int nqueues;
	uint16_t queue_num_max;
	struct virtq queues[VIRTIO_MAX_QUEUES];
	bool queue_ready[VIRTIO_MAX_QUEUES];

	unsigned long interrupts;	/* atomic: queue and config interrupts sent */
	unsigned long trapped_notifies;	/* notifications that reached userspace */
};

void virtio_dev_init(struct virtio_dev *vdev, uint32_t device_id, uint64_t features,
		     unsigned int nqueues, uint16_t queue_num_max, const struct guest_mem *mem,
		     const struct virtio_dev_ops *ops, void *opaque);
void virtio_dev_destroy(struct virtio_dev *vdev);

/* Stop and reset the device (also used at VM teardown). Takes the lock. */
void virtio_dev_reset(struct virtio_dev *vdev);

/* The rest is called by the transport with vdev->lock held. */

/* Device status as the driver reads it (with NEEDS_RESET). Any thread. */
uint32_t virtio_dev_status(struct virtio_dev *vdev);
/* The driver writes Status: 0 resets, else bits are added in order. */
void virtio_dev_write_status(struct virtio_dev *vdev, uint32_t v);
/* 32 feature bits starting at 32 * @sel (0 beyond the 64 we have). */
uint32_t virtio_dev_device_features(struct virtio_dev *vdev, uint32_t sel);
/* The driver accepts features word @sel; ignored outside negotiation. */
void virtio_dev_write_driver_features(struct virtio_dev *vdev, uint32_t sel, uint32_t v);
/* Queue @q while the driver may configure it (FEATURES_OK, not live), else NULL. */
struct virtq *virtio_dev_queue_for_setup(struct virtio_dev *vdev, uint32_t q);
/* Queue size: larger than queue_num_max is recorded as 0 (refused at DRIVER_OK). */
void virtio_dev_set_queue_size(struct virtio_dev *vdev, uint32_t q, uint32_t size);
void virtio_dev_set_queue_ready(struct virtio_dev *vdev, uint32_t q, bool ready);
bool virtio_dev_queue_ready(struct virtio_dev *vdev, uint32_t q);
/* A notification of queue @q the transport trapped. */
void virtio_dev_notify(struct virtio_dev *vdev, uint32_t q);
/* Device config space access (reads of nothing give zeros). */
void virtio_dev_config_access(struct virtio_dev *vdev, uint64_t offset, uint8_t *data,
			      unsigned int len, bool is_write);

/*
 * Legacy interface. virtio_dev_set_legacy() once, when a legacy transport
 * attaches (after the device model set its features): it keeps only the
 * features a legacy driver can see.
 */
void virtio_dev_set_legacy(struct virtio_dev *vdev);
/* A GuestPageSize (@min 1) or QueueAlign (@min VIRTIO_LEGACY_ALIGN_MIN) a device accepts. */
bool virtio_legacy_size_valid(uint32_t v, uint32_t min);
/*
 * QueuePFN: place queue @q's rings at @pfn * @page_size in the legacy
 * layout with its used ring at @align; 0 releases the queue. Ignored
 * outside set-up (live, no such queue). A ring that would not lie wholly
 * in guest RAM, a queue size that is not a power of two, or an invalid
 * page size or alignment leaves the queue unset and the device in
 * DEVICE_NEEDS_RESET (it will not start). Returns 0 if the queue is set.
 */
int virtio_dev_legacy_set_queue(struct virtio_dev *vdev, uint32_t q, uint32_t pfn,
				uint32_t page_size, uint32_t align);
/* QueuePFN as read back: the page of a set queue's descriptors, else 0. */
uint32_t virtio_dev_legacy_queue_pfn(struct virtio_dev *vdev, uint32_t q, uint32_t page_size);

/* The transport's per-queue irqfds changed (lock held): tell the device model. */
void virtio_dev_queue_irqfds_changed(struct virtio_dev *vdev);

/* Called by the device model with vdev->lock held. */

/* Whether a transport (mmio or pci) has attached: its opaque is set. */
bool virtio_dev_transport_attached(const struct virtio_dev *vdev);
/* Whether the transport has per-queue irqfds at all (virtio-pci with MSI-X vectors). */
bool virtio_dev_has_queue_irqfds(const struct virtio_dev *vdev);
/* Queue @q's irqfd now, or -1 (see struct virtio_transport.queue_irqfd). */
int virtio_dev_queue_irqfd(struct virtio_dev *vdev, unsigned int q);

/* Called by the device model, any thread, without the lock. */

/* Used buffers in the queues of @queues (bit n: queue n): interrupt. */
void virtio_dev_interrupt(struct virtio_dev *vdev, uint64_t queues);
/* A driver broke a ring: flag DEVICE_NEEDS_RESET and tell it, once (§2.1.2). */
void virtio_dev_needs_reset(struct virtio_dev *vdev);
/* Queue interrupts bypass userspace now (or no longer); see virtio_transport. */
void virtio_dev_irq_bypass(struct virtio_dev *vdev, bool on);
/* Config space changed: move the generation and tell the driver. Takes the lock. */
void virtio_dev_config_changed(struct virtio_dev *vdev);

static inline bool virtio_has_feature(uint64_t features, unsigned int bit)
{
	return (features >> bit) & 1;
}

#endif
