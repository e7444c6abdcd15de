/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_GRANULE_H
#define TINYVMM_GRANULE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

/*
 * Guest page size against the CPU: an arm64 Image says in its header
 * which page size it was built for (Documentation/arch/arm64/booting.rst,
 * flags bits 1-2), the vCPU's ID_AA64MMFR0_EL1 which translation granules
 * it implements (TGran4, TGran16, TGran64). A kernel built for a granule
 * the CPU lacks dies before its first console line, so say it up front.
 */
#define GRANULE_4K	(1U << 0)
#define GRANULE_16K	(1U << 1)
#define GRANULE_64K	(1U << 2)

/* The Image header's page size in KiB (4, 16 or 64); 0 if it does not say. */
unsigned int image_page_kib(uint64_t header_flags);

/* GRANULE_* bits for the granules ID_AA64MMFR0_EL1 says are implemented. */
unsigned int mmfr0_granules(uint64_t mmfr0);

/* "4K, 16K and 64K", "4K and 16K", "64K" or "no" (@conj "and"/"or"); into @buf. */
const char *granule_list(unsigned int granules, const char *conj, char *buf, size_t size);

/* 0 if a kernel with @header_flags can run on a CPU with @mmfr0; else a usage error. */
int granule_check(uint64_t header_flags, uint64_t mmfr0, struct tvm_error *err);

#endif
