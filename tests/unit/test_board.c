// SPDX-License-Identifier: MIT
/* The boards (vmm/arm64/board.c): maps that hold together, and QEMU's virt where QEMU has it. */
#include <criterion/criterion.h>
#include <string.h>

#include "vmm/arm64/board.h"
#include "vmm/arm64/ipa.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/layout_check.h"

#define KIB (1ULL << 10)
#define MIB (1ULL << 20)
#define MAX_RANGES 32

static const enum board_id boards[] = { BOARD_TINYVMM, BOARD_VIRT };
#define NBOARDS (sizeof(boards) / sizeof(boards[0]))

/* Every device range with the most vCPUs the board allows and 1 GiB of RAM. */
static unsigned int all_ranges(const struct board *b, bool mmio64, struct board_range *r)
{
	return board_ranges(b, board_max_cpus(b, 3), 1024 * MIB, mmio64, r, MAX_RANGES);
}

Test(board, no_two_ranges_of_a_board_overlap)
{
	for (unsigned int i = 0; i < NBOARDS; i++) {
		const struct board *b = board_get(boards[i]);
		struct board_range r[MAX_RANGES];
		unsigned int n = all_ranges(b, true, r);

		cr_assert_geq(n, 12, "%s: only %u ranges", b->name, n);
		for (unsigned int x = 0; x < n; x++)
			for (unsigned int y = x + 1; y < n; y++)
				cr_assert(r[x].base + r[x].size <= r[y].base ||
					  r[y].base + r[y].size <= r[x].base,
					  "%s: %s 0x%llx+0x%llx overlaps %s 0x%llx+0x%llx", b->name,
					  r[x].what, (unsigned long long)r[x].base,
					  (unsigned long long)r[x].size, r[y].what,
					  (unsigned long long)r[y].base, (unsigned long long)r[y].size);
	}
}

/*
 * The smallest IPA space KVM gives (32 bits) holds every device and the
 * first GiB(s) of RAM; the 64-bit PCI window only ever comes with 40 bits.
 */
Test(board, every_address_inside_the_ipa_size)
{
	for (unsigned int i = 0; i < NBOARDS; i++) {
		const struct board *b = board_get(boards[i]);
		struct board_range r[MAX_RANGES];
		unsigned int n = board_ranges(b, board_max_cpus(b, 3), 512 * MIB, false, r,
					      MAX_RANGES);

		for (unsigned int x = 0; x < n; x++)
			cr_assert_leq(ipa_bits_for(r[x].base + r[x].size), IPA_MIN_BITS,
				      "%s: %s ends above 4 GiB", b->name, r[x].what);
		cr_assert_leq(ipa_bits_for(b->pci_mmio64.base + b->pci_mmio64.size),
			      LAYOUT_PCI_MMIO64_IPA_BITS, "%s: 64-bit window", b->name);
		/* A 36-bit host (Apple M1): RAM up to the top, no 64-bit window. */
		cr_assert_gt(ipa_max_ram(36, b->ram_base), 32ULL << 30, "%s", b->name);
		cr_assert_not(layout_pci_mmio64_usable(b->ram_base + 512 * MIB, 36), "%s", b->name);
	}
}

/* Interrupt numbers: none shared, all below the vGIC's count. */
Test(board, no_two_devices_share_an_spi)
{
	for (unsigned int i = 0; i < NBOARDS; i++) {
		const struct board *b = board_get(boards[i]);
		bool used[LAYOUT_GIC_NR_SPIS] = { false };
		unsigned int spis[8 + 32 + 64], n = 0;

		spis[n++] = b->uart_spi;
		spis[n++] = b->rtc_spi;
		for (unsigned int k = 0; k < LAYOUT_PCI_INTX_LINES; k++)
			spis[n++] = b->pci_intx_first_spi + k;
		for (unsigned int k = 0; k < b->virtio_slots; k++)
			spis[n++] = board_virtio_slot(b, k).spi;
		for (unsigned int k = 0; k < b->gicv2m_nr_spis; k++)
			spis[n++] = b->gicv2m_first_spi + k;
		for (unsigned int k = 0; k < n; k++) {
			cr_assert_lt(spis[k], LAYOUT_GIC_NR_SPIS, "%s: SPI %u", b->name, spis[k]);
			cr_assert_not(used[spis[k]], "%s: SPI %u used twice", b->name, spis[k]);
			used[spis[k]] = true;
		}
	}
}

/* Both boards place their GIC frames and RAM where 4K, 16K and 64K hosts can map them. */
Test(board, both_maps_fit_every_host_page_size)
{
	static const uint64_t pages[] = { 4 * KIB, 16 * KIB, 64 * KIB };

	for (unsigned int i = 0; i < NBOARDS; i++)
		for (unsigned int p = 0; p < 3; p++) {
			struct tvm_error err = { 0 };

			cr_assert_eq(layout_check_host_page(board_get(boards[i]), pages[p], 256 * MIB,
							    &err), 0, "%s", err.msg);
		}
}

/* hw/arm/virt.c (QEMU 7.2) base_memmap and a15irqmap, for what tinyvmm emulates. */
Test(board, virt_is_qemu_virt)
{
	const struct board *b = board_get(BOARD_VIRT);
	struct fdt_virtio_slot nic = board_virtio_slot(b, b->net_slot);

	cr_assert_str_eq(b->name, "virt");
	cr_assert_eq(b->ram_base, 0x40000000);
	cr_assert_eq(b->flash[0].base, 0);
	cr_assert_eq(b->flash[0].size, 64 * MIB);
	cr_assert_eq(b->flash[1].base, 64 * MIB);
	cr_assert_eq(b->flash[1].size, 64 * MIB);
	cr_assert_eq(b->gic_dist.base, 0x08000000);
	cr_assert_eq(b->gicv2_cpu.base, 0x08010000);
	cr_assert_eq(b->gicv2m.base, 0x08020000);
	cr_assert_eq(b->gicv2m_first_spi, 48);
	cr_assert_eq(b->gic_its.base, 0x08080000);
	cr_assert_eq(b->gicv3_redist_base, 0x080a0000);
	cr_assert_eq(b->console, BOARD_CONSOLE_PL011);
	cr_assert_eq(b->uart.base, 0x09000000);
	cr_assert_eq(b->uart_spi, 1);
	cr_assert_eq(b->rtc.base, 0x09010000);
	cr_assert_eq(b->rtc_spi, 2);
	cr_assert_eq(b->virtio_base, 0x0a000000);
	cr_assert_eq(b->virtio_slot_size, 0x200);
	cr_assert_eq(b->virtio_slots, 32);
	cr_assert(b->virtio_all_present);
	cr_assert(b->virtio_mmio_legacy, "QEMU 7.2's virtio-mmio is legacy by default");
	cr_assert_eq(nic.base, 0x0a003e00, "the NIC in the last transport");
	cr_assert_eq(nic.spi, 16 + 31);
	cr_assert_eq(b->pci_mmio32.base, 0x10000000);
	cr_assert_eq(b->pci_mmio32.size, 0x2eff0000);
	cr_assert_eq(b->pci_ecam.base, 0x3f000000);
	cr_assert_eq(b->pci_intx_first_spi, 3);
	cr_assert_eq(b->pci_mmio64.base, 512ULL << 30);
	cr_assert_str_eq(b->default_cmdline, "console=ttyAMA0 earlycon");
	cr_assert_not(b->multiqueue_prefers_pci);
	/* The exit device collides with nothing QEMU's map has (UART page is 4 KiB, RTC at +64 KiB). */
	cr_assert_eq(b->exit_device.base, 0x09001000);
}

/* The default board is today's map, unchanged. */
Test(board, tinyvmm_is_the_layout_h_map)
{
	const struct board *b = board_get(BOARD_TINYVMM);

	cr_assert_eq(b->ram_base, LAYOUT_RAM_BASE);
	cr_assert_eq(b->console, BOARD_CONSOLE_NS16550);
	cr_assert_eq(b->uart.base, LAYOUT_UART_BASE);
	cr_assert_eq(b->net_slot, 0);
	cr_assert_not(b->virtio_all_present);
	cr_assert_not(b->virtio_mmio_legacy);
	cr_assert_eq(b->flash[0].size, 0, "no flash on tinyvmm's board");
	cr_assert_eq(b->pci_ecam.base, LAYOUT_PCI_ECAM_BASE);
	cr_assert(b->multiqueue_prefers_pci);
	cr_assert_eq(board_max_cpus(b, 3), LAYOUT_MAX_CPUS_GICV3);
	cr_assert_eq(board_max_cpus(b, 2), LAYOUT_MAX_CPUS_GICV2);
}

Test(board, found_by_name)
{
	cr_assert_eq(board_by_name("tinyvmm"), board_get(BOARD_TINYVMM));
	cr_assert_eq(board_by_name("virt"), board_get(BOARD_VIRT));
	cr_assert_null(board_by_name("virt-7.2"));
	cr_assert_null(board_by_name(""));
}
