// SPDX-License-Identifier: MIT
/*
 * The virtio core: status, features and queue set-up as virtio 1.2 §2-3
 * orders them, for any transport. Every write comes from the untrusted
 * driver: selectors are range-checked, queue setup is only accepted while
 * it may change, and features are checked against what was offered before
 * FEATURES_OK sticks.
 */
#include "devices/virtio/virtio_dev.h"

#include <string.h>

static void no_interrupt(void *opaque, uint64_t queues) { }
static void no_config_interrupt(void *opaque) { }
static void no_irq_bypass(void *opaque, bool on) { }

void virtio_dev_init(struct virtio_dev *vdev, uint32_t device_id, uint64_t features,
		     unsigned int nqueues, uint16_t queue_num_max, const struct guest_mem *mem,
		     const struct virtio_dev_ops *ops, void *opaque)
{
	memset(vdev, 0, sizeof(*vdev));
	pthread_mutex_init(&vdev->lock, NULL);
	vdev->device_id = device_id;
	vdev->device_features = features | (1ULL << VIRTIO_F_VERSION_1);
	vdev->nqueues = nqueues < VIRTIO_MAX_QUEUES ? nqueues : VIRTIO_MAX_QUEUES;
	vdev->queue_num_max = queue_num_max;
	vdev->ops = ops;
	vdev->opaque = opaque;
	/* Until a transport attaches, interrupts go nowhere (never NULL calls). */
	vdev->transport = (struct virtio_transport){
		.interrupt = no_interrupt, .config_interrupt = no_config_interrupt,
		.irq_bypass = no_irq_bypass,	/* no queue_irqfd: none */
	};
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vdev->queues[i].mem = mem;
}

void virtio_dev_destroy(struct virtio_dev *vdev)
{
	virtio_dev_reset(vdev);
	pthread_mutex_destroy(&vdev->lock);
}

void virtio_dev_interrupt(struct virtio_dev *vdev, uint64_t queues)
{
	__atomic_add_fetch(&vdev->interrupts, 1, __ATOMIC_RELAXED);
	vdev->transport.interrupt(vdev->transport.opaque, queues);
}

/*
 * Any thread, without the lock (workers must never take it). The flag is
 * ours alone: Status writes never touch it, so neither a driver's write
 * racing with this nor a driver setting the bit itself can lose or fake it.
 */
void virtio_dev_needs_reset(struct virtio_dev *vdev)
{
	if (__atomic_exchange_n(&vdev->needs_reset, true, __ATOMIC_SEQ_CST))
		return;
	__atomic_add_fetch(&vdev->interrupts, 1, __ATOMIC_RELAXED);
	vdev->transport.config_interrupt(vdev->transport.opaque);
}

void virtio_dev_irq_bypass(struct virtio_dev *vdev, bool on)
{
	vdev->transport.irq_bypass(vdev->transport.opaque, on);
}

void virtio_dev_queue_irqfds_changed(struct virtio_dev *vdev)
{
	if (vdev->ops && vdev->ops->queue_irqfds_changed)
		vdev->ops->queue_irqfds_changed(vdev);
}

bool virtio_dev_transport_attached(const struct virtio_dev *vdev)
{
	return vdev->transport.opaque != NULL;
}

bool virtio_dev_has_queue_irqfds(const struct virtio_dev *vdev)
{
	return vdev->transport.queue_irqfd != NULL;
}

int virtio_dev_queue_irqfd(struct virtio_dev *vdev, unsigned int q)
{
	if (!vdev->transport.queue_irqfd || q >= vdev->nqueues)
		return -1;
	return vdev->transport.queue_irqfd(vdev->transport.opaque, q);
}

void virtio_dev_config_changed(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	/* The driver re-reads config space when the generation moves. */
	vdev->config_generation++;
	pthread_mutex_unlock(&vdev->lock);
	__atomic_add_fetch(&vdev->interrupts, 1, __ATOMIC_RELAXED);
	vdev->transport.config_interrupt(vdev->transport.opaque);
}

uint32_t virtio_dev_status(struct virtio_dev *vdev)
{
	uint32_t s = __atomic_load_n(&vdev->status, __ATOMIC_SEQ_CST);

	if (__atomic_load_n(&vdev->needs_reset, __ATOMIC_SEQ_CST))
		s |= VIRTIO_CONFIG_S_NEEDS_RESET;
	return s;
}

/* Caller holds the lock (or is the only user, at teardown). */
static void reset_locked(struct virtio_dev *vdev)
{
	if (vdev->active && vdev->ops->reset)
		vdev->ops->reset(vdev);
	vdev->active = false;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		virtq_reset(&vdev->queues[i]);
		vdev->queue_ready[i] = false;
	}
	vdev->driver_features = 0;
	__atomic_store_n(&vdev->status, 0, __ATOMIC_SEQ_CST);
	/* After ops->reset(): no worker of the old session is left to set it. */
	__atomic_store_n(&vdev->needs_reset, false, __ATOMIC_SEQ_CST);
}

void virtio_dev_reset(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	reset_locked(vdev);
	pthread_mutex_unlock(&vdev->lock);
}

/* Legacy has no FEATURES_OK: features and queues may change until DRIVER_OK. */
static bool can_set_features(struct virtio_dev *vdev)
{
	uint32_t s = vdev->status;

	if (vdev->legacy)
		return !(s & VIRTIO_CONFIG_S_DRIVER_OK);
	return (s & VIRTIO_CONFIG_S_DRIVER) && !(s & VIRTIO_CONFIG_S_FEATURES_OK);
}

static bool can_set_queues(struct virtio_dev *vdev)
{
	uint32_t s = vdev->status;

	if (vdev->legacy)
		return !(s & VIRTIO_CONFIG_S_DRIVER_OK);
	return (s & VIRTIO_CONFIG_S_FEATURES_OK) && !(s & VIRTIO_CONFIG_S_DRIVER_OK);
}

/* The last feature word a driver can select: legacy has one (bits 0-31). */
static uint32_t last_feature_word(const struct virtio_dev *vdev)
{
	return vdev->legacy ? 0 : 1;
}

uint32_t virtio_dev_device_features(struct virtio_dev *vdev, uint32_t sel)
{
	return sel > last_feature_word(vdev) ? 0 : (uint32_t)(vdev->device_features >> (32 * sel));
}

void virtio_dev_write_driver_features(struct virtio_dev *vdev, uint32_t sel, uint32_t v)
{
	unsigned int shift;

	if (!can_set_features(vdev) || sel > last_feature_word(vdev))
		return;
	shift = 32 * sel;
	vdev->driver_features = (vdev->driver_features & ~(0xffffffffULL << shift)) |
				(uint64_t)v << shift;
}

struct virtq *virtio_dev_queue_for_setup(struct virtio_dev *vdev, uint32_t q)
{
	if (q >= vdev->nqueues || !can_set_queues(vdev) || vdev->queue_ready[q])
		return NULL;	/* no such queue, wrong phase, or live queue */
	return &vdev->queues[q];
}

void virtio_dev_set_queue_size(struct virtio_dev *vdev, uint32_t q, uint32_t size)
{
	struct virtq *vq = virtio_dev_queue_for_setup(vdev, q);

	if (vq)
		vq->size = size <= vdev->queue_num_max ? (uint16_t)size : 0;
}

bool virtio_dev_queue_ready(struct virtio_dev *vdev, uint32_t q)
{
	return q < vdev->nqueues && vdev->queue_ready[q];
}

void virtio_dev_set_queue_ready(struct virtio_dev *vdev, uint32_t q, bool ready)
{
	if (q >= vdev->nqueues)
		return;
	if (!ready) {
		/* Un-readying a live queue is a per-queue reset we don't offer. */
		if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK))
			vdev->queue_ready[q] = false;
		return;
	}
	if (can_set_queues(vdev))
		vdev->queue_ready[q] = true;
}

void virtio_dev_notify(struct virtio_dev *vdev, uint32_t q)
{
	vdev->trapped_notifies++;
	if (vdev->active && q < vdev->nqueues && vdev->ops->notify)
		vdev->ops->notify(vdev, q);
}

void virtio_dev_config_access(struct virtio_dev *vdev, uint64_t offset, uint8_t *data,
			      unsigned int len, bool is_write)
{
	if (vdev->ops->config_access)
		vdev->ops->config_access(vdev, offset, data, len, is_write);
	else if (!is_write)
		memset(data, 0, len);
}

static void apply_ring_features(struct virtio_dev *vdev)
{
	uint64_t f = vdev->driver_features;

	for (unsigned int i = 0; i < vdev->nqueues; i++) {
		vdev->queues[i].packed = virtio_has_feature(f, VIRTIO_F_RING_PACKED);
		vdev->queues[i].event_idx = virtio_has_feature(f, VIRTIO_RING_F_EVENT_IDX);
		vdev->queues[i].indirect = virtio_has_feature(f, VIRTIO_RING_F_INDIRECT_DESC);
	}
}

static bool features_acceptable(struct virtio_dev *vdev)
{
	uint64_t f = vdev->driver_features;

	if (f & ~vdev->device_features)
		return false;	/* accepted something never offered */
	if (!vdev->legacy && !virtio_has_feature(f, VIRTIO_F_VERSION_1))
		return false;	/* a modern device takes modern drivers only (§2.2.3) */
	return !vdev->ops->features_ok || vdev->ops->features_ok(vdev, f);
}

/* Start serving queues: every ready queue must map inside guest RAM. */
static void activate(struct virtio_dev *vdev)
{
	if (__atomic_load_n(&vdev->needs_reset, __ATOMIC_SEQ_CST))
		return;	/* the driver broke the set-up (legacy: a bad QueuePFN) */
	for (unsigned int i = 0; i < vdev->nqueues; i++) {
		if (vdev->queue_ready[i] && virtq_start(&vdev->queues[i])) {
			virtio_dev_needs_reset(vdev);
			return;
		}
	}
	if (vdev->ops->activate(vdev) == 0)
		vdev->active = true;
	else
		virtio_dev_needs_reset(vdev);
}

/*
 * Legacy: no FEATURES_OK step (the bit means nothing and is not kept); the
 * features are checked once, when DRIVER_OK arrives, and a driver that
 * accepted something unacceptable gets a device that stays down
 * (DEVICE_NEEDS_RESET) instead of one running with them.
 */
static void write_status_legacy(struct virtio_dev *vdev, uint32_t old, uint32_t v)
{
	v &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;
	__atomic_store_n(&vdev->status, v, __ATOMIC_SEQ_CST);
	if (!(v & VIRTIO_CONFIG_S_DRIVER_OK) || (old & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	if (!features_acceptable(vdev)) {
		virtio_dev_needs_reset(vdev);
		return;
	}
	apply_ring_features(vdev);
	activate(vdev);
}

void virtio_dev_write_status(struct virtio_dev *vdev, uint32_t v)
{
	uint32_t old = vdev->status;

	if (v == 0) {
		reset_locked(vdev);
		return;
	}
	/*
	 * The driver may only add bits (0 resets, above); NEEDS_RESET is ours
	 * (a separate flag), so its bit is dropped here. Keeping every old bit
	 * matters: dropping DRIVER_OK would reopen queue setup under the live
	 * device and activate it twice. vdev->status is written only under the
	 * lock, so this read-modify-write cannot race.
	 */
	v = (v | old) & 0xff & ~(uint32_t)VIRTIO_CONFIG_S_NEEDS_RESET;
	if (vdev->legacy) {
		write_status_legacy(vdev, old, v);
		return;
	}
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		if (!features_acceptable(vdev))
			v &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;
		else
			apply_ring_features(vdev);
	}
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(v & VIRTIO_CONFIG_S_FEATURES_OK))
		v &= ~(uint32_t)VIRTIO_CONFIG_S_DRIVER_OK;	/* out of order */
	__atomic_store_n(&vdev->status, v, __ATOMIC_SEQ_CST);
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK))
		activate(vdev);
}

void virtio_dev_set_legacy(struct virtio_dev *vdev)
{
	vdev->legacy = true;
	/* One 32-bit word: VERSION_1, RING_PACKED and the rest above 31 go. */
	vdev->device_features &= 0xffffffffULL;
}

bool virtio_legacy_size_valid(uint32_t v, uint32_t min)
{
	return v >= min && v <= VIRTIO_LEGACY_SIZE_MAX && (v & (v - 1)) == 0;
}

static void legacy_release_queue(struct virtio_dev *vdev, uint32_t q)
{
	struct virtq *vq = &vdev->queues[q];

	vq->desc_gpa = vq->driver_gpa = vq->device_gpa = 0;
	vdev->queue_ready[q] = false;
}

/* Where the rings of a queue of @size at @base go, if all of it is guest RAM. */
static bool legacy_layout(struct virtq *vq, uint64_t base, uint32_t align)
{
	uint16_t size = vq->size;
	uint64_t used = base + virtq_legacy_used_offset(size, align);

	if (!size || (size & (size - 1)))
		return false;	/* unset, too large (recorded as 0) or not a power of two */
	if (!guest_mem_ptr(vq->mem, base, used - base + virtq_device_bytes(false, size)))
		return false;
	vq->desc_gpa = base;
	vq->driver_gpa = base + virtq_desc_bytes(false, size);
	vq->device_gpa = used;
	return true;
}

int virtio_dev_legacy_set_queue(struct virtio_dev *vdev, uint32_t q, uint32_t pfn,
				uint32_t page_size, uint32_t align)
{
	struct virtq *vq;

	if (q >= vdev->nqueues || !can_set_queues(vdev))
		return -1;	/* no such queue, or live: ignored */
	if (pfn == 0) {
		legacy_release_queue(vdev, q);
		return -1;
	}
	vq = virtio_dev_queue_for_setup(vdev, q);
	if (!vq)
		return -1;	/* set already: release it first */
	/* pfn < 2^32 and page_size <= 2^16: the base fits 48 bits, no overflow. */
	if (!virtio_legacy_size_valid(page_size, 1) ||
	    !virtio_legacy_size_valid(align, VIRTIO_LEGACY_ALIGN_MIN) ||
	    !legacy_layout(vq, (uint64_t)pfn * page_size, align)) {
		virtio_dev_needs_reset(vdev);
		return -1;
	}
	vdev->queue_ready[q] = true;
	return 0;
}

uint32_t virtio_dev_legacy_queue_pfn(struct virtio_dev *vdev, uint32_t q, uint32_t page_size)
{
	if (!virtio_dev_queue_ready(vdev, q) || !virtio_legacy_size_valid(page_size, 1))
		return 0;
	return (uint32_t)(vdev->queues[q].desc_gpa / page_size);
}
