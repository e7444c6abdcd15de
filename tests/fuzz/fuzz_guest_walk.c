// SPDX-License-Identifier: MIT
/*
 * Reading a hung guest's stack (vmm/arm64/guest_walk.c): the guest's own page
 * tables and frame records, all guest controlled. Input:
 *
 *   u64 sctlr, tcr, ttbr0, ttbr1, fp, pc, lr; then the first bytes of guest
 *   RAM (64 KiB at LAYOUT_RAM_BASE, zero-padded).
 *
 * Translates pc, lr, fp and a few fixed addresses, walks the frame records
 * and formats each address. Guest RAM is on the heap, so ASan reports any
 * read outside it; the walk must stay bounded.
 */
#include "fuzz_common.h"
#include "vmm/arm64/guest_walk.h"
#include "vmm/arm64/layout.h"

#define RAM_SIZE	(64ULL << 10)

static struct guest_mem mem;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void format_checked(const struct guest_cpu_regs *r, uint64_t va)
{
	char buf[32];

	guest_format_addr(&mem, r, LAYOUT_RAM_BASE, RAM_SIZE / 2, va, buf, sizeof(buf));
	FZ_CHECK(memchr(buf, 0, sizeof(buf)) && buf[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct guest_cpu_regs r = { 0 };
	uint64_t frames[GUEST_WALK_MAX_FRAMES], pa;
	const uint64_t fixed[] = { 0xffff800008000000ULL, LAYOUT_RAM_BASE, ~0ULL, 0 };
	unsigned int n;

	r.sctlr = fz_u64(&f);
	r.tcr = fz_u64(&f);
	r.ttbr0 = fz_u64(&f);
	r.ttbr1 = fz_u64(&f);
	r.fp = fz_u64(&f);
	r.pc = fz_u64(&f);
	r.lr = fz_u64(&f);
	fz_mem_load(&mem, LAYOUT_RAM_BASE, RAM_SIZE, f.p, f.n);

	(void)guest_va_to_pa(&mem, &r, r.pc, &pa);
	(void)guest_va_to_pa(&mem, &r, r.fp, &pa);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		(void)guest_va_to_pa(&mem, &r, fixed[i], &pa);
	n = guest_backtrace(&mem, &r, frames, GUEST_WALK_MAX_FRAMES);
	FZ_CHECK(n <= GUEST_WALK_MAX_FRAMES);
	format_checked(&r, r.pc);
	format_checked(&r, r.lr);
	for (unsigned int i = 0; i < n; i++)
		format_checked(&r, frames[i]);
	return 0;
}
