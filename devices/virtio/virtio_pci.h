/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VIRTIO_PCI_H
#define TINYVMM_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

/* Modern only: leave out the legacy I/O register layout. */
#define VIRTIO_PCI_NO_LEGACY
#include <linux/virtio_pci.h>

#include "devices/pci/msix.h"
#include "devices/pci/pci_config.h"
#include "devices/virtio/virtio_dev.h"

/*
 * virtio over PCI, modern only (virtio 1.2 §4.1): PCI device ID 0x1040 +
 * the virtio device ID, the four vendor capabilities (common, notify, ISR,
 * device config) pointing into BAR 0, and MSI-X in BAR 1 with one vector
 * per queue the driver asks for. Without MSI-X (disabled by the driver, or
 * nvectors 0 on an INTx-only host) interrupts go through ISR and INTA.
 *
 * BAR 0 (32-bit memory, 64 KiB):
 *   0x0000 common configuration     0x1000 ISR status (1 byte)
 *   0x2000 device configuration     0x3000 notifications, 4 bytes per queue
 * BAR 1 (32-bit memory, 64 KiB): MSI-X table at 0, PBA at 0x8000.
 * A VIRTIO_PCI_CAP_PCI_CFG capability gives config-space access to both BARs.
 */
#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_BASE		0x1040
#define VIRTIO_PCI_SUBSYS_ID		0x0040	/* modern; drivers must not match on it */
#define VIRTIO_PCI_REVISION		1
#define VIRTIO_PCI_BAR			0
#define VIRTIO_PCI_MSIX_BAR		1
#define VIRTIO_PCI_BAR_SIZE		0x10000
#define VIRTIO_PCI_COMMON_OFF		0x0000
#define VIRTIO_PCI_COMMON_LEN		0x0040
#define VIRTIO_PCI_ISR_OFF		0x1000
#define VIRTIO_PCI_ISR_LEN		0x0001
#define VIRTIO_PCI_DEVICE_OFF		0x2000
#define VIRTIO_PCI_DEVICE_LEN		0x1000
#define VIRTIO_PCI_NOTIFY_OFF		0x3000
#define VIRTIO_PCI_NOTIFY_MULT		4
#define VIRTIO_PCI_MSIX_TABLE_OFF	0x0000
#define VIRTIO_PCI_MSIX_PBA_OFF		0x8000
#define VIRTIO_PCI_NO_VECTOR		VIRTIO_MSI_NO_VECTOR
#define VIRTIO_PCI_ISR_QUEUE		0x1	/* and VIRTIO_PCI_ISR_CONFIG */

struct virtio_pci {
	struct virtio_dev *vdev;
	struct pci_config cfg;
	struct msix msix;
	bool has_msix;
	/*
	 * The INTx line (level): asserted while ISR is non-zero and
	 * Command.INTX_DISABLE is clear (pci_config drives it).
	 */
	void (*set_intx)(void *opaque, bool level);
	void *intx_opaque;

	/* Common configuration registers the transport owns (under vdev->lock). */
	uint32_t device_feature_select, driver_feature_select;
	uint16_t queue_select;
	uint16_t config_vector;		/* read without the lock by interrupt paths */
	uint16_t queue_vector[VIRTIO_MAX_QUEUES];
	/*
	 * Bit q: the driver wrote queue q's size since the last reset. Until
	 * then queue_size reads (and enabling takes) the maximum; after, what
	 * the core recorded: 0 for a size it refused, so DRIVER_OK fails.
	 */
	uint64_t queue_size_written;
	/* queue_vector as of the last DRIVER_OK, kept across resets (for reports). */
	uint16_t queue_vector_at_ready[VIRTIO_MAX_QUEUES];
	uint16_t config_vector_at_ready;
	uint8_t isr;			/* atomic */
	unsigned int pci_cfg_cap;	/* offset of the VIRTIO_PCI_CAP_PCI_CFG capability */
	/*
	 * Optional: the eventfd that sends MSI-X vector @vector's message in
	 * the kernel (its KVM irqfd, detached while masked), or -1 when the
	 * kernel cannot (no route). With it, each queue's irqfd (struct
	 * virtio_transport.queue_irqfd) is its vector's: vhost then signals
	 * the guest directly. When its answer changes, the owner calls
	 * virtio_pci_msix_toggled().
	 */
	int (*vector_fd)(void *opaque, unsigned int vector);
	void *vector_fd_opaque;
};

/*
 * Attach @vdev to a new virtio-pci function @vp with @nvectors MSI-X
 * vectors (0: INTx only), the vectors reported to @msix_ops. @class_code
 * is the PCI class (0x020000 for a NIC). Returns -1 on a bad request.
 * Then plug vp->cfg into a pci_host with virtio_pci_bar_access.
 */
int virtio_pci_init(struct virtio_pci *vp, struct virtio_dev *vdev, uint32_t class_code,
		    unsigned int nvectors, const struct msix_ops *msix_ops, void *msix_opaque);
void virtio_pci_destroy(struct virtio_pci *vp);
/* A guest reboot: device reset, then the PCI function's power-on state. */
void virtio_pci_reset(struct virtio_pci *vp);

/* pci_bar_access_fn: @opaque is the struct virtio_pci. */
void virtio_pci_bar_access(void *opaque, unsigned int bar, uint64_t offset, uint8_t *data,
			   unsigned int len, bool is_write);

/*
 * Who hears of BAR moves and memory decoding (struct pci_config_ops): the
 * VM, to keep ioeventfds on the notification addresses.
 */
void virtio_pci_set_config_ops(struct virtio_pci *vp, const struct pci_config_ops *ops,
			       void *opaque);

/*
 * The driver turned MSI-X on or off (struct msix_ops.enable_changed), or a
 * vector's vector_fd() answer changed (after its msix_ops.settled); MSI-X
 * lock not held: the queues' irqfds change with it. Takes vdev->lock.
 */
void virtio_pci_msix_toggled(struct virtio_pci *vp);

/* The guest-physical address where queue @q's notifications land (for an ioeventfd). */
uint64_t virtio_pci_notify_addr(const struct virtio_pci *vp, unsigned int q);

#endif
