/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_LAYOUT_CHECK_H
#define TINYVMM_LAYOUT_CHECK_H

#include <stdint.h>

#include "lib/util.h"
#include "vmm/arm64/board.h"

/*
 * Whether board @b's memory map with @ram_bytes of RAM works
 * on a host with @page-byte pages: the RAM memory slot's address and size
 * page-aligned, the GIC frames KVM maps or places at the alignment KVM
 * asks for. A usage error naming the region otherwise.
 */
int layout_check_host_page(const struct board *b, uint64_t page, uint64_t ram_bytes,
			   struct tvm_error *err);

#endif
