// SPDX-License-Identifier: MIT
/*
 * virtio-pci's common configuration structure (virtio 1.2 §4.1.4.3): each
 * field decoded at its own width into virtio core calls (virtio_dev.c
 * checks every value), the MSI-X vector registers read back as honoured.
 */
#include "devices/virtio/virtio_pci_common.h"

#include <endian.h>
#include <string.h>

void virtio_pci_reset_vectors(struct virtio_pci *vp)
{
	__atomic_store_n(&vp->config_vector, VIRTIO_PCI_NO_VECTOR, __ATOMIC_RELAXED);
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		__atomic_store_n(&vp->queue_vector[q], VIRTIO_PCI_NO_VECTOR, __ATOMIC_RELAXED);
}

/* Width of the common configuration field at @off (0: none starts there). */
static unsigned int common_width(uint64_t off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_STATUS:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return 1;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_Q_SELECT:
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return 2;
	case VIRTIO_PCI_COMMON_DFSELECT:
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_GFSELECT:
	case VIRTIO_PCI_COMMON_GF:
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return 4;
	default:
		return 0;	/* queue_notify_data, queue_reset: features we do not offer */
	}
}

static uint64_t *queue_addr(struct virtq *vq, uint64_t off)
{
	if (off < VIRTIO_PCI_COMMON_Q_AVAILLO)
		return &vq->desc_gpa;
	if (off < VIRTIO_PCI_COMMON_Q_USEDLO)
		return &vq->driver_gpa;
	return &vq->device_gpa;
}

_Static_assert(VIRTIO_MAX_QUEUES <= 64, "queue_size_written is a 64-bit mask");

static bool size_written(const struct virtio_pci *vp, unsigned int q)
{
	return vp->queue_size_written & (1ULL << q);
}

static uint32_t read_queue_field(struct virtio_pci *vp, uint64_t off)
{
	struct virtio_dev *vdev = vp->vdev;
	unsigned int q = vp->queue_select;
	struct virtq *vq;

	if (q >= vdev->nqueues)
		return off == VIRTIO_PCI_COMMON_Q_MSIX ? VIRTIO_PCI_NO_VECTOR : 0;
	vq = &vdev->queues[q];
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		/* Until the driver picks a size, it reads the maximum (§4.1.4.3). */
		return size_written(vp, q) ? vq->size : vdev->queue_num_max;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return __atomic_load_n(&vp->queue_vector[q], __ATOMIC_RELAXED);
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return virtio_dev_queue_ready(vdev, q);
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return q;	/* times notify_off_multiplier: 4 bytes per queue */
	default:
		return (uint32_t)(*queue_addr(vq, off) >> (off & 4 ? 32 : 0));
	}
}

static uint32_t read_common(struct virtio_pci *vp, uint64_t off)
{
	struct virtio_dev *vdev = vp->vdev;
	uint32_t sel;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:	return vp->device_feature_select;
	case VIRTIO_PCI_COMMON_DF:
		return virtio_dev_device_features(vdev, vp->device_feature_select);
	case VIRTIO_PCI_COMMON_GFSELECT:	return vp->driver_feature_select;
	case VIRTIO_PCI_COMMON_GF:
		sel = vp->driver_feature_select;
		return sel > 1 ? 0 : (uint32_t)(vdev->driver_features >> (32 * sel));
	case VIRTIO_PCI_COMMON_MSIX:
		return __atomic_load_n(&vp->config_vector, __ATOMIC_RELAXED);
	case VIRTIO_PCI_COMMON_NUMQ:		return vdev->nqueues;
	case VIRTIO_PCI_COMMON_STATUS:		return virtio_dev_status(vdev) & 0xff;
	case VIRTIO_PCI_COMMON_CFGGENERATION:	return vdev->config_generation & 0xff;
	case VIRTIO_PCI_COMMON_Q_SELECT:	return vp->queue_select;
	default:				return read_queue_field(vp, off);
	}
}

/* A vector the driver may use, or NO_VECTOR (it reads back what it got). */
static uint16_t honour_vector(struct virtio_pci *vp, uint32_t v)
{
	return vp->has_msix && v < vp->msix.nvectors ? (uint16_t)v : VIRTIO_PCI_NO_VECTOR;
}

static void set_half(uint64_t *addr, uint32_t v, bool high)
{
	if (high)
		*addr = (*addr & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*addr = (*addr & ~0xffffffffULL) | v;
}

static void write_queue_field(struct virtio_pci *vp, uint64_t off, uint32_t v)
{
	struct virtio_dev *vdev = vp->vdev;
	unsigned int q = vp->queue_select;
	struct virtq *vq;
	uint16_t vec;

	if (q >= vdev->nqueues)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (!virtio_dev_queue_for_setup(vdev, q))
			break;	/* wrong phase or a live queue: ignored */
		virtio_dev_set_queue_size(vdev, q, v);
		vp->queue_size_written |= 1ULL << q;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		/* Live or not: Linux's vp_find_vqs retries with fewer vectors. */
		vec = honour_vector(vp, v);
		if (__atomic_exchange_n(&vp->queue_vector[q], vec, __ATOMIC_RELAXED) != vec)
			virtio_dev_queue_irqfds_changed(vdev);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		/*
		 * Only 1 may be written; an untouched size means the maximum. A
		 * size the core refused stays 0, so DRIVER_OK sets NEEDS_RESET
		 * instead of device and driver disagreeing on the ring.
		 */
		if (v != 1 || !virtio_dev_queue_for_setup(vdev, q))
			break;
		if (!size_written(vp, q))
			virtio_dev_set_queue_size(vdev, q, vdev->queue_num_max);
		virtio_dev_set_queue_ready(vdev, q, true);
		break;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		break;	/* read-only */
	default:
		vq = virtio_dev_queue_for_setup(vdev, q);
		if (vq)	/* else: wrong phase or a live queue: ignored */
			set_half(queue_addr(vq, off), v, off & 4);
		break;
	}
}

static void write_status(struct virtio_pci *vp, uint32_t v)
{
	virtio_dev_write_status(vp->vdev, v & 0xff);
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && vp->vdev->active) {
		memcpy(vp->queue_vector_at_ready, vp->queue_vector, sizeof(vp->queue_vector));
		vp->config_vector_at_ready = vp->config_vector;
	}
	if (v & 0xff)
		return;
	/* A reset returns the transport's registers to their initial state too. */
	vp->device_feature_select = vp->driver_feature_select = 0;
	vp->queue_select = 0;
	vp->queue_size_written = 0;
	virtio_pci_reset_vectors(vp);
	__atomic_store_n(&vp->isr, 0, __ATOMIC_SEQ_CST);
	pci_config_intx(&vp->cfg, false);
}

static void write_common(struct virtio_pci *vp, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:	vp->device_feature_select = v; break;
	case VIRTIO_PCI_COMMON_GFSELECT:	vp->driver_feature_select = v; break;
	case VIRTIO_PCI_COMMON_GF:
		virtio_dev_write_driver_features(vp->vdev, vp->driver_feature_select, v);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		__atomic_store_n(&vp->config_vector, honour_vector(vp, v), __ATOMIC_RELAXED);
		break;
	case VIRTIO_PCI_COMMON_STATUS:		write_status(vp, v); break;
	case VIRTIO_PCI_COMMON_Q_SELECT:	vp->queue_select = (uint16_t)v; break;
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		break;	/* read-only */
	default:
		write_queue_field(vp, off, v);
		break;
	}
}

void virtio_pci_common_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, unsigned int len,
			      bool is_write)
{
	unsigned int width = common_width(off);
	uint32_t v = 0;

	/* 64-bit fields may come as one 8-byte access: two halves. */
	if (len == 8 && width == 4 && off >= VIRTIO_PCI_COMMON_Q_DESCLO && !(off & 7)) {
		virtio_pci_common_access(vp, off, data, 4, is_write);
		virtio_pci_common_access(vp, off + 4, data + 4, 4, is_write);
		return;
	}
	if (!width || len != width) {
		/* §4.1.3.1: fields are accessed with their own width; ignore the rest. */
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		memcpy(&v, data, len);
		write_common(vp, off, le32toh(v));
		return;
	}
	v = htole32(read_common(vp, off));
	memcpy(data, &v, len);
}
