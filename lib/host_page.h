/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_HOST_PAGE_H
#define TINYVMM_HOST_PAGE_H

#include <stdint.h>

#include "lib/util.h"

/*
 * The host kernel's page size: 4K (Debian's default), 16K (Raspberry Pi 5,
 * Apple Silicon under Asahi) or 64K (some server kernels). Never assumed:
 * memory slots, the GIC frames KVM maps into the guest and the host-side
 * alignment of guest RAM all follow it.
 */
uint64_t host_page_size(void);

/*
 * The stage-2 block KVM uses for guest RAM when the host memory behind it
 * is a transparent huge page: one level-2 table entry, i.e. a page of
 * 8-byte descriptors' worth of pages: 2 MiB at 4K, 32 MiB at 16K, 512 MiB
 * at 64K. Guest RAM is aligned to it in tinyvmm's address space.
 */
uint64_t host_stage2_block(uint64_t page);

#endif
