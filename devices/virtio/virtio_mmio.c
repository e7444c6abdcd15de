// SPDX-License-Identifier: MIT
/*
 * virtio-mmio transport (virtio 1.2 §4.2): decodes the register file into
 * virtio core calls (virtio_dev.c, which checks every value) and turns the
 * core's interrupts into InterruptStatus bits and an edge on the device's
 * one interrupt line. Version 2 by default; version 1 (the legacy
 * interface, §4.2.4) differs only in how features and ring addresses are
 * given: GuestPageSize, QueueAlign and QueuePFN instead of QueueReady and
 * the address registers, and the core in legacy mode.
 */
#include "devices/virtio/virtio_mmio.h"

#include "lib/dev_lock.h"

#include <endian.h>
#include <string.h>


/* Set InterruptStatus bits, then raise the line (order matters to Linux). */
static void raise(struct virtio_mmio *mmio, uint32_t bits)
{
	/* Linux's vm_interrupt() ignores the line unless it sees these bits. */
	__atomic_or_fetch(&mmio->interrupt_status, bits, __ATOMIC_SEQ_CST);
	if (mmio->raise_irq)
		mmio->raise_irq(mmio->irq_opaque);
}

/* One line for every queue: any set of queues is one VRING edge. */
static void mmio_interrupt(void *opaque, uint64_t queues)
{
	raise(opaque, VIRTIO_INT_VRING);
}

static void mmio_config_interrupt(void *opaque)
{
	raise(opaque, VIRTIO_INT_CONFIG);
}

static void mmio_irq_bypass(void *opaque, bool on)
{
	struct virtio_mmio *mmio = opaque;

	mmio->vring_irq_bypass = on;
}

static void reset_queue_aligns(struct virtio_mmio *mmio)
{
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		mmio->queue_align[q] = VIRTIO_LEGACY_ALIGN_DEFAULT;
}

void virtio_mmio_init(struct virtio_mmio *mmio, struct virtio_dev *vdev)
{
	memset(mmio, 0, sizeof(*mmio));
	mmio->vdev = vdev;
	mmio->guest_page_size = VIRTIO_LEGACY_PAGE_DEFAULT;
	reset_queue_aligns(mmio);
	/* One line for every queue: no per-queue irqfds. */
	vdev->transport = (struct virtio_transport){
		.interrupt = mmio_interrupt, .config_interrupt = mmio_config_interrupt,
		.irq_bypass = mmio_irq_bypass, .opaque = mmio,
	};
}

void virtio_mmio_init_legacy(struct virtio_mmio *mmio, struct virtio_dev *vdev)
{
	virtio_mmio_init(mmio, vdev);
	mmio->legacy = true;
	virtio_dev_set_legacy(vdev);
}

static uint32_t read_queue_reg(struct virtio_mmio *mmio, uint64_t reg)
{
	struct virtio_dev *vdev = mmio->vdev;

	if (mmio->queue_sel >= vdev->nqueues)
		return 0;	/* §4.2.2: a queue that does not exist reads as size 0 */
	if (reg == VIRTIO_MMIO_QUEUE_NUM_MAX)
		return vdev->queue_num_max;
	if (reg == VIRTIO_MMIO_QUEUE_PFN)
		return virtio_dev_legacy_queue_pfn(vdev, mmio->queue_sel, mmio->guest_page_size);
	return virtio_dev_queue_ready(vdev, mmio->queue_sel);
}

/* Registers one version has and the other does not: reserved there. */
static bool reserved_in_this_version(const struct virtio_mmio *mmio, uint64_t reg)
{
	if (mmio->legacy)
		return reg == VIRTIO_MMIO_QUEUE_READY ||
		       (reg >= VIRTIO_MMIO_QUEUE_DESC_LOW && reg <= VIRTIO_MMIO_CONFIG_GENERATION);
	return reg == VIRTIO_MMIO_GUEST_PAGE_SIZE || reg == VIRTIO_MMIO_QUEUE_ALIGN ||
	       reg == VIRTIO_MMIO_QUEUE_PFN;
}

static uint32_t read_reg(struct virtio_mmio *mmio, uint64_t reg)
{
	struct virtio_dev *vdev = mmio->vdev;

	switch (reg) {
	case VIRTIO_MMIO_MAGIC_VALUE:	return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:	return mmio->legacy ? 1 : 2;
	case VIRTIO_MMIO_DEVICE_ID:	return vdev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:	return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return virtio_dev_device_features(vdev, mmio->device_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_PFN:
		return read_queue_reg(mmio, reg);
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&mmio->interrupt_status, __ATOMIC_SEQ_CST) |
		       (mmio->vring_irq_bypass || mmio->vring_ack_in_kernel ? VIRTIO_INT_VRING : 0);
	case VIRTIO_MMIO_STATUS:
		return virtio_dev_status(vdev);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return 0xffffffff;	/* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return vdev->config_generation;
	default:
		return 0;
	}
}

static void set_addr_half(uint64_t *addr, uint32_t v, bool high)
{
	if (high)
		*addr = (*addr & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*addr = (*addr & ~0xffffffffULL) | v;
}

static void write_queue_addr(struct virtio_mmio *mmio, uint64_t reg, uint32_t v)
{
	struct virtq *vq = virtio_dev_queue_for_setup(mmio->vdev, mmio->queue_sel);

	if (!vq)
		return;	/* ignore: no such queue, wrong phase, or live queue */
	switch (reg) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_addr_half(&vq->desc_gpa, v, reg == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		set_addr_half(&vq->driver_gpa, v, reg == VIRTIO_MMIO_QUEUE_DRIVER_HIGH);
		break;
	default:
		set_addr_half(&vq->device_gpa, v, reg == VIRTIO_MMIO_QUEUE_DEVICE_HIGH);
		break;
	}
}

static void write_status(struct virtio_mmio *mmio, uint32_t v)
{
	virtio_dev_write_status(mmio->vdev, v);
	if (v)
		return;
	/* A reset clears the transport's registers too. */
	mmio->device_features_sel = mmio->driver_features_sel = mmio->queue_sel = 0;
	__atomic_store_n(&mmio->interrupt_status, 0, __ATOMIC_SEQ_CST);
	reset_queue_aligns(mmio);
}

/*
 * Legacy set-up registers. A value no device could use (not a power of
 * two, 0, beyond 64 KiB) is not kept, and the device will not start
 * (DEVICE_NEEDS_RESET) rather than run on a guess.
 */
static void write_legacy_reg(struct virtio_mmio *mmio, uint64_t reg, uint32_t v)
{
	struct virtio_dev *vdev = mmio->vdev;
	uint32_t q = mmio->queue_sel;

	if (reg == VIRTIO_MMIO_GUEST_PAGE_SIZE) {
		if (virtio_legacy_size_valid(v, 1))
			mmio->guest_page_size = v;
		else
			virtio_dev_needs_reset(vdev);
		return;
	}
	if (q >= vdev->nqueues)
		return;	/* no such queue */
	if (reg == VIRTIO_MMIO_QUEUE_PFN) {
		virtio_dev_legacy_set_queue(vdev, q, v, mmio->guest_page_size,
					    mmio->queue_align[q]);
	} else if (virtio_dev_queue_for_setup(vdev, q)) {
		if (virtio_legacy_size_valid(v, VIRTIO_LEGACY_ALIGN_MIN))
			mmio->queue_align[q] = v;
		else
			virtio_dev_needs_reset(vdev);
	}
}

static void write_reg(struct virtio_mmio *mmio, uint64_t reg, uint32_t v)
{
	struct virtio_dev *vdev = mmio->vdev;

	switch (reg) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:	mmio->device_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:	mmio->driver_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_dev_write_driver_features(vdev, mmio->driver_features_sel, v);
		break;
	case VIRTIO_MMIO_QUEUE_SEL:		mmio->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NUM:
		virtio_dev_set_queue_size(vdev, mmio->queue_sel, v);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		virtio_dev_set_queue_ready(vdev, mmio->queue_sel, v != 0);
		break;
	case VIRTIO_MMIO_STATUS:		write_status(mmio, v); break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_and_fetch(&mmio->interrupt_status, ~v, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:		virtio_dev_notify(vdev, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		write_queue_addr(mmio, reg, v);
		break;
	case VIRTIO_MMIO_GUEST_PAGE_SIZE:
	case VIRTIO_MMIO_QUEUE_ALIGN:
	case VIRTIO_MMIO_QUEUE_PFN:
		write_legacy_reg(mmio, reg, v);
		break;
	default:
		break;	/* read-only or unknown: ignored */
	}
}

void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data,
			unsigned int len, bool is_write)
{
	struct virtio_mmio *mmio = opaque;
	uint32_t v;

	dev_lock(&mmio->vdev->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		virtio_dev_config_access(mmio->vdev, offset - VIRTIO_MMIO_CONFIG, data, len,
					 is_write);
	} else if (len != 4 || (offset & 3) || reserved_in_this_version(mmio, offset)) {
		/* §4.2.2.2: registers are 32-bit, aligned; anything else is ignored. */
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		memcpy(&v, data, 4);
		write_reg(mmio, offset, le32toh(v));
	} else {
		v = htole32(read_reg(mmio, offset));
		memcpy(data, &v, 4);
	}
	dev_unlock(&mmio->vdev->lock);
}

void virtio_mmio_reset(struct virtio_mmio *mmio)
{
	dev_lock(&mmio->vdev->lock);
	write_status(mmio, 0);
	mmio->guest_page_size = VIRTIO_LEGACY_PAGE_DEFAULT;
	dev_unlock(&mmio->vdev->lock);
}
