// SPDX-License-Identifier: MIT
#include "vmm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

int guest_mem_alloc(struct guest_mem *mem, uint64_t gpa_base, uint64_t size,
		    struct tvm_error *err)
{
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"cannot reserve %llu MiB of guest RAM: %s. Lower --mem",
				(unsigned long long)(size >> 20), strerror(errno));
	/* Huge pages cut stage-2 TLB misses; advice only, failure is fine. */
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
