// SPDX-License-Identifier: MIT
/*
 * virtio-pci transport, modern (virtio 1.2 §4.1): the vendor capabilities,
 * BAR 0's layout (the common configuration structure is decoded in
 * virtio_pci_common.c), notifications, the ISR, and the
 * interrupts: an MSI-X vector per queue as the driver assigned them, or
 * ISR plus INTA when MSI-X is off.
 */
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_pci_common.h"

#include <endian.h>
#include <string.h>

#define PCI_CAP_ID_VNDR		0x09
#define VIRTIO_CAP_LEN		16
#define VIRTIO_NOTIFY_CAP_LEN	20
#define VIRTIO_PCI_CFG_CAP_LEN	20
#define VIRTIO_PCI_CFG_DATA	16	/* pci_cfg_data, within the capability */

/* Add one virtio vendor capability (struct virtio_pci_cap) for a BAR 0 region. */
static int add_virtio_cap(struct pci_config *cfg, uint8_t type, uint32_t offset,
			  uint32_t length)
{
	unsigned int len = type == VIRTIO_PCI_CAP_NOTIFY_CFG ? VIRTIO_NOTIFY_CAP_LEN
							     : VIRTIO_CAP_LEN;
	int cap = pci_config_add_cap(cfg, PCI_CAP_ID_VNDR, len, NULL, NULL);

	if (cap < 0)
		return -1;
	pci_config_set(cfg, (unsigned int)cap + VIRTIO_PCI_CAP_LEN, 1, len);
	pci_config_set(cfg, (unsigned int)cap + VIRTIO_PCI_CAP_CFG_TYPE, 1, type);
	pci_config_set(cfg, (unsigned int)cap + VIRTIO_PCI_CAP_BAR, 1, VIRTIO_PCI_BAR);
	pci_config_set(cfg, (unsigned int)cap + VIRTIO_PCI_CAP_OFFSET, 4, offset);
	pci_config_set(cfg, (unsigned int)cap + VIRTIO_PCI_CAP_LENGTH, 4, length);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		pci_config_set(cfg, (unsigned int)cap + VIRTIO_PCI_NOTIFY_CAP_MULT, 4,
			       VIRTIO_PCI_NOTIFY_MULT);
	return 0;
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (§4.1.4.9): the driver picks bar, offset and length
 * (1, 2 or 4, offset aligned to it) in the capability, then an access to
 * pci_cfg_data is that access to the BAR. Hooks run under the bus lock.
 */
static bool pci_cfg_window(struct virtio_pci *vp, unsigned int off, unsigned int len,
			   unsigned int *bar, uint32_t *offset, uint32_t *length)
{
	unsigned int cap = vp->pci_cfg_cap, data = cap + VIRTIO_PCI_CFG_DATA;

	if (off >= data + 4 || data >= off + len)
		return false;	/* pci_cfg_data not touched: only the window moved */
	*bar = pci_config_get(&vp->cfg, cap + VIRTIO_PCI_CAP_BAR, 1);
	*offset = pci_config_get(&vp->cfg, cap + VIRTIO_PCI_CAP_OFFSET, 4);
	*length = pci_config_get(&vp->cfg, cap + VIRTIO_PCI_CAP_LENGTH, 4);
	return (*length == 1 || *length == 2 || *length == 4) && !(*offset % *length) &&
	       *offset <= VIRTIO_PCI_BAR_SIZE - *length;
}

static void pci_cfg_written(void *opaque, unsigned int cap, unsigned int off, unsigned int len)
{
	struct virtio_pci *vp = opaque;
	uint32_t offset, length, value;
	unsigned int bar;
	uint8_t buf[4];

	if (!pci_cfg_window(vp, off, len, &bar, &offset, &length))
		return;
	value = htole32(pci_config_get(&vp->cfg, cap + VIRTIO_PCI_CFG_DATA, 4));
	memcpy(buf, &value, 4);
	virtio_pci_bar_access(vp, bar, offset, buf, length, true);
}

static void pci_cfg_reading(void *opaque, unsigned int cap, unsigned int off, unsigned int len)
{
	struct virtio_pci *vp = opaque;
	uint32_t offset, length, value = 0;
	unsigned int bar;

	if (!pci_cfg_window(vp, off, len, &bar, &offset, &length))
		return;
	virtio_pci_bar_access(vp, bar, offset, (uint8_t *)&value, length, false);
	pci_config_set(&vp->cfg, cap + VIRTIO_PCI_CFG_DATA, 4, le32toh(value));
}

static int add_pci_cfg_cap(struct virtio_pci *vp)
{
	int cap = pci_config_add_cap(&vp->cfg, PCI_CAP_ID_VNDR, VIRTIO_PCI_CFG_CAP_LEN,
				     pci_cfg_written, vp);

	if (cap < 0 || pci_config_cap_on_read(&vp->cfg, (unsigned int)cap, pci_cfg_reading))
		return -1;
	vp->pci_cfg_cap = (unsigned int)cap;
	pci_config_set(&vp->cfg, (unsigned int)cap + VIRTIO_PCI_CAP_LEN, 1, VIRTIO_PCI_CFG_CAP_LEN);
	pci_config_set(&vp->cfg, (unsigned int)cap + VIRTIO_PCI_CAP_CFG_TYPE, 1,
		       VIRTIO_PCI_CAP_PCI_CFG);
	pci_config_set_wmask(&vp->cfg, (unsigned int)cap + VIRTIO_PCI_CAP_BAR, 1, 0xff);
	pci_config_set_wmask(&vp->cfg, (unsigned int)cap + VIRTIO_PCI_CAP_OFFSET, 4, 0xffffffff);
	pci_config_set_wmask(&vp->cfg, (unsigned int)cap + VIRTIO_PCI_CAP_LENGTH, 4, 0xffffffff);
	pci_config_set_wmask(&vp->cfg, (unsigned int)cap + VIRTIO_PCI_CFG_DATA, 4, 0xffffffff);
	return 0;
}

static bool msix_on(struct virtio_pci *vp)
{
	return vp->has_msix && msix_enabled(&vp->msix);
}

/*
 * INTx: ISR bits, then the function's interrupt condition (level, until the
 * driver reads ISR); pci_config gates the pin with Command.INTX_DISABLE.
 */
static void raise_intx(struct virtio_pci *vp, uint8_t bits)
{
	__atomic_or_fetch(&vp->isr, bits, __ATOMIC_SEQ_CST);
	pci_config_intx(&vp->cfg, true);
}

/* struct pci_config's INTx pin: the line vm_pci (or a test) wired up. */
static void intx_pin(void *opaque, bool level)
{
	struct virtio_pci *vp = opaque;

	if (vp->set_intx)
		vp->set_intx(vp->intx_opaque, level);
}

static void pci_interrupt(void *opaque, uint64_t queues)
{
	struct virtio_pci *vp = opaque;
	uint64_t fired = 0;

	if (!msix_on(vp)) {
		raise_intx(vp, VIRTIO_PCI_ISR_QUEUE);
		return;
	}
	for (unsigned int q = 0; q < vp->vdev->nqueues; q++) {
		uint16_t vec = __atomic_load_n(&vp->queue_vector[q], __ATOMIC_RELAXED);

		if (!(queues & (1ULL << q)) || vec == VIRTIO_PCI_NO_VECTOR ||
		    vec >= MSIX_MAX_VECTORS || (fired & (1ULL << vec)))
			continue;	/* one message per vector, however many queues share it */
		fired |= 1ULL << vec;
		msix_fire(&vp->msix, vec);
	}
}

static void pci_config_interrupt(void *opaque)
{
	struct virtio_pci *vp = opaque;
	uint16_t vec = __atomic_load_n(&vp->config_vector, __ATOMIC_RELAXED);

	/* §4.1.4.5: the config bit is set in ISR whether or not MSI-X is used. */
	if (!msix_on(vp)) {
		raise_intx(vp, VIRTIO_PCI_ISR_CONFIG);
		return;
	}
	__atomic_or_fetch(&vp->isr, VIRTIO_PCI_ISR_CONFIG, __ATOMIC_SEQ_CST);
	if (vec != VIRTIO_PCI_NO_VECTOR)
		msix_fire(&vp->msix, vec);
}

/* Nothing to adjust: with MSI-X the driver reads no status to find its queues. */
static void pci_irq_bypass(void *opaque, bool on)
{
}

/*
 * struct virtio_transport.queue_irqfd: the eventfd of the vector the driver
 * gave queue @q, while MSI-X is on. vdev->lock held (then the MSI-X lock).
 */
static int pci_queue_irqfd(void *opaque, unsigned int q)
{
	struct virtio_pci *vp = opaque;
	uint16_t vec;

	if (!vp->vector_fd || q >= VIRTIO_MAX_QUEUES || !msix_on(vp))
		return -1;
	vec = __atomic_load_n(&vp->queue_vector[q], __ATOMIC_RELAXED);
	if (vec == VIRTIO_PCI_NO_VECTOR || vec >= vp->msix.nvectors)
		return -1;
	return vp->vector_fd(vp->vector_fd_opaque, vec);
}

void virtio_pci_msix_toggled(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->vdev->lock);
	virtio_dev_queue_irqfds_changed(vp->vdev);
	pthread_mutex_unlock(&vp->vdev->lock);
}

int virtio_pci_init(struct virtio_pci *vp, struct virtio_dev *vdev, uint32_t class_code,
		    unsigned int nvectors, const struct msix_ops *msix_ops, void *msix_opaque)
{
	struct pci_config_ids ids = {
		.vendor = VIRTIO_PCI_VENDOR,
		.device = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + vdev->device_id),
		.subsys_vendor = VIRTIO_PCI_VENDOR,
		.subsys_id = VIRTIO_PCI_SUBSYS_ID,
		.revision = VIRTIO_PCI_REVISION,
		.class_code = class_code,
		.int_pin = 1,
	};
	uint32_t notify_len = VIRTIO_PCI_NOTIFY_MULT * (vdev->nqueues ? vdev->nqueues : 1);

	memset(vp, 0, sizeof(*vp));
	if (nvectors > MSIX_MAX_VECTORS || vdev->device_id > 0xffff - VIRTIO_PCI_DEVICE_BASE)
		return -1;
	vp->vdev = vdev;
	virtio_pci_reset_vectors(vp);
	memcpy(vp->queue_vector_at_ready, vp->queue_vector, sizeof(vp->queue_vector));
	vp->config_vector_at_ready = VIRTIO_PCI_NO_VECTOR;
	pci_config_init(&vp->cfg, &ids, NULL, NULL);
	pci_config_set_intx_pin(&vp->cfg, intx_pin, vp);
	if (pci_config_add_bar(&vp->cfg, VIRTIO_PCI_BAR, PCI_BAR_MEM32, VIRTIO_PCI_BAR_SIZE, false) ||
	    add_virtio_cap(&vp->cfg, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
			   VIRTIO_PCI_COMMON_LEN) ||
	    add_virtio_cap(&vp->cfg, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF, notify_len) ||
	    add_virtio_cap(&vp->cfg, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF,
			   VIRTIO_PCI_ISR_LEN) ||
	    add_virtio_cap(&vp->cfg, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
			   VIRTIO_PCI_DEVICE_LEN) ||
	    add_pci_cfg_cap(vp))
		return -1;
	if (nvectors) {
		if (pci_config_add_bar(&vp->cfg, VIRTIO_PCI_MSIX_BAR, PCI_BAR_MEM32,
				       VIRTIO_PCI_BAR_SIZE, false) ||
		    msix_init(&vp->msix, &vp->cfg, nvectors, VIRTIO_PCI_MSIX_BAR,
			      VIRTIO_PCI_MSIX_TABLE_OFF, VIRTIO_PCI_MSIX_BAR, VIRTIO_PCI_MSIX_PBA_OFF,
			      msix_ops, msix_opaque))
			return -1;
		vp->has_msix = true;
	}
	vdev->transport = (struct virtio_transport){
		.interrupt = pci_interrupt, .config_interrupt = pci_config_interrupt,
		.irq_bypass = pci_irq_bypass, .opaque = vp, .queue_irqfd = pci_queue_irqfd,
	};
	return 0;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (vp->has_msix)
		msix_destroy(&vp->msix);
	vp->has_msix = false;
	pci_config_destroy(&vp->cfg);
}

void virtio_pci_set_config_ops(struct virtio_pci *vp, const struct pci_config_ops *ops,
			       void *opaque)
{
	vp->cfg.ops = ops;
	vp->cfg.opaque = opaque;
}

uint64_t virtio_pci_notify_addr(const struct virtio_pci *vp, unsigned int q)
{
	return vp->cfg.bars[VIRTIO_PCI_BAR].addr + VIRTIO_PCI_NOTIFY_OFF +
	       (uint64_t)VIRTIO_PCI_NOTIFY_MULT * q;
}

static void isr_read(struct virtio_pci *vp, uint8_t *data, unsigned int len)
{
	/* Reading ISR acknowledges it and lowers INTx (§4.1.4.5). */
	uint8_t isr = __atomic_exchange_n(&vp->isr, 0, __ATOMIC_SEQ_CST);

	memset(data, 0, len);
	data[0] = isr;
	pci_config_intx(&vp->cfg, false);
	if (__atomic_load_n(&vp->isr, __ATOMIC_SEQ_CST))
		pci_config_intx(&vp->cfg, true);	/* raised again meanwhile */
}

static bool in_range(uint64_t off, unsigned int len, uint64_t start, uint64_t size)
{
	return off >= start && off - start < size && len <= size - (off - start);
}

static void bar0_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, unsigned int len,
			bool is_write)
{
	struct virtio_dev *vdev = vp->vdev;
	uint64_t notify_len = (uint64_t)VIRTIO_PCI_NOTIFY_MULT * vdev->nqueues;

	if (in_range(off, len, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN)) {
		virtio_pci_common_access(vp, off - VIRTIO_PCI_COMMON_OFF, data, len, is_write);
	} else if (off == VIRTIO_PCI_ISR_OFF && !is_write) {
		isr_read(vp, data, len);
	} else if (in_range(off, len, VIRTIO_PCI_DEVICE_OFF, VIRTIO_PCI_DEVICE_LEN)) {
		virtio_dev_config_access(vdev, off - VIRTIO_PCI_DEVICE_OFF, data, len, is_write);
	} else if (in_range(off, len, VIRTIO_PCI_NOTIFY_OFF, notify_len) && is_write &&
		   (len == 2 || len == 4) && !(off & 3)) {
		/* The queue is where the write landed; the value written is not trusted. */
		virtio_dev_notify(vdev, (uint32_t)((off - VIRTIO_PCI_NOTIFY_OFF) /
						   VIRTIO_PCI_NOTIFY_MULT));
	} else if (!is_write) {
		memset(data, 0, len);
	}
}

void virtio_pci_bar_access(void *opaque, unsigned int bar, uint64_t offset, uint8_t *data,
			   unsigned int len, bool is_write)
{
	struct virtio_pci *vp = opaque;

	if (bar == VIRTIO_PCI_MSIX_BAR && vp->has_msix) {
		if (!msix_bar_access(&vp->msix, bar, offset, data, len, is_write) && !is_write)
			memset(data, 0, len);
		return;
	}
	if (bar != VIRTIO_PCI_BAR) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&vp->vdev->lock);
	bar0_access(vp, offset, data, len, is_write);
	pthread_mutex_unlock(&vp->vdev->lock);
}

/*
 * A guest reboot: the device reset a driver's status 0 does, then the PCI
 * function's power-on reset (MSI-X, then config space: decoding off, BARs
 * unassigned, every register the last kernel wrote cleared; the VM's hooks
 * drop what followed the BARs). The next kernel enumerates it again.
 */
void virtio_pci_reset(struct virtio_pci *vp)
{
	uint8_t status = 0;

	pthread_mutex_lock(&vp->vdev->lock);	/* as for the driver's write */
	virtio_pci_common_access(vp, VIRTIO_PCI_COMMON_STATUS, &status, 1, true);
	pthread_mutex_unlock(&vp->vdev->lock);
	if (vp->has_msix)
		msix_reset(&vp->msix);
	pci_config_reset(&vp->cfg);
}
