/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_LOADER_H
#define TINYVMM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "lib/util.h"

/*
 * What was loaded, by QEMU's rules (hw/arm/boot.c): an arm64 Image (its
 * header places it), an ELF (its physical addresses), anything else a raw
 * binary at RAM base + LOADER_RAW_OFFSET; or nothing, firmware in flash
 * (--bios) boots and loads what it likes.
 */
enum kernel_format { KERNEL_IMAGE, KERNEL_ELF, KERNEL_RAW, KERNEL_FIRMWARE };

/* Where QEMU puts raw AArch64 binaries (its KERNEL64_LOAD_ADDR). */
#define LOADER_RAW_OFFSET	0x80000ULL

/*
 * Another board whose RAM would hold an ELF this board's RAM does not, so
 * the error can say what to do (e.g. add --machine virt). Optional.
 */
struct loader_hint {
	uint64_t ram_base;
	uint64_t ram_end;	/* exclusive */
	const char *advice;	/* "built for QEMU's virt board? Add --machine virt" */
};

/* Where things were put in guest RAM, for the vCPU registers and the DTB. */
struct boot_layout {
	enum kernel_format format;
	bool gzipped;
	uint64_t image_flags;		/* arm64 Image header flags (page size); 0 for ELF */
	uint64_t entry;			/* PC of the boot vCPU */
	uint64_t kernel_start;		/* lowest byte the kernel owns */
	uint64_t kernel_end;		/* one past the highest (incl. bss) */
	uint64_t initrd_start;		/* 0 when there is no initrd */
	uint64_t initrd_size;
	uint64_t fdt_addr;		/* x0 at entry */
	uint64_t fdt_max_size;		/* room for the device tree at fdt_addr */
};

/*
 * Load a kernel from memory: arm64 Image (text_offset and image_size from
 * its header, 2 MiB aligned base), an ELF64 AArch64 executable (PT_LOAD at
 * physical addresses, entry e_entry), or a raw binary (neither: at RAM base
 * + LOADER_RAW_OFFSET, entered there), each possibly gzip-compressed. The
 * file is untrusted: every length and address is checked against guest RAM.
 * @hint may be NULL.
 */
int loader_load_kernel(const struct guest_mem *mem, const uint8_t *data,
		       size_t size, const struct loader_hint *hint,
		       struct boot_layout *bl, struct tvm_error *err);

/*
 * Place the initrd (may be NULL/0) below the FDT slot near the top of RAM,
 * clear of the kernel, and copy the initrd in. The device tree goes in
 * that slot, except below an ELF that leaves room at the start of RAM:
 * there it goes at the start of RAM, where QEMU puts it for such programs.
 */
int loader_place_initrd_and_fdt(const struct guest_mem *mem,
				const uint8_t *initrd, size_t initrd_size,
				struct boot_layout *bl, struct tvm_error *err);

/*
 * At start, for a kernel kept for reboots: a gzip file is decompressed
 * here, once, and *@data (malloc'd, freed here) replaced by the plain
 * image; *@gzipped says it was. Every boot then loads the plain image, so
 * nothing decompresses under the seccomp filter, where glibc growing a
 * large buffer (mremap) is refused. Other files are left as they are.
 */
int loader_unpack_kernel(uint8_t **data, size_t *size, size_t max_out, bool *gzipped,
			 struct tvm_error *err);

/*
 * Firmware boot (--bios): no kernel; the boot vCPU starts at @entry (the
 * flash) and the device tree goes at the start of RAM, as QEMU places it.
 */
void loader_place_firmware(const struct guest_mem *mem, uint64_t entry,
			   struct boot_layout *bl);

/* "Image", "ELF", "raw binary", "firmware": for the banner. */
const char *loader_format_name(enum kernel_format format);
/* "image", "elf", "raw", "firmware": --report-json's guest.kernel_format. */
const char *loader_format_report_name(enum kernel_format format);

/* Decompress a gzip stream, refusing output larger than @max_out. */
int loader_gunzip(const uint8_t *in, size_t in_size, size_t max_out,
		  uint8_t **out, size_t *out_size, struct tvm_error *err);

#define ARM64_IMAGE_MAGIC	0x644d5241U	/* "ARM\x64" at offset 56 */
#define ARM64_IMAGE_HEADER_SIZE	64

#endif
