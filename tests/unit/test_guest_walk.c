// SPDX-License-Identifier: MIT
/* Reading a stopped guest's stack: stage-1 walks and frame records. */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/guest_mem.h"
#include "vmm/arm64/guest_walk.h"
#include "vmm/arm64/layout.h"

#define MIB (1ULL << 20)
#define RAM_BASE LAYOUT_RAM_BASE
#define RAM_SIZE (32 * MIB)
#define TABLES (RAM_BASE + 16 * MIB)	/* page tables are built from here up */
#define IMAGE_GPA (RAM_BASE + 2 * MIB)
#define IMAGE_SIZE (4 * MIB)
#define STACK_GPA (RAM_BASE + 8 * MIB)
#define KERNEL_VA 0xffff800008000000ULL	/* arm64 Linux _text without KASLR */
#define STACK_VA 0xffff800010004000ULL
/* TCR_EL1 as Linux sets it for 4 KiB pages and 48-bit VAs. */
#define TCR_4K_48 ((2ULL << 30) | (16ULL << 16) | 16ULL)
/* 64 KiB pages, 48-bit VAs: TG1 = 0b11, TG0 = 0b01. */
#define TCR_64K_48 ((3ULL << 30) | (16ULL << 16) | (1ULL << 14) | 16ULL)
#define DESC_AF (1ULL << 10)

static struct guest_mem mem;
static uint64_t next_table;

static void mem_setup(void)
{
	struct tvm_error err = { 0 };

	cr_assert_eq(guest_mem_alloc(&mem, RAM_BASE, RAM_SIZE, &err), 0, "%s", err.msg);
	memset(mem.host, 0, RAM_SIZE);
	next_table = TABLES;
}

static void mem_teardown(void)
{
	guest_mem_free(&mem);
}

TestSuite(walk, .init = mem_setup, .fini = mem_teardown);
TestSuite(backtrace, .init = mem_setup, .fini = mem_teardown);

static uint64_t *at(uint64_t gpa)
{
	uint64_t *p = guest_mem_ptr(&mem, gpa, 8);

	cr_assert_not_null(p, "gpa 0x%llx outside the test RAM", (unsigned long long)gpa);
	return p;
}

static uint64_t new_table(unsigned int granule_shift)
{
	uint64_t size = 1ULL << granule_shift;
	uint64_t table = (next_table + size - 1) & ~(size - 1);

	next_table = table + size;
	return table;
}

/* Map va -> pa with a leaf at @leaf_level (3: page, 1 or 2: block). */
static void map(uint64_t root, unsigned int gshift, unsigned int va_bits, uint64_t va,
		uint64_t pa, unsigned int leaf_level)
{
	unsigned int stride = gshift - 3;
	unsigned int start = 4 - (va_bits - gshift + stride - 1) / stride;
	uint64_t table = root;

	for (unsigned int level = start;; level++) {
		unsigned int shift = gshift + (3 - level) * stride;
		unsigned int bits = level == start ? va_bits - shift : stride;
		uint64_t *entry = at(table + ((va >> shift) & ((1ULL << bits) - 1)) * 8);

		if (level == leaf_level) {
			*entry = pa | DESC_AF | (level == 3 ? 3 : 1);
			return;
		}
		if (!*entry)
			*entry = new_table(gshift) | 3;
		table = *entry & 0x0000fffffffff000ULL & ~((1ULL << gshift) - 1);
	}
}

static struct guest_cpu_regs linux_4k(uint64_t *root)
{
	struct guest_cpu_regs r = { .sctlr = 1, .tcr = TCR_4K_48 };

	*root = new_table(12);
	r.ttbr1 = *root | (1ULL << 48);	/* an ASID in TTBR's top bits is not address */
	map(*root, 12, 48, KERNEL_VA, IMAGE_GPA, 2);
	map(*root, 12, 48, KERNEL_VA + 2 * MIB, IMAGE_GPA + 2 * MIB, 2);
	map(*root, 12, 48, STACK_VA, STACK_GPA, 3);
	return r;
}

Test(walk, linux_4k_layout_block_and_page)
{
	uint64_t root, pa = 0;
	struct guest_cpu_regs r = linux_4k(&root);

	/* The kernel half of a 48-bit space starts at PGD entry 256. */
	cr_assert_neq(*at(root + 256 * 8), 0);
	cr_assert_eq(guest_va_to_pa(&mem, &r, KERNEL_VA + 0x1234, &pa), 0);
	cr_assert_eq(pa, IMAGE_GPA + 0x1234);
	cr_assert_eq(guest_va_to_pa(&mem, &r, KERNEL_VA + 3 * MIB + 8, &pa), 0);
	cr_assert_eq(pa, IMAGE_GPA + 3 * MIB + 8);
	cr_assert_eq(guest_va_to_pa(&mem, &r, STACK_VA + 0xff8, &pa), 0);
	cr_assert_eq(pa, STACK_GPA + 0xff8);
}

Test(walk, unmapped_and_out_of_range_addresses_fail)
{
	uint64_t root, pa = 0;
	struct guest_cpu_regs r = linux_4k(&root);

	cr_assert_neq(guest_va_to_pa(&mem, &r, STACK_VA + 0x1000, &pa), 0);
	cr_assert_neq(guest_va_to_pa(&mem, &r, KERNEL_VA + 4 * MIB, &pa), 0);
	/* Bit 55 set but bits 54:48 clear: outside the 48-bit upper range. */
	cr_assert_neq(guest_va_to_pa(&mem, &r, 0x0080800008000000ULL, &pa), 0);
	/* TTBR0 half: nothing mapped (root 0 is outside RAM). */
	cr_assert_neq(guest_va_to_pa(&mem, &r, 0x400000, &pa), 0);
	/* Walks through TTBR1 disabled (EPD1). */
	r.tcr |= 1ULL << 23;
	cr_assert_neq(guest_va_to_pa(&mem, &r, KERNEL_VA, &pa), 0);
}

Test(walk, hostile_tables_are_contained)
{
	uint64_t root, pa = 0;
	struct guest_cpu_regs r = linux_4k(&root);
	uint64_t *pgd = at(root + 256 * 8);

	*pgd = 0x0000fffffffff000ULL | 3;	/* next table far outside RAM */
	cr_assert_neq(guest_va_to_pa(&mem, &r, KERNEL_VA, &pa), 0);
	*pgd = root | 3;	/* the PGD as its own PUD, PMD and PTE */
	(void)guest_va_to_pa(&mem, &r, KERNEL_VA, &pa);	/* bounded: 4 levels */
	*pgd = IMAGE_GPA | 1;	/* a level-0 block does not exist */
	cr_assert_neq(guest_va_to_pa(&mem, &r, KERNEL_VA, &pa), 0);
	r.tcr = (r.tcr & ~(0x3fULL << 16)) | (60ULL << 16);	/* 4-bit space */
	cr_assert_neq(guest_va_to_pa(&mem, &r, ~0ULL, &pa), 0);
	r.tcr = (r.tcr & ~(3ULL << 30));	/* TG1 0b00 is reserved */
	cr_assert_neq(guest_va_to_pa(&mem, &r, KERNEL_VA, &pa), 0);
}

Test(walk, mmu_off_is_flat)
{
	struct guest_cpu_regs r = { .sctlr = 0 };
	uint64_t pa = 0;

	cr_assert_eq(guest_va_to_pa(&mem, &r, IMAGE_GPA + 0x80, &pa), 0);
	cr_assert_eq(pa, IMAGE_GPA + 0x80);
}

Test(walk, granule_64k)
{
	struct guest_cpu_regs r = { .sctlr = 1, .tcr = TCR_64K_48 };
	uint64_t root = new_table(16), pa = 0;

	r.ttbr1 = root;
	map(root, 16, 48, KERNEL_VA, IMAGE_GPA, 3);		/* a 64 KiB page */
	map(root, 16, 48, 0xffff900020000000ULL, 0x80000000ULL, 2);	/* a 512 MiB block */
	cr_assert_eq(guest_va_to_pa(&mem, &r, KERNEL_VA + 0xfff0, &pa), 0);
	cr_assert_eq(pa, IMAGE_GPA + 0xfff0);
	cr_assert_eq(guest_va_to_pa(&mem, &r, 0xffff90002abcdef0ULL, &pa), 0);
	cr_assert_eq(pa, 0x8abcdef0ULL);
	cr_assert_neq(guest_va_to_pa(&mem, &r, KERNEL_VA + 0x10000, &pa), 0);
}

/* A frame record {fp, lr} at stack offset @off. */
static void record(uint64_t off, uint64_t fp, uint64_t lr)
{
	*at(STACK_GPA + off) = fp;
	*at(STACK_GPA + off + 8) = lr;
}

Test(backtrace, follows_the_chain_and_strips_pac)
{
	uint64_t root, ret[GUEST_WALK_MAX_FRAMES];
	struct guest_cpu_regs r = linux_4k(&root);

	r.fp = STACK_VA + 0x100;
	record(0x100, STACK_VA + 0x200, 0x12bf800008001234ULL);	/* PAC in bits 63:56, 54:48 */
	record(0x200, STACK_VA + 0x300, KERNEL_VA + 0x5678);
	record(0x300, 0, KERNEL_VA + 0x9abc);
	cr_assert_eq(guest_backtrace(&mem, &r, ret, GUEST_WALK_MAX_FRAMES), 3);
	cr_assert_eq(ret[0], KERNEL_VA + 0x1234);
	cr_assert_eq(ret[1], KERNEL_VA + 0x5678);
	cr_assert_eq(ret[2], KERNEL_VA + 0x9abc);
}

/* The lr register itself is signed too once the guest has PAuth. */
Test(backtrace, strip_pac_of_a_signed_lr)
{
	uint64_t root;
	struct guest_cpu_regs r = linux_4k(&root);

	cr_assert_eq(guest_strip_pac(&r, 0x64ae800008001234ULL), KERNEL_VA + 0x1234);
	cr_assert_eq(guest_strip_pac(&r, KERNEL_VA + 0x1234), KERNEL_VA + 0x1234);
	/* User (lower half) addresses: the code goes, the low bits stay. */
	cr_assert_eq(guest_strip_pac(&r, 0x003a000000401000ULL), 0x401000ULL);
}

Test(backtrace, bad_chains_stop)
{
	uint64_t root, ret[4];
	struct guest_cpu_regs r = linux_4k(&root);

	r.fp = STACK_VA + 0x104;	/* misaligned */
	cr_assert_eq(guest_backtrace(&mem, &r, ret, 4), 0);
	r.fp = STACK_VA + 0x100;
	record(0x100, STACK_VA + 0x100, KERNEL_VA);	/* points at itself */
	cr_assert_eq(guest_backtrace(&mem, &r, ret, 4), 1);
	record(0x100, STACK_VA + 0x200, KERNEL_VA);	/* a two-record cycle */
	record(0x200, STACK_VA + 0x100, KERNEL_VA + 4);
	cr_assert_eq(guest_backtrace(&mem, &r, ret, 4), 4);
	record(0x200, STACK_VA + 0x2000, KERNEL_VA + 4);	/* into unmapped memory */
	cr_assert_eq(guest_backtrace(&mem, &r, ret, 4), 2);
	r.fp = 0;
	cr_assert_eq(guest_backtrace(&mem, &r, ret, 4), 0);
}

Test(backtrace, addresses_named_by_image_offset)
{
	uint64_t root;
	struct guest_cpu_regs r = linux_4k(&root);
	char buf[32];

	guest_format_addr(&mem, &r, IMAGE_GPA, IMAGE_SIZE, KERNEL_VA + 0x1e9e00, buf, sizeof(buf));
	cr_assert_str_eq(buf, "Image+0x1e9e00");
	/* Mapped, but not the Image: the raw address. */
	guest_format_addr(&mem, &r, IMAGE_GPA, IMAGE_SIZE, STACK_VA, buf, sizeof(buf));
	cr_assert_str_eq(buf, "0xffff800010004000");
	/* No Image (an ELF kernel): always raw. */
	guest_format_addr(&mem, &r, 0, 0, KERNEL_VA, buf, sizeof(buf));
	cr_assert_str_eq(buf, "0xffff800008000000");
}
