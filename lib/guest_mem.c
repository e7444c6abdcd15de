// SPDX-License-Identifier: MIT
#include "lib/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/host_page.h"

/*
 * Reserve size bytes at a stage-2-block-aligned address (2 MiB with 4K host
 * pages, 32 MiB with 16K, 512 MiB with 64K). KVM maps a guest range with
 * one stage-2 block only when host and guest addresses agree modulo the
 * block size, so an unaligned mapping would leave every guest page a
 * separate stage-2 fault and TLB entry even when THP backs it. Linux
 * aligns large anonymous mappings itself only since 6.7; do it by hand:
 * over-reserve by one block and trim both ends.
 */
static void *reserve_aligned(uint64_t size, uint64_t slack)
{
	uint8_t *p, *aligned;
	uint64_t head, tail;

	p = mmap(NULL, size + slack, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return MAP_FAILED;
	aligned = (uint8_t *)(((uintptr_t)p + slack - 1) & ~(uintptr_t)(slack - 1));
	head = aligned - p;
	tail = slack - head;
	if (head)
		munmap(p, head);
	if (tail)
		munmap(aligned + size, tail);
	return aligned;
}

int guest_mem_alloc(struct guest_mem *mem, uint64_t gpa_base, uint64_t size,
		    struct tvm_error *err)
{
	return guest_mem_alloc_aligned(mem, gpa_base, size,
				       host_stage2_block(host_page_size()), err);
}

int guest_mem_alloc_aligned(struct guest_mem *mem, uint64_t gpa_base, uint64_t size,
			    uint64_t align, struct tvm_error *err)
{
	void *p;

	p = reserve_aligned(size, align);
	if (p == MAP_FAILED)
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_USAGE,
				      "cannot reserve %llu MiB of guest RAM: %s. Lower --mem",
				      (unsigned long long)(size >> 20), strerror(errno));
	/* Huge pages cut stage-2 TLB misses and faults; advice only. */
	madvise(p, size, MADV_HUGEPAGE);
	mem->host = p;
	mem->gpa_base = gpa_base;
	mem->size = size;
	return 0;
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	mem->host = NULL;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t offset;

	if (gpa < mem->gpa_base)
		return NULL;
	offset = gpa - mem->gpa_base;
	if (offset > mem->size || len > mem->size - offset)
		return NULL;
	return mem->host + offset;
}
