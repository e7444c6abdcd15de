// SPDX-License-Identifier: MIT
/*
 * Reading a stopped guest's stack: its stage-1 page tables and frame
 * records. Used at --timeout so a hung boot says where it hung; written
 * from the Arm ARM (VMSAv8-64 translation, TCR_EL1 fields) and the AAPCS64
 * frame-record layout.
 */
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmm/arm64/guest_walk.h"

#define PA_MASK_48	0x0000fffffffffffful	/* output addresses: 48-bit PA */
#define SCTLR_M		(1ul << 0)		/* stage-1 MMU enabled */
#define TCR_EPD0	(1ul << 7)		/* TTBR0 walks disabled */
#define TCR_EPD1	(1ul << 23)		/* TTBR1 walks disabled */

/* One half of the EL1&0 address space, as TCR_EL1 describes it. */
struct regime {
	uint64_t table;
	unsigned int va_bits;
	unsigned int granule_shift;
};

static bool is_upper(uint64_t va)
{
	return (va >> 55) & 1;	/* bit 55 picks TTBR1, even with tags on */
}

/* TG0 and TG1 encode the same granules differently. */
static unsigned int granule_shift(bool upper, unsigned int tg)
{
	static const unsigned int tg0[4] = { 12, 16, 14, 0 };
	static const unsigned int tg1[4] = { 0, 14, 12, 16 };

	return upper ? tg1[tg] : tg0[tg];
}

static int pick_regime(const struct guest_cpu_regs *regs, uint64_t va, struct regime *rg)
{
	bool upper = is_upper(va);
	unsigned int tsz = (unsigned int)(upper ? regs->tcr >> 16 : regs->tcr) & 0x3f;
	unsigned int tg = (unsigned int)(upper ? regs->tcr >> 30 : regs->tcr >> 14) & 3;

	if (regs->tcr & (upper ? TCR_EPD1 : TCR_EPD0))
		return -1;
	rg->granule_shift = granule_shift(upper, tg);
	/* 16..48-bit spaces; 52-bit (LVA/LPA2) layouts are not decoded. */
	if (!rg->granule_shift || tsz < 16 || tsz > 48)
		return -1;
	rg->va_bits = 64 - tsz;
	rg->table = upper ? regs->ttbr1 : regs->ttbr0;
	return 0;
}

/* Bits [55:va_bits] must all equal bit 55, or the address faults. */
static bool in_range(const struct regime *rg, uint64_t va)
{
	uint64_t high = (va & ((1ul << 56) - 1)) >> rg->va_bits;
	uint64_t ones = (1ul << (56 - rg->va_bits)) - 1;

	return high == (is_upper(va) ? ones : 0);
}

/* A little-endian u64 at a guest physical address: a descriptor or a stack word. */
static int read_pa_u64(const struct guest_mem *mem, uint64_t gpa, uint64_t *value)
{
	const void *p = guest_mem_ptr(mem, gpa, sizeof(*value));
	uint64_t raw;

	if (!p)
		return -1;
	memcpy(&raw, p, sizeof(raw));
	*value = le64toh(raw);
	return 0;
}

static int walk(const struct guest_mem *mem, const struct regime *rg, uint64_t va, uint64_t *pa)
{
	unsigned int stride = rg->granule_shift - 3;
	unsigned int levels = (rg->va_bits - rg->granule_shift + stride - 1) / stride;
	unsigned int start = 4 - levels;
	uint64_t table = rg->table & PA_MASK_48;

	for (unsigned int level = start; level <= 3; level++) {
		unsigned int shift = rg->granule_shift + (3 - level) * stride;
		unsigned int bits = level == start ? rg->va_bits - shift : stride;
		uint64_t index = (va >> shift) & ((1ul << bits) - 1);
		uint64_t desc;

		table &= ~((8ul << bits) - 1);	/* tables are aligned to their size */
		if (read_pa_u64(mem, table + index * 8, &desc) || !(desc & 1))
			return -1;
		if (level < 3 && (desc & 2)) {
			table = desc & PA_MASK_48 & ~((1ul << rg->granule_shift) - 1);
			continue;
		}
		if (level == 3 ? !(desc & 2) : level == 0)
			return -1;	/* reserved encoding, or a level-0 block */
		*pa = (desc & PA_MASK_48 & ~((1ul << shift) - 1)) | (va & ((1ul << shift) - 1));
		return 0;
	}
	return -1;
}

int guest_va_to_pa(const struct guest_mem *mem, const struct guest_cpu_regs *regs,
		   uint64_t va, uint64_t *pa)
{
	struct regime rg;

	if (!(regs->sctlr & SCTLR_M)) {
		*pa = va;	/* MMU off: flat */
		return 0;
	}
	if (pick_regime(regs, va, &rg) || !in_range(&rg, va))
		return -1;
	return walk(mem, &rg, va, pa);
}

static int read_guest_u64(const struct guest_mem *mem, const struct guest_cpu_regs *regs,
			  uint64_t va, uint64_t *value)
{
	uint64_t pa;

	if (guest_va_to_pa(mem, regs, va, &pa))
		return -1;
	return read_pa_u64(mem, pa, value);
}

uint64_t guest_strip_pac(const struct guest_cpu_regs *regs, uint64_t va)
{
	struct regime rg;
	uint64_t low;

	if (!(regs->sctlr & SCTLR_M) || pick_regime(regs, va, &rg))
		return va;
	low = (1ul << rg.va_bits) - 1;
	return is_upper(va) ? va | ~low : va & low;
}

unsigned int guest_backtrace(const struct guest_mem *mem, const struct guest_cpu_regs *regs,
			     uint64_t *ret, unsigned int max)
{
	uint64_t fp = regs->fp;
	unsigned int n = 0;

	while (n < max && fp != 0 && !(fp & 7)) {
		uint64_t next, lr;

		if (read_guest_u64(mem, regs, fp, &next) ||
		    read_guest_u64(mem, regs, fp + 8, &lr) || lr == 0)
			break;
		ret[n++] = guest_strip_pac(regs, lr);
		if (next == fp)
			break;	/* a record pointing at itself ends the chain */
		fp = next;
	}
	return n;
}

void guest_format_addr(const struct guest_mem *mem, const struct guest_cpu_regs *regs,
		       uint64_t image_gpa, uint64_t image_size, uint64_t va,
		       char *buf, size_t size)
{
	uint64_t pa;

	if (image_size && guest_va_to_pa(mem, regs, va, &pa) == 0 &&
	    pa >= image_gpa && pa - image_gpa < image_size) {
		snprintf(buf, size, "Image+0x%llx", (unsigned long long)(pa - image_gpa));
		return;
	}
	snprintf(buf, size, "0x%llx", (unsigned long long)va);
}
