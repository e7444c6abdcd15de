// SPDX-License-Identifier: MIT
/*
 * The boards tinyvmm offers (--machine), as data, and the one place that
 * turns a board into what fdt/ writes, so the device-tree builder needs no
 * addresses of its own (and its tests can describe other boards).
 */
#include "vmm/arm64/board.h"

#include <string.h>

#include "vmm/arm64/layout.h"

#define KIB	0x400ULL
#define MIB	0x100000ULL

/* tinyvmm's own board: vmm/arm64/layout.h. */
static const struct board tinyvmm_board = {
	.name = "tinyvmm",
	.model = "tinyvmm",
	.ram_base = LAYOUT_RAM_BASE,
	.gic_dist = { LAYOUT_GIC_DIST_BASE, LAYOUT_GIC_DIST_SIZE },
	.gicv2_cpu = { LAYOUT_GICV2_CPU_BASE, LAYOUT_GICV2_CPU_SIZE },
	.gicv2m = { LAYOUT_GICV2M_BASE, LAYOUT_GICV2M_SIZE },
	.gicv2m_first_spi = LAYOUT_GICV2M_FIRST_SPI,
	.gicv2m_nr_spis = LAYOUT_GICV2M_NR_SPIS,
	.gic_its = { LAYOUT_GIC_ITS_BASE, LAYOUT_GIC_ITS_SIZE },
	.gicv3_redist_base = LAYOUT_GICV3_REDIST_BASE,
	.gicv3_redist_limit = LAYOUT_GICV3_REDIST_LIMIT,
	.console = BOARD_CONSOLE_NS16550,
	.uart = { LAYOUT_UART_BASE, LAYOUT_UART_SIZE },
	.uart_spi = LAYOUT_UART_SPI,
	.rtc = { LAYOUT_RTC_BASE, LAYOUT_RTC_SIZE },
	.rtc_spi = LAYOUT_RTC_SPI,
	.exit_device = { LAYOUT_EXIT_DEVICE_BASE, LAYOUT_EXIT_DEVICE_SIZE },
	.virtio_base = LAYOUT_VIRTIO_MMIO_BASE,
	.virtio_slot_size = LAYOUT_VIRTIO_MMIO_SLOT_SIZE,
	.virtio_slots = LAYOUT_VIRTIO_MMIO_SLOTS,
	.virtio_first_spi = LAYOUT_VIRTIO_FIRST_SPI,
	.net_slot = 0,
	.virtio_all_present = false,
	.virtio_mmio_legacy = false,
	.pci_ecam = { LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_ECAM_SIZE },
	.pci_mmio32 = { LAYOUT_PCI_MMIO32_BASE, LAYOUT_PCI_MMIO32_SIZE },
	.pci_mmio64 = { LAYOUT_PCI_MMIO64_BASE, LAYOUT_PCI_MMIO64_SIZE },
	.pci_intx_first_spi = LAYOUT_PCI_INTX_FIRST_SPI,
	.pci_node = NULL,
	.default_cmdline = "console=ttyS0 earlycon",
	.multiqueue_prefers_pci = true,
};

/*
 * QEMU 7.2's virt board (hw/arm/virt.c: base_memmap, a15irqmap,
 * create_virtio_devices, create_uart, create_rtc, create_pcie), for the
 * devices tinyvmm emulates. The ECAM is QEMU's low one (bus 0 only: a
 * 1 MiB window at its start); the 64-bit window is QEMU's high MMIO
 * (512 GiB up), used with a 40-bit IPA. The exit device takes the free
 * page after the PL011, where QEMU has nothing.
 */
static const struct board virt_board = {
	.name = "virt",
	.model = "linux,dummy-virt",
	.ram_base = 0x40000000ULL,
	.flash = { { 0x00000000ULL, 64 * MIB }, { 0x04000000ULL, 64 * MIB } },
	.gic_dist = { 0x08000000ULL, 64 * KIB },
	.gicv2_cpu = { 0x08010000ULL, 64 * KIB },
	.gicv2m = { 0x08020000ULL, 4 * KIB },
	.gicv2m_first_spi = 48,
	.gicv2m_nr_spis = 32,
	.gic_its = { 0x08080000ULL, 128 * KIB },
	.gicv3_redist_base = 0x080a0000ULL,
	.gicv3_redist_limit = 0x09000000ULL,
	.console = BOARD_CONSOLE_PL011,
	.uart = { 0x09000000ULL, 4 * KIB },
	.uart_spi = 1,
	.rtc = { 0x09010000ULL, 4 * KIB },
	.rtc_spi = 2,
	.exit_device = { 0x09001000ULL, 4 * KIB },
	.virtio_base = 0x0a000000ULL,
	.virtio_slot_size = 0x200,
	.virtio_slots = 32,
	.virtio_first_spi = 16,
	.net_slot = 31,	/* QEMU fills the highest free transport first */
	.virtio_all_present = true,
	.virtio_mmio_legacy = true,	/* QEMU 7.2: virtio-mmio.force-legacy=true */
	.pci_ecam = { 0x3f000000ULL, 1 * MIB },
	.pci_mmio32 = { 0x10000000ULL, 0x2eff0000ULL },
	.pci_mmio64 = { 0x8000000000ULL, 0x8000000000ULL },
	.pci_intx_first_spi = 3,
	.pci_node = "pcie@10000000",
	.default_cmdline = "console=ttyAMA0 earlycon",
	.multiqueue_prefers_pci = false,
};

const struct board *board_get(enum board_id id)
{
	switch (id) {
	case BOARD_TINYVMM:	return &tinyvmm_board;
	case BOARD_VIRT:	return &virt_board;
	}
	return NULL;
}

const struct board *board_by_name(const char *name)
{
	if (!strcmp(name, tinyvmm_board.name))
		return &tinyvmm_board;
	if (!strcmp(name, virt_board.name))
		return &virt_board;
	return NULL;
}

unsigned int board_max_cpus(const struct board *b, int gic_version)
{
	if (gic_version == 2)
		return LAYOUT_MAX_CPUS_GICV2;
	return (unsigned int)((b->gicv3_redist_limit - b->gicv3_redist_base) /
			      LAYOUT_GICV3_REDIST_SIZE_PER_CPU);
}

static void add_range(struct board_range *out, unsigned int max, unsigned int *n,
		      const char *what, uint64_t base, uint64_t size)
{
	if (size && *n < max)
		out[(*n)++] = (struct board_range){ what, base, size };
}

unsigned int board_ranges(const struct board *b, unsigned int ncpus, uint64_t ram_size,
			  bool mmio64, struct board_range *out, unsigned int max)
{
	unsigned int n = 0;

	add_range(out, max, &n, "flash bank 0", b->flash[0].base, b->flash[0].size);
	add_range(out, max, &n, "flash bank 1", b->flash[1].base, b->flash[1].size);
	add_range(out, max, &n, "GIC distributor", b->gic_dist.base, b->gic_dist.size);
	add_range(out, max, &n, "GICv2 CPU interface", b->gicv2_cpu.base, b->gicv2_cpu.size);
	add_range(out, max, &n, "GICv2m frame", b->gicv2m.base, b->gicv2m.size);
	add_range(out, max, &n, "GICv3 ITS", b->gic_its.base, b->gic_its.size);
	add_range(out, max, &n, "GICv3 redistributors", b->gicv3_redist_base,
		  LAYOUT_GICV3_REDIST_SIZE_PER_CPU * ncpus);
	add_range(out, max, &n, "UART", b->uart.base, b->uart.size);
	add_range(out, max, &n, "RTC", b->rtc.base, b->rtc.size);
	add_range(out, max, &n, "exit device", b->exit_device.base, b->exit_device.size);
	add_range(out, max, &n, "virtio-mmio transports", b->virtio_base,
		  b->virtio_slot_size * b->virtio_slots);
	add_range(out, max, &n, "PCIe ECAM", b->pci_ecam.base, b->pci_ecam.size);
	add_range(out, max, &n, "PCIe 32-bit window", b->pci_mmio32.base, b->pci_mmio32.size);
	if (mmio64)
		add_range(out, max, &n, "PCIe 64-bit window", b->pci_mmio64.base,
			  b->pci_mmio64.size);
	add_range(out, max, &n, "RAM", b->ram_base, ram_size);
	return n;
}

void board_fdt_platform(const struct board *b, struct fdt_platform *p, int gic_version,
			unsigned int ncpus, bool rtc, bool exit_device)
{
	*p = (struct fdt_platform){
		.model = b->model,
		.gic_dist = b->gic_dist,
		.uart_kind = b->console == BOARD_CONSOLE_PL011 ? FDT_UART_PL011 : FDT_UART_NS16550,
		.uart = b->uart,
		.uart_spi = b->uart_spi,
		.flash = { b->flash[0], b->flash[1] },
		.timer_ppis = { LAYOUT_TIMER_PPI_SEC, LAYOUT_TIMER_PPI_NONSEC,
				LAYOUT_TIMER_PPI_VIRT, LAYOUT_TIMER_PPI_HYP },
	};
	if (gic_version == 3)
		p->gic_cpu = (struct fdt_region){ b->gicv3_redist_base,
						  LAYOUT_GICV3_REDIST_SIZE_PER_CPU * ncpus };
	else
		p->gic_cpu = b->gicv2_cpu;
	if (rtc) {
		p->rtc = b->rtc;
		p->rtc_spi = b->rtc_spi;
	}
	if (exit_device)
		p->exit_device = b->exit_device;
}

struct fdt_virtio_slot board_virtio_slot(const struct board *b, unsigned int n)
{
	return (struct fdt_virtio_slot){
		.base = b->virtio_base + n * b->virtio_slot_size,
		.size = b->virtio_slot_size,
		.spi = b->virtio_first_spi + n,
	};
}
