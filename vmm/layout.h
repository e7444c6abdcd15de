/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_LAYOUT_H
#define TINYVMM_LAYOUT_H

/*
 * Guest physical memory map. Documented in docs/memory-map.md; keep the two
 * in step. Everything below RAM is MMIO and sits under 4 GiB so a 32-bit
 * IPA space would do for the devices alone.
 */
#define LAYOUT_GIC_DIST_BASE		0x08000000ULL
#define LAYOUT_GIC_DIST_SIZE		0x00010000ULL
#define LAYOUT_GICV2_CPU_BASE		0x08010000ULL
#define LAYOUT_GICV2_CPU_SIZE		0x00002000ULL
#define LAYOUT_GICV3_REDIST_BASE	0x080a0000ULL
#define LAYOUT_GICV3_REDIST_SIZE_PER_CPU 0x00020000ULL	/* RD + SGI frames */
#define LAYOUT_GICV3_REDIST_LIMIT	0x09000000ULL

#define LAYOUT_UART_BASE		0x09000000ULL
#define LAYOUT_UART_SIZE		0x00001000ULL

/* --exit-device ("tinyvmm,exit"): the page after the UART's. */
#define LAYOUT_EXIT_DEVICE_BASE		0x09001000ULL
#define LAYOUT_EXIT_DEVICE_SIZE		0x00001000ULL

#define LAYOUT_VIRTIO_MMIO_BASE		0x0a000000ULL
#define LAYOUT_VIRTIO_MMIO_SLOT_SIZE	0x00000200ULL
#define LAYOUT_VIRTIO_MMIO_SLOTS	32

#define LAYOUT_RAM_BASE			0x80000000ULL

/* vCPU limits imposed by the map (GICv3 redistributor window, GICv2 spec). */
#define LAYOUT_MAX_CPUS_GICV3 \
	((LAYOUT_GICV3_REDIST_LIMIT - LAYOUT_GICV3_REDIST_BASE) / \
	 LAYOUT_GICV3_REDIST_SIZE_PER_CPU)
#define LAYOUT_MAX_CPUS_GICV2		8

/* Interrupts: GIC INTIDs. SPIs start at 32; the DT names SPI n as INTID 32+n. */
#define LAYOUT_SPI_BASE			32
#define LAYOUT_UART_SPI			1
#define LAYOUT_VIRTIO_FIRST_SPI		16
#define LAYOUT_GIC_NR_IRQS		128	/* SGIs + PPIs + 96 SPIs */

/* Architected timer PPIs (INTID - 16 as DT PPI numbers): secure, non-secure, virtual, hyp. */
#define LAYOUT_TIMER_PPI_SEC		13
#define LAYOUT_TIMER_PPI_NONSEC		14
#define LAYOUT_TIMER_PPI_VIRT		11
#define LAYOUT_TIMER_PPI_HYP		10
/* PMUv3 overflow interrupt: PPI 7, INTID 23 (what QEMU's virt board uses). */
#define LAYOUT_PMU_PPI			7
#define LAYOUT_PPI_BASE			16	/* INTID of PPI 0 */

/* Boot protocol placement (Documentation/arch/arm64/booting.rst). */
#define LAYOUT_KERNEL_ALIGN		0x00200000ULL
#define LAYOUT_FDT_MAX_SIZE		0x00200000ULL	/* booting.rst: at most 2 MiB */

#endif
