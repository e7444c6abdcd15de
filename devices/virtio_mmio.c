// SPDX-License-Identifier: MIT
/*
 * virtio-mmio transport, version 2 (virtio 1.2 §4.2). Every register write
 * comes from the untrusted guest: selectors are range-checked, queue setup is
 * only accepted while it may change, and features are checked against what
 * was offered before FEATURES_OK sticks.
 */
#include "devices/virtio_mmio.h"

#include <endian.h>
#include <string.h>

void virtio_mmio_init(struct virtio_mmio *dev, uint32_t device_id, uint64_t features,
		      unsigned int nqueues, uint16_t queue_num_max,
		      const struct guest_mem *mem, const struct virtio_mmio_ops *ops,
		      void *opaque)
{
	memset(dev, 0, sizeof(*dev));
	pthread_mutex_init(&dev->lock, NULL);
	dev->device_id = device_id;
	dev->device_features = features | (1ULL << VIRTIO_F_VERSION_1);
	dev->nqueues = nqueues < VIRTIO_MMIO_MAX_QUEUES ? nqueues : VIRTIO_MMIO_MAX_QUEUES;
	dev->queue_num_max = queue_num_max;
	dev->ops = ops;
	dev->opaque = opaque;
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		dev->queues[i].mem = mem;
}

void virtio_mmio_destroy(struct virtio_mmio *dev)
{
	virtio_mmio_reset(dev);
	pthread_mutex_destroy(&dev->lock);
}

void virtio_mmio_interrupt(struct virtio_mmio *dev, uint32_t bits)
{
	/* Linux's vm_interrupt() ignores the line unless it sees these bits. */
	__atomic_or_fetch(&dev->interrupt_status, bits, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&dev->interrupts, 1, __ATOMIC_RELAXED);
	if (dev->raise_irq)
		dev->raise_irq(dev->irq_opaque);
}

/*
 * Any thread, without the lock (workers must never take it). The flag is
 * ours alone: Status writes never touch it, so neither a driver's write
 * racing with this nor a driver setting the bit itself can lose or fake it.
 */
void virtio_mmio_needs_reset(struct virtio_mmio *dev)
{
	if (!__atomic_exchange_n(&dev->needs_reset, true, __ATOMIC_SEQ_CST))
		virtio_mmio_interrupt(dev, VIRTIO_INT_CONFIG);
}

uint32_t virtio_mmio_status(struct virtio_mmio *dev)
{
	uint32_t s = __atomic_load_n(&dev->status, __ATOMIC_SEQ_CST);

	if (__atomic_load_n(&dev->needs_reset, __ATOMIC_SEQ_CST))
		s |= VIRTIO_CONFIG_S_NEEDS_RESET;
	return s;
}

/* Caller holds the lock (or is the only user, at teardown). */
static void reset_locked(struct virtio_mmio *dev)
{
	if (dev->active && dev->ops->reset)
		dev->ops->reset(dev);
	dev->active = false;
	dev->vring_irq_bypass = false;
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		virtq_reset(&dev->queues[i]);
		dev->queue_ready[i] = false;
	}
	dev->driver_features = 0;
	dev->device_features_sel = dev->driver_features_sel = dev->queue_sel = 0;
	__atomic_store_n(&dev->status, 0, __ATOMIC_SEQ_CST);
	/* After ops->reset(): no worker of the old session is left to set it. */
	__atomic_store_n(&dev->needs_reset, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dev->interrupt_status, 0, __ATOMIC_SEQ_CST);
}

void virtio_mmio_reset(struct virtio_mmio *dev)
{
	pthread_mutex_lock(&dev->lock);
	reset_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

static struct virtq *selected_queue(struct virtio_mmio *dev)
{
	return dev->queue_sel < dev->nqueues ? &dev->queues[dev->queue_sel] : NULL;
}

static uint32_t read_queue_reg(struct virtio_mmio *dev, uint64_t reg)
{
	struct virtq *vq = selected_queue(dev);

	if (!vq)
		return 0;	/* §4.2.2: a queue that does not exist reads as size 0 */
	switch (reg) {
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return dev->queue_num_max;
	case VIRTIO_MMIO_QUEUE_READY:
		return dev->queue_ready[dev->queue_sel];
	default:
		return 0;
	}
}

static uint32_t read_reg(struct virtio_mmio *dev, uint64_t reg)
{
	switch (reg) {
	case VIRTIO_MMIO_MAGIC_VALUE:	return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:	return 2;
	case VIRTIO_MMIO_DEVICE_ID:	return dev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:	return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (dev->device_features_sel > 1)
			return 0;
		return (uint32_t)(dev->device_features >> (32 * dev->device_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
	case VIRTIO_MMIO_QUEUE_READY:
		return read_queue_reg(dev, reg);
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&dev->interrupt_status, __ATOMIC_SEQ_CST) |
		       (dev->vring_irq_bypass || dev->vring_ack_in_kernel ? VIRTIO_INT_VRING : 0);
	case VIRTIO_MMIO_STATUS:
		return virtio_mmio_status(dev);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return 0xffffffff;	/* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	default:
		return 0;
	}
}

static bool can_set_features(struct virtio_mmio *dev)
{
	uint32_t s = dev->status;

	return (s & VIRTIO_CONFIG_S_DRIVER) && !(s & VIRTIO_CONFIG_S_FEATURES_OK);
}

static bool can_set_queues(struct virtio_mmio *dev)
{
	uint32_t s = dev->status;

	return (s & VIRTIO_CONFIG_S_FEATURES_OK) && !(s & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void set_addr_half(uint64_t *addr, uint32_t v, bool high)
{
	if (high)
		*addr = (*addr & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*addr = (*addr & ~0xffffffffULL) | v;
}

static void write_queue_reg(struct virtio_mmio *dev, uint64_t reg, uint32_t v)
{
	struct virtq *vq = selected_queue(dev);

	if (!vq || !can_set_queues(dev) || dev->queue_ready[dev->queue_sel])
		return;	/* ignore: no such queue, wrong phase, or live queue */
	switch (reg) {
	case VIRTIO_MMIO_QUEUE_NUM:
		vq->size = v <= dev->queue_num_max ? (uint16_t)v : 0;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_addr_half(&vq->desc_gpa, v, reg == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		set_addr_half(&vq->driver_gpa, v, reg == VIRTIO_MMIO_QUEUE_DRIVER_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		set_addr_half(&vq->device_gpa, v, reg == VIRTIO_MMIO_QUEUE_DEVICE_HIGH);
		break;
	}
}

static void set_queue_ready(struct virtio_mmio *dev, uint32_t v)
{
	if (dev->queue_sel >= dev->nqueues)
		return;
	if (v == 0) {
		/* Un-readying a live queue is a per-queue reset we don't offer. */
		if (!(dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
			dev->queue_ready[dev->queue_sel] = false;
		return;
	}
	if (can_set_queues(dev))
		dev->queue_ready[dev->queue_sel] = true;
}

static void apply_ring_features(struct virtio_mmio *dev)
{
	uint64_t f = dev->driver_features;

	for (unsigned int i = 0; i < dev->nqueues; i++) {
		dev->queues[i].packed = virtio_has_feature(f, VIRTIO_F_RING_PACKED);
		dev->queues[i].event_idx = virtio_has_feature(f, VIRTIO_RING_F_EVENT_IDX);
		dev->queues[i].indirect = virtio_has_feature(f, VIRTIO_RING_F_INDIRECT_DESC);
	}
}

static bool features_acceptable(struct virtio_mmio *dev)
{
	uint64_t f = dev->driver_features;

	if (f & ~dev->device_features)
		return false;	/* accepted something never offered */
	if (!virtio_has_feature(f, VIRTIO_F_VERSION_1))
		return false;	/* this is a modern-only transport */
	return !dev->ops->features_ok || dev->ops->features_ok(dev, f);
}

/* Start serving queues: every ready queue must map inside guest RAM. */
static void activate(struct virtio_mmio *dev)
{
	for (unsigned int i = 0; i < dev->nqueues; i++) {
		if (dev->queue_ready[i] && virtq_start(&dev->queues[i])) {
			virtio_mmio_needs_reset(dev);
			return;
		}
	}
	if (dev->ops->activate(dev) == 0)
		dev->active = true;
	else
		virtio_mmio_needs_reset(dev);
}

static void write_status(struct virtio_mmio *dev, uint32_t v)
{
	uint32_t old = dev->status;

	if (v == 0) {
		reset_locked(dev);
		return;
	}
	/*
	 * The driver may only add bits (0 resets, above); NEEDS_RESET is ours
	 * (a separate flag), so its bit is dropped here. Keeping every old bit
	 * matters: dropping DRIVER_OK would reopen queue setup under the live
	 * device and activate it twice. dev->status is written only under the
	 * lock, so this read-modify-write cannot race.
	 */
	v = (v | old) & 0xff & ~(uint32_t)VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		if (!features_acceptable(dev))
			v &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;
		else
			apply_ring_features(dev);
	}
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(v & VIRTIO_CONFIG_S_FEATURES_OK))
		v &= ~(uint32_t)VIRTIO_CONFIG_S_DRIVER_OK;	/* out of order */
	__atomic_store_n(&dev->status, v, __ATOMIC_SEQ_CST);
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK))
		activate(dev);
}

static void write_driver_features(struct virtio_mmio *dev, uint32_t v)
{
	unsigned int shift;

	if (!can_set_features(dev) || dev->driver_features_sel > 1)
		return;
	shift = 32 * dev->driver_features_sel;
	dev->driver_features = (dev->driver_features & ~(0xffffffffULL << shift)) |
			       (uint64_t)v << shift;
}

static void write_reg(struct virtio_mmio *dev, uint64_t reg, uint32_t v)
{
	switch (reg) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:	dev->device_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:	dev->driver_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:	write_driver_features(dev, v); break;
	case VIRTIO_MMIO_QUEUE_SEL:		dev->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_READY:		set_queue_ready(dev, v); break;
	case VIRTIO_MMIO_STATUS:		write_status(dev, v); break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_and_fetch(&dev->interrupt_status, ~v, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		dev->mmio_notifies++;
		if (dev->active && v < dev->nqueues && dev->ops->notify)
			dev->ops->notify(dev, v);
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		write_queue_reg(dev, reg, v);
		break;
	default:
		break;	/* read-only or unknown: ignored */
	}
}

void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data,
			unsigned int len, bool is_write)
{
	struct virtio_mmio *dev = opaque;
	uint32_t v;

	pthread_mutex_lock(&dev->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		if (dev->ops->config_access)
			dev->ops->config_access(dev, offset - VIRTIO_MMIO_CONFIG, data, len, is_write);
		else if (!is_write)
			memset(data, 0, len);
	} else if (len != 4 || (offset & 3)) {
		/* §4.2.2.2: registers are 32-bit, aligned; anything else is ignored. */
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		memcpy(&v, data, 4);
		write_reg(dev, offset, le32toh(v));
	} else {
		v = htole32(read_reg(dev, offset));
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&dev->lock);
}
