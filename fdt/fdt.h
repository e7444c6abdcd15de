/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_FDT_H
#define TINYVMM_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

/* One virtio-mmio transport window and its SPI, for a "virtio,mmio" node. */
struct fdt_virtio_slot {
	uint64_t base;
	uint64_t size;
	unsigned int spi;	/* SPI number (INTID - 32) */
};

/* How PCI devices signal MSIs: through a child node of the GIC. */
enum fdt_msi_kind {
	FDT_MSI_NONE,	/* INTx only */
	FDT_MSI_ITS,	/* GICv3 "arm,gic-v3-its" */
	FDT_MSI_V2M,	/* GICv2 "arm,gic-v2m-frame" */
};

/* A "pci-host-ecam-generic" host bridge with one bus. */
struct fdt_pci {
	uint64_t ecam_base, ecam_size;
	uint64_t mmio32_base, mmio32_size;
	uint64_t mmio64_base, mmio64_size;	/* size 0: no 64-bit window */
	enum fdt_msi_kind msi;
	uint64_t msi_base, msi_size;		/* the ITS or v2m frame */
	unsigned int intx_first_spi;		/* INTA-INTD: 4 SPIs from here, level */
	const char *node_name;		/* NULL: "pci@<ECAM base>" */
	const char *msi_node_name;	/* NULL: "msi-controller" (ITS) or "v2m" */
};

/* A device's MMIO window in guest physical memory. */
struct fdt_region {
	uint64_t base;
	uint64_t size;
};

/* The console UART's programming model. */
enum fdt_uart_kind {
	FDT_UART_NS16550,	/* "uart@", ns16550a */
	FDT_UART_PL011,		/* "pl011@", arm,pl011 + arm,primecell */
};

/*
 * The fixed devices of the board, placed by the VM's memory map (fdt/ knows
 * no addresses of its own).
 */
struct fdt_platform {
	const char *model;		/* the root's "model"; NULL: "tinyvmm" */
	struct fdt_region flash[2];	/* CFI flash banks; bank 0 size 0: no flash node */
	struct fdt_region gic_dist;
	struct fdt_region gic_cpu;	/* GICv3: the redistributors (all vCPUs'); v2: CPU interface */
	enum fdt_uart_kind uart_kind;
	struct fdt_region uart;
	unsigned int uart_spi;
	struct fdt_region rtc;		/* PL031; size 0: none */
	unsigned int rtc_spi;
	/* Architected timer PPIs: secure, non-secure, virtual, hypervisor. */
	unsigned int timer_ppis[4];
	struct fdt_region exit_device;	/* size 0: no "tinyvmm,exit" node */
};

struct fdt_params {
	struct fdt_platform board;
	unsigned int ncpus;
	const uint64_t *mpidrs;	/* per vCPU; NULL: KVM's default numbering */
	int gic_version;	/* 2 or 3 */
	uint64_t ram_base;
	uint64_t ram_size;
	const char *cmdline;	/* may be NULL */
	uint64_t initrd_start;	/* initrd_size 0: no initrd */
	uint64_t initrd_size;
	const struct fdt_virtio_slot *virtio;
	unsigned int nvirtio;
	const uint8_t *rng_seed;	/* may be NULL; FDT_RNG_SEED_SIZE bytes */
	const struct fdt_pci *pci;	/* NULL: no PCI host */
	unsigned int pmu_ppi;	/* PMUv3 overflow PPI number; 0: no PMU node */
	unsigned int boot_count;	/* --on-reset reboot: 1 on the first boot; 0: no property */
};

#define FDT_RNG_SEED_SIZE 64
#define FDT_PHANDLE_GIC 1
#define FDT_PHANDLE_MSI 2	/* the ITS or v2m frame */
#define FDT_PHANDLE_APB_CLOCK 3	/* the PrimeCell devices' bus clock */
#define FDT_APB_CLOCK_HZ 24000000	/* QEMU virt's "clk24mhz" */

/* PCI "ranges" space codes (phys.hi bits 25:24, IEEE 1275 PCI binding). */
#define FDT_PCI_SPACE_MEM32	0x02000000U
#define FDT_PCI_SPACE_MEM64	0x03000000U

/*
 * Build the guest's flattened device tree into @buf (at most @size bytes).
 * The result is packed; fdt_totalsize() gives its length.
 */
int fdt_build(const struct fdt_params *p, void *buf, size_t size,
	      struct tvm_error *err);

/* MPIDR KVM gives vCPU @id when userspace does not set one. */
uint64_t fdt_default_mpidr(unsigned int id);

#endif
