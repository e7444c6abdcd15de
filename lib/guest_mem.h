/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_GUEST_MEM_H
#define TINYVMM_GUEST_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util.h"

/* Host alignment of guest RAM: one stage-2 block (PMD with 4 KiB pages). */
#define GUEST_MEM_ALIGN		(2ULL << 20)

/* Guest RAM: one contiguous block of guest physical memory. */
struct guest_mem {
	uint8_t *host;		/* host virtual address of gpa_base */
	uint64_t gpa_base;
	uint64_t size;
};

int guest_mem_alloc(struct guest_mem *mem, uint64_t gpa_base, uint64_t size,
		    struct tvm_error *err);
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
