/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_BOARD_H
#define TINYVMM_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "fdt/fdt.h"

/*
 * A board: the guest's memory map, interrupt numbers and which devices it
 * has, as data. The VM, the device tree and the loader read it; nothing
 * else knows addresses. README's "Memory map" section lists both boards.
 */
enum board_id {
	BOARD_TINYVMM,	/* tinyvmm's own: 16550 UART, RAM at 2 GiB */
	BOARD_VIRT,	/* QEMU 7.2's "virt" as far as tinyvmm emulates it */
};

/* The serial device that carries the console (README: Console). */
enum board_console {
	BOARD_CONSOLE_NS16550,	/* devices/uart.c, Linux ttyS0 */
	BOARD_CONSOLE_PL011,	/* ARM PrimeCell UART, Linux ttyAMA0 */
};

struct board {
	const char *name;		/* --machine NAME */
	const char *model;		/* the device tree's root "model" */
	uint64_t ram_base;
	/* Two CFI flash banks at 0 (size 0: no flash); --bios fills bank 0. */
	struct fdt_region flash[2];

	/* Interrupt controller frames (KVM places the vGIC there). */
	struct fdt_region gic_dist;
	struct fdt_region gicv2_cpu;	/* base for KVM, size as the device tree gives it */
	struct fdt_region gicv2m;	/* tinyvmm's MSI frame on GICv2 hosts */
	unsigned int gicv2m_first_spi, gicv2m_nr_spis;
	struct fdt_region gic_its;	/* the KVM vITS on GICv3 hosts */
	uint64_t gicv3_redist_base;
	uint64_t gicv3_redist_limit;	/* the window ends here: it bounds the vCPU count */

	enum board_console console;
	struct fdt_region uart;
	unsigned int uart_spi;
	struct fdt_region rtc;		/* PL031 */
	unsigned int rtc_spi;
	struct fdt_region exit_device;	/* --exit-device ("tinyvmm,exit") */

	/* virtio-mmio: @virtio_slots transports of @virtio_slot_size from @virtio_base. */
	uint64_t virtio_base, virtio_slot_size;
	unsigned int virtio_slots;
	unsigned int virtio_first_spi;	/* transport n interrupts on SPI first + n */
	unsigned int net_slot;		/* the transport that holds the NIC */
	/* Every transport exists, a device behind it or not (QEMU's); else only the NIC's. */
	bool virtio_all_present;
	/* --virtio-mmio's default: legacy (version 1, QEMU 7.2's force-legacy=true) or modern. */
	bool virtio_mmio_legacy;

	/* PCIe host (--transport pci): ECAM for bus 0, 32- and 64-bit windows. */
	struct fdt_region pci_ecam, pci_mmio32, pci_mmio64;
	unsigned int pci_intx_first_spi;	/* INTA-INTD: 4 SPIs, level */
	const char *pci_node;			/* the host bridge's device-tree node name */

	const char *default_cmdline;
	/* --transport auto puts a multi-queue NIC on virtio-pci (else it stays on mmio). */
	bool multiqueue_prefers_pci;
};

/* The board called @id; NULL for no such board. */
const struct board *board_get(enum board_id id);
/* The board named @name (--machine); NULL for none. */
const struct board *board_by_name(const char *name);

/* How many vCPUs the board's redistributor window (GICv3) or GICv2 itself allows. */
unsigned int board_max_cpus(const struct board *b, int gic_version);

/* One named guest-physical range of a board, for listing and checking. */
struct board_range {
	const char *what;
	uint64_t base, size;
};

/*
 * Every range of @b with its @ncpus redistributors (GICv3), @ram_size of RAM
 * and, when @mmio64 (a 40-bit IPA), the 64-bit PCI window; returns how many
 * were written (at most @max).
 */
unsigned int board_ranges(const struct board *b, unsigned int ncpus, uint64_t ram_size,
			  bool mmio64, struct board_range *out, unsigned int max);

/*
 * The fixed devices of @b as the device tree describes them: the GIC frames
 * for @gic_version with @ncpus redistributors, the console UART, the
 * timer PPIs, the RTC when @rtc, and the exit-status device when
 * @exit_device.
 */
void board_fdt_platform(const struct board *b, struct fdt_platform *p, int gic_version,
			unsigned int ncpus, bool rtc, bool exit_device);

/* The virtio-mmio transport @n of @b as a device-tree node. */
struct fdt_virtio_slot board_virtio_slot(const struct board *b, unsigned int n);

#endif
