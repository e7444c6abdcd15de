/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_GUEST_WALK_H
#define TINYVMM_GUEST_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/guest_mem.h"

/*
 * What a stuck guest was doing, read back from its own registers and
 * memory after the vCPUs stopped: the stage-1 translation the guest set up
 * (EL1&0 regime, 4/16/64 KiB granules) and the AArch64 frame-record chain
 * (x29 -> {previous x29, return address}). Everything read is guest
 * controlled, so each step is bounds-checked and the walk is bounded.
 */
struct guest_cpu_regs {
	uint64_t pc, pstate, lr, fp;
	uint64_t sctlr, tcr, ttbr0, ttbr1;
};

#define GUEST_WALK_MAX_FRAMES 16

/* Guest VA -> guest PA through the guest's own tables. 0 on success. */
int guest_va_to_pa(const struct guest_mem *mem, const struct guest_cpu_regs *regs,
		   uint64_t va, uint64_t *pa);

/*
 * @va without the pointer-authentication code a guest with PAuth signs
 * return addresses with (x30 and the frame records' return addresses):
 * the bits above the regime's VA size set back to copies of bit 55.
 */
uint64_t guest_strip_pac(const struct guest_cpu_regs *regs, uint64_t va);

/*
 * The return addresses of up to @max frame records starting at regs->fp,
 * pointer-authentication bits removed. Returns how many were found.
 */
unsigned int guest_backtrace(const struct guest_mem *mem, const struct guest_cpu_regs *regs,
			     uint64_t *ret, unsigned int max);

/*
 * Format @va for a user with System.map: "Image+0xOFF" when it maps into
 * the kernel Image loaded at @image_gpa (size @image_size; 0 for none),
 * else the raw address.
 */
void guest_format_addr(const struct guest_mem *mem, const struct guest_cpu_regs *regs,
		       uint64_t image_gpa, uint64_t image_size, uint64_t va,
		       char *buf, size_t size);

#endif
