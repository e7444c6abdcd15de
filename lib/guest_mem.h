/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_GUEST_MEM_H
#define TINYVMM_GUEST_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util.h"

/* Guest RAM: one contiguous block of guest physical memory. */
struct guest_mem {
	uint8_t *host;		/* host virtual address of gpa_base */
	uint64_t gpa_base;
	uint64_t size;
};

/* Guest RAM aligned in tinyvmm's address space to host_stage2_block(). */
int guest_mem_alloc(struct guest_mem *mem, uint64_t gpa_base, uint64_t size,
		    struct tvm_error *err);
/* The same with the host alignment given (a power of two, a page multiple). */
int guest_mem_alloc_aligned(struct guest_mem *mem, uint64_t gpa_base, uint64_t size,
			    uint64_t align, struct tvm_error *err);
void guest_mem_free(struct guest_mem *mem);

/*
 * Translate [gpa, gpa + len) to a host pointer, or NULL if any byte lies
 * outside guest RAM. Safe against overflow: every guest-supplied address
 * goes through here.
 */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

static inline uint64_t guest_mem_end(const struct guest_mem *mem)
{
	return mem->gpa_base + mem->size;
}

#endif
