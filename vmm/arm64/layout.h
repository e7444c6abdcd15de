/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_LAYOUT_H
#define TINYVMM_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * tinyvmm's board (--machine tinyvmm; vmm/arm64/board.c holds it and QEMU's
 * virt as data) and what every board shares: the GICv3 redistributor
 * stride, the GIC's interrupt count, the timer PPIs, the boot protocol.
 * Guest physical memory map. Documented in README.md; keep the two
 * in step. Everything below RAM is MMIO and sits under 4 GiB so a 32-bit
 * IPA space would do for the devices alone.
 */
#define LAYOUT_GIC_DIST_BASE		0x08000000ULL
#define LAYOUT_GIC_DIST_SIZE		0x00010000ULL
#define LAYOUT_GICV2_CPU_BASE		0x08010000ULL
#define LAYOUT_GICV2_CPU_SIZE		0x00002000ULL
/* GICv2 hosts: tinyvmm's GICv2m MSI frame (vmm/arm64/gicv2m.c). */
#define LAYOUT_GICV2M_BASE		0x08020000ULL
#define LAYOUT_GICV2M_SIZE		0x00001000ULL
/* GICv3 hosts: the KVM vITS, 64 KiB aligned, right below the redistributors. */
#define LAYOUT_GIC_ITS_BASE		0x08080000ULL
#define LAYOUT_GIC_ITS_SIZE		0x00020000ULL	/* control + translation frames */
#define LAYOUT_GICV3_REDIST_BASE	0x080a0000ULL
#define LAYOUT_GICV3_REDIST_SIZE_PER_CPU 0x00020000ULL	/* RD + SGI frames */
#define LAYOUT_GICV3_REDIST_LIMIT	0x09000000ULL

#define LAYOUT_UART_BASE		0x09000000ULL
#define LAYOUT_UART_SIZE		0x00001000ULL

/* --exit-device ("tinyvmm,exit"): the page after the UART's. */
#define LAYOUT_EXIT_DEVICE_BASE		0x09001000ULL
#define LAYOUT_EXIT_DEVICE_SIZE		0x00001000ULL

/* PL031 RTC: where QEMU's virt board has it. */
#define LAYOUT_RTC_BASE			0x09010000ULL
#define LAYOUT_RTC_SIZE			0x00001000ULL

#define LAYOUT_VIRTIO_MMIO_BASE		0x0a000000ULL
#define LAYOUT_VIRTIO_MMIO_SLOT_SIZE	0x00000200ULL
#define LAYOUT_VIRTIO_MMIO_SLOTS	32

/*
 * PCI (--transport pci, vmm/core/vm_pci.c): ECAM for bus 0 and the 32-bit MMIO
 * window between it and RAM. The 64-bit window needs a 40-bit IPA space
 * and RAM ending below it (layout_pci_mmio64_usable()); without it, as on
 * 36-bit IPA hosts, BARs go in the 32-bit window only.
 */
#define LAYOUT_PCI_ECAM_BASE		0x3ff00000ULL
#define LAYOUT_PCI_ECAM_SIZE		0x00100000ULL	/* bus 0: 32 devices x 8 functions x 4 KiB */
#define LAYOUT_PCI_MMIO32_BASE		0x40000000ULL
#define LAYOUT_PCI_MMIO32_SIZE		0x40000000ULL	/* up to RAM */
#define LAYOUT_PCI_MMIO64_BASE		0x8000000000ULL	/* 512 GiB */
#define LAYOUT_PCI_MMIO64_SIZE		0x8000000000ULL	/* up to 1 TiB, the 40-bit IPA limit */
#define LAYOUT_PCI_MMIO64_IPA_BITS	40

#define LAYOUT_RAM_BASE			0x80000000ULL

/* vCPU limits imposed by the map (GICv3 redistributor window, GICv2 spec). */
#define LAYOUT_MAX_CPUS_GICV3 \
	((LAYOUT_GICV3_REDIST_LIMIT - LAYOUT_GICV3_REDIST_BASE) / \
	 LAYOUT_GICV3_REDIST_SIZE_PER_CPU)
#define LAYOUT_MAX_CPUS_GICV2		8

/* Interrupts: GIC INTIDs. SPIs start at 32; the DT names SPI n as INTID 32+n. */
#define LAYOUT_SPI_BASE			32
#define LAYOUT_UART_SPI			1
#define LAYOUT_RTC_SPI			2
#define LAYOUT_PCI_INTX_FIRST_SPI	8	/* INTA-INTD: SPIs 8-11, level */
#define LAYOUT_PCI_INTX_LINES		4
#define LAYOUT_VIRTIO_FIRST_SPI		16	/* one per virtio-mmio slot: SPIs 16-47 */
#define LAYOUT_GICV2M_FIRST_SPI		64	/* GICv2m MSIs: SPIs 64-95 */
#define LAYOUT_GICV2M_NR_SPIS		32
#define LAYOUT_GIC_NR_IRQS		128	/* SGIs + PPIs + 96 SPIs */
#define LAYOUT_GIC_NR_SPIS		(LAYOUT_GIC_NR_IRQS - LAYOUT_SPI_BASE)

_Static_assert(LAYOUT_UART_SPI < LAYOUT_RTC_SPI && LAYOUT_RTC_SPI < LAYOUT_PCI_INTX_FIRST_SPI &&
	       LAYOUT_PCI_INTX_FIRST_SPI + LAYOUT_PCI_INTX_LINES <= LAYOUT_VIRTIO_FIRST_SPI &&
	       LAYOUT_VIRTIO_FIRST_SPI + LAYOUT_VIRTIO_MMIO_SLOTS <= LAYOUT_GICV2M_FIRST_SPI &&
	       LAYOUT_GICV2M_FIRST_SPI + LAYOUT_GICV2M_NR_SPIS <= LAYOUT_GIC_NR_SPIS,
	       "SPI assignments overlap or exceed LAYOUT_GIC_NR_IRQS");
_Static_assert(LAYOUT_GIC_ITS_BASE % 0x10000 == 0 &&
	       LAYOUT_GIC_ITS_BASE + LAYOUT_GIC_ITS_SIZE <= LAYOUT_GICV3_REDIST_BASE &&
	       LAYOUT_GICV2M_BASE >= LAYOUT_GICV2_CPU_BASE + LAYOUT_GICV2_CPU_SIZE &&
	       LAYOUT_GICV2M_BASE + LAYOUT_GICV2M_SIZE <= LAYOUT_GIC_ITS_BASE,
	       "MSI frames overlap the GIC");
_Static_assert(LAYOUT_VIRTIO_MMIO_BASE + LAYOUT_VIRTIO_MMIO_SLOTS * LAYOUT_VIRTIO_MMIO_SLOT_SIZE <=
	       LAYOUT_PCI_ECAM_BASE &&
	       LAYOUT_PCI_ECAM_BASE + LAYOUT_PCI_ECAM_SIZE <= LAYOUT_PCI_MMIO32_BASE &&
	       LAYOUT_PCI_MMIO32_BASE + LAYOUT_PCI_MMIO32_SIZE <= LAYOUT_RAM_BASE,
	       "PCI windows overlap");

/* The 64-bit PCI window fits above RAM ending at @ram_top in an @ipa_bits IPA space. */
static inline bool layout_pci_mmio64_usable(uint64_t ram_top, unsigned int ipa_bits)
{
	return ram_top <= LAYOUT_PCI_MMIO64_BASE && ipa_bits >= LAYOUT_PCI_MMIO64_IPA_BITS;
}

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
