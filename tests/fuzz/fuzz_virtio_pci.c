// SPDX-License-Identifier: MIT
/*
 * The virtio-pci transport (devices/virtio/virtio_pci.c) on a real pci_host
 * and virtio core, driven by a hostile driver through ECAM, BAR 0 (common
 * config, ISR, device config, notifications) and BAR 1 (MSI-X), with device
 * interrupts in between. Input:
 *
 *   u8 nqueues, u8 nvectors, u8 nops, nops x {u8 kind, u16 offset, u32 value}
 *
 * kind bit 0: write; bits 1-2: size 1, 2, 4 or 8; bits 3-5: target
 * 0: ECAM of the function (offset % 4 KiB), 1: common config (% 64),
 * 2: anywhere in BAR 0, 3: anywhere in BAR 1, 4: the device interrupts the
 * queues in value, 5: config change, 6: the device needs a reset,
 * 7: raw address in the 32-bit window (offset << 4); bits 6-7 both set:
 * instead, a guest reboot (virtio_pci_reset), after which config space
 * must be exactly as at power-on.
 * BAR 0 is expected at 0x40000000 and BAR 1 at 0x40010000 (the seeds put
 * them there); guest RAM is separate, at 0x80000000.
 */
#include "devices/mmio_bus.h"
#include "devices/pci/pci_host.h"
#include "devices/virtio/virtio_pci.h"
#include "fuzz_common.h"
#include "vmm/arm64/layout.h"

#define RAM_SIZE	0x10000ULL
#define SLOT		1
#define BAR0		0x40000000ULL
#define BAR1		0x40010000ULL

static struct guest_mem mem;
static struct virtio_dev vdev;
static struct virtio_pci vp;
static struct pci_host host;
static struct mmio_bus bus;
static bool intx;
static uint8_t power_on_regs[PCI_CFG_HDR_SIZE];	/* config space right after init */

static int fake_activate(struct virtio_dev *d)
{
	FZ_CHECK(!d->active && (d->status & VIRTIO_CONFIG_S_FEATURES_OK));
	for (unsigned int q = 0; q < d->nqueues; q++)
		FZ_CHECK(!d->queue_ready[q] || (d->queues[q].size && d->queues[q].desc));
	return 0;
}

static void fake_notify(struct virtio_dev *d, unsigned int q)
{
	FZ_CHECK(d->active && q < d->nqueues);
}

static const struct virtio_dev_ops ops = { .activate = fake_activate, .notify = fake_notify };

static void on_deliver(void *opaque, unsigned int v, struct msix_msg msg)
{
	FZ_CHECK(v < vp.msix.nvectors && vp.msix.enabled && !vp.msix.function_masked &&
		 !(vp.msix.table[v].ctrl & MSIX_ENTRY_MASKED));
}

static const struct msix_ops mops = { .deliver = on_deliver };

static void set_intx(void *opaque, bool level)
{
	intx = level;
}

static bool vector_ok(uint16_t v)
{
	return v == VIRTIO_PCI_NO_VECTOR || (vp.has_msix && v < vp.msix.nvectors);
}

static void check_state(void)
{
	FZ_CHECK(pci_config_read(&vp.cfg, 0, 4) == 0x10411af4);
	FZ_CHECK(vector_ok(vp.config_vector));
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		FZ_CHECK(vector_ok(vp.queue_vector[q]));
	FZ_CHECK(!(vp.isr & ~(VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)));
	FZ_CHECK(!(vdev.status & VIRTIO_CONFIG_S_NEEDS_RESET));
	if (vdev.active)
		FZ_CHECK(vdev.status & VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned int q = 0; q < vdev.nqueues; q++)
		FZ_CHECK(vdev.queues[q].size <= vdev.queue_num_max);
	/* INTx: the pin is the condition gated by Command.INTX_DISABLE, never more. */
	FZ_CHECK(intx == (vp.cfg.intx_state && !vp.cfg.intx_disabled));
	FZ_CHECK(vp.cfg.intx_disabled ==
		 !!(pci_config_get(&vp.cfg, PCI_CFG_COMMAND, 2) & PCI_CMD_INTX_DISABLE));
	FZ_CHECK(!!(pci_config_read(&vp.cfg, PCI_CFG_STATUS, 2) & PCI_STATUS_INTERRUPT) ==
		 vp.cfg.intx_state);
}

/* A reboot: the device stopped, the function exactly at power-on. */
static void reboot(void)
{
	virtio_pci_reset(&vp);
	FZ_CHECK(!vdev.active && !vdev.status && !intx && !vp.isr);
	FZ_CHECK(!vp.has_msix || (!vp.msix.enabled && !vp.msix.pba[0]));
	FZ_CHECK(!memcmp(vp.cfg.regs, power_on_regs, sizeof(power_on_regs)));
	for (unsigned int b = 0; b < PCI_NUM_BARS; b++)
		FZ_CHECK(!vp.cfg.bars[b].addr);
}

static uint64_t target_addr(unsigned int target, uint16_t offset)
{
	switch (target) {
	case 0: return LAYOUT_PCI_ECAM_BASE + (SLOT << 15) + offset % PCI_CFG_SPACE_SIZE;
	case 1: return BAR0 + offset % VIRTIO_PCI_COMMON_LEN;
	case 2: return BAR0 + offset;
	case 3: return BAR1 + offset;
	default: return LAYOUT_PCI_MMIO32_BASE + ((uint64_t)offset << 4);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int sizes[4] = { 1, 2, 4, 8 };
	struct fz f = { data, size };
	unsigned int nqueues = fz_u8(&f) % (VIRTIO_MAX_QUEUES + 1);
	unsigned int nvectors = fz_u8(&f) % (MSIX_MAX_VECTORS + 1), nops = fz_u8(&f);

	fz_mem_load(&mem, 0x80000000ULL, RAM_SIZE, NULL, 0);
	virtio_dev_init(&vdev, 1, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_RING_PACKED),
			nqueues, 256, &mem, &ops, NULL);
	FZ_CHECK(!virtio_pci_init(&vp, &vdev, 0x020000, nvectors, &mops, NULL));
	vp.set_intx = set_intx;
	intx = false;
	memcpy(power_on_regs, vp.cfg.regs, sizeof(power_on_regs));
	memset(&bus, 0, sizeof(bus));
	pci_host_init(&host, LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_MMIO32_BASE, LAYOUT_PCI_MMIO32_SIZE,
		      0, 0);
	FZ_CHECK(!pci_host_add(&host, SLOT, &vp.cfg, virtio_pci_bar_access, &vp));
	FZ_CHECK(!pci_host_register(&host, &bus));
	for (unsigned int i = 0; i < nops && f.n; i++) {
		uint8_t kind = fz_u8(&f), buf[8];
		uint16_t offset = fz_u16(&f);
		uint32_t value = fz_u32(&f);
		unsigned int target = (kind >> 3) & 7;

		memcpy(buf, &value, 4);
		memcpy(buf + 4, &value, 4);
		if ((kind & 0xc0) == 0xc0)
			reboot();
		else if (target == 4)
			virtio_dev_interrupt(&vdev, value);
		else if (target == 5)
			virtio_dev_config_changed(&vdev);
		else if (target == 6)
			virtio_dev_needs_reset(&vdev);
		else
			mmio_bus_access(&bus, target_addr(target, offset), buf,
					sizes[(kind >> 1) & 3], kind & 1);
		check_state();
	}
	virtio_pci_destroy(&vp);
	virtio_dev_destroy(&vdev);
	pci_host_destroy(&host);
	return 0;
}
