// SPDX-License-Identifier: MIT
/*
 * Kernel loading (vmm/arm64/loader.c): loader_load_kernel() on a fuzzed file
 * (arm64 Image, gzip or ELF), then loader_place_initrd_and_fdt(). Input:
 *
 *   u8 flags (bit 0: RAM base 1 MiB past a 2 MiB boundary; bit 1: initrd),
 *   u24 initrd size (at most 4 MiB), then the kernel file.
 *
 * Guest RAM is 8 MiB on the heap, so ASan catches any write outside it.
 */
#include "fuzz_common.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/loader.h"

#define RAM_SIZE	(8ULL << 20)
#define INITRD_MAX	(4ULL << 20)

static struct guest_mem mem;
static uint8_t *initrd;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags = fz_u8(&f);
	size_t initrd_size = (fz_u16(&f) | (size_t)fz_u8(&f) << 16) % (INITRD_MAX + 1);
	uint64_t base = LAYOUT_RAM_BASE + ((flags & 1) ? (1ULL << 20) : 0), end;
	struct boot_layout bl;
	struct tvm_error err = { 0 };
	uint8_t *kernel;

	if (!mem.host) {
		fz_mem_load(&mem, base, RAM_SIZE, NULL, 0);
		initrd = calloc(1, INITRD_MAX);
	}
	mem.gpa_base = base;
	end = guest_mem_end(&mem);
	/* An exact-size copy of the file: ASan sees any read past its end. */
	kernel = malloc(f.n ? f.n : 1);
	memcpy(kernel, f.p, f.n);
	if (loader_load_kernel(&mem, kernel, f.n, NULL, &bl, &err)) {
		FZ_CHECK(err.code == TVM_EXIT_USAGE || err.code == TVM_EXIT_ERROR);
		FZ_CHECK(memchr(err.msg, 0, sizeof(err.msg)) && err.msg[0]);
		free(kernel);
		return 0;
	}
	free(kernel);
	FZ_CHECK(bl.kernel_start >= base && bl.kernel_start <= bl.kernel_end);
	FZ_CHECK(bl.kernel_end <= end);
	FZ_CHECK(bl.entry >= base && bl.entry < end);
	if (loader_place_initrd_and_fdt(&mem, (flags & 2) ? initrd : NULL, initrd_size, &bl, &err))
		return 0;
	/* The device tree's room: in RAM, clear of the kernel (above it, or below an ELF). */
	FZ_CHECK(bl.fdt_addr >= base && bl.fdt_max_size > 0 && bl.fdt_max_size <= LAYOUT_FDT_MAX_SIZE);
	FZ_CHECK(bl.fdt_addr + bl.fdt_max_size <= end);
	FZ_CHECK(bl.fdt_addr >= bl.kernel_end || bl.fdt_addr + bl.fdt_max_size <= bl.kernel_start);
	if (bl.initrd_size) {
		FZ_CHECK(bl.initrd_size == initrd_size);
		FZ_CHECK(bl.initrd_start >= bl.kernel_end);
		FZ_CHECK(bl.initrd_start + bl.initrd_size <= end);
		FZ_CHECK(bl.initrd_start + bl.initrd_size <= bl.fdt_addr ||
			 bl.initrd_start >= bl.fdt_addr + bl.fdt_max_size);
	}
	return 0;
}
