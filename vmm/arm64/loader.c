// SPDX-License-Identifier: MIT
/*
 * Kernel loaders. The kernel file is user input, not guest input, but it is
 * still parsed defensively: a corrupt file must give a clear error, never a
 * write outside guest RAM.
 */
#include "vmm/arm64/loader.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vmm/arm64/layout.h"

/* The least room at the start of RAM worth putting a device tree in. */
#define LOADER_FDT_MIN_ROOM	0x10000ULL

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static bool is_gzip(const uint8_t *d, size_t n)
{
	return n >= 18 && d[0] == 0x1f && d[1] == 0x8b && d[2] == 8;
}

static bool is_elf(const uint8_t *d, size_t n)
{
	return n >= SELFMAG && !memcmp(d, ELFMAG, SELFMAG);
}

static bool is_arm64_image(const uint8_t *d, size_t n)
{
	return n >= ARM64_IMAGE_HEADER_SIZE && get_le32(d + 56) == ARM64_IMAGE_MAGIC;
}

int loader_gunzip(const uint8_t *in, size_t in_size, size_t max_out,
		  uint8_t **out, size_t *out_size, struct tvm_error *err)
{
	z_stream zs = { 0 };
	size_t cap = in_size * 4 < max_out ? in_size * 4 : max_out;
	uint8_t *buf;
	int ret;

	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return tvm_fail(err, TVM_EXIT_ERROR, "cannot start gzip decompression");
	buf = malloc(cap ? cap : 1);
	if (!buf) {
		inflateEnd(&zs);
		return tvm_fail(err, TVM_EXIT_ERROR, "out of memory decompressing the kernel");
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_size;
	for (;;) {
		if (zs.total_out == cap) {
			uint8_t *bigger;

			if (cap >= max_out) {
				ret = Z_BUF_ERROR;
				break;
			}
			cap = cap * 2 < max_out ? cap * 2 : max_out;
			bigger = realloc(buf, cap);
			if (!bigger) {
				ret = Z_MEM_ERROR;
				break;
			}
			buf = bigger;
		}
		zs.next_out = buf + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END || (ret != Z_OK && ret != Z_BUF_ERROR))
			break;
		if (ret == Z_BUF_ERROR && zs.avail_in == 0)
			break;	/* input ended before the stream did */
	}
	*out_size = zs.total_out;
	inflateEnd(&zs);
	if (ret != Z_STREAM_END) {
		free(buf);
		if (ret == Z_BUF_ERROR && *out_size >= max_out)
			return tvm_fail(err, TVM_EXIT_USAGE,
					"decompressed kernel is larger than guest RAM (%zu MiB). Raise --mem",
					max_out >> 20);
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel gzip stream is truncated or corrupt. Pass an intact vmlinuz or Image");
	}
	*out = buf;
	return 0;
}

static int load_image(const struct guest_mem *mem, const uint8_t *d, size_t n,
		      struct boot_layout *bl, struct tvm_error *err)
{
	uint64_t text_offset = get_le64(d + 8);
	uint64_t image_size = get_le64(d + 16);
	uint64_t base = align_up(mem->gpa_base, LAYOUT_KERNEL_ALIGN);
	uint64_t span;
	void *dst;

	/* Kernels before 3.17 leave image_size 0 and imply text_offset 0x80000. */
	if (image_size == 0) {
		text_offset = 0x80000;
		image_size = n;
	}
	if (text_offset >= LAYOUT_KERNEL_ALIGN * 512 || (text_offset & 0xfff))
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel Image header has an invalid text_offset 0x%llx. Pass an intact arm64 Image",
				(unsigned long long)text_offset);
	span = image_size > n ? image_size : n;
	dst = guest_mem_ptr(mem, base + text_offset, span);
	if (!dst)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel needs %llu MiB but guest RAM is %llu MiB. Raise --mem",
				(unsigned long long)((text_offset + span + (1 << 20) - 1) >> 20),
				(unsigned long long)(mem->size >> 20));
	memcpy(dst, d, n);
	bl->format = KERNEL_IMAGE;
	bl->image_flags = get_le64(d + 24);
	bl->entry = base + text_offset;
	bl->kernel_start = base;
	bl->kernel_end = base + text_offset + span;
	return 0;
}

static int check_elf_header(const Elf64_Ehdr *eh, size_t n, struct tvm_error *err)
{
	if (n < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel ELF is not 64-bit little-endian. Build it for aarch64");
	if (eh->e_machine != EM_AARCH64)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel ELF is for machine %u, not AArch64. Build it for aarch64",
				eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel ELF is not an executable (e_type %u). Link it as a static executable",
				eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phoff > n || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > n - eh->e_phoff)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel ELF program headers are missing or truncated. Pass an intact ELF");
	return 0;
}

/* The segment is outside RAM: say where it was linked, and for which board if known. */
static int segment_outside_ram(const struct guest_mem *mem, const Elf64_Phdr *ph,
			       const struct loader_hint *hint, struct tvm_error *err)
{
	unsigned long long start = ph->p_paddr, end = ph->p_paddr + ph->p_memsz;

	if (hint && ph->p_paddr >= hint->ram_base && ph->p_paddr < hint->ram_end)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel ELF segment 0x%llx-0x%llx lies outside guest RAM 0x%llx-0x%llx: it is linked for RAM at 0x%llx. %s",
				start, end, (unsigned long long)mem->gpa_base,
				(unsigned long long)guest_mem_end(mem),
				(unsigned long long)hint->ram_base, hint->advice);
	return tvm_fail(err, TVM_EXIT_USAGE,
			"kernel ELF segment 0x%llx-0x%llx lies outside guest RAM 0x%llx-0x%llx. Link it into RAM or raise --mem",
			start, end, (unsigned long long)mem->gpa_base,
			(unsigned long long)guest_mem_end(mem));
}

static int load_elf_segment(const struct guest_mem *mem, const uint8_t *d, size_t n,
			    const Elf64_Phdr *ph, const struct loader_hint *hint,
			    struct tvm_error *err)
{
	uint8_t *dst;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > n || ph->p_filesz > n - ph->p_offset)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel ELF segment at offset 0x%llx is truncated or inconsistent. Pass an intact ELF",
				(unsigned long long)ph->p_offset);
	dst = guest_mem_ptr(mem, ph->p_paddr, ph->p_memsz);
	if (!dst)
		return segment_outside_ram(mem, ph, hint, err);
	memcpy(dst, d + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return 0;
}

/* e_entry may be virtual; translate it through the segment that holds it. */
static bool elf_entry_to_phys(const Elf64_Phdr *phs, unsigned int num,
			      uint64_t entry, uint64_t *phys)
{
	for (unsigned int i = 0; i < num; i++) {
		const Elf64_Phdr *ph = &phs[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (entry >= ph->p_paddr && entry - ph->p_paddr < ph->p_memsz) {
			*phys = entry;
			return true;
		}
		if (entry >= ph->p_vaddr && entry - ph->p_vaddr < ph->p_memsz) {
			*phys = ph->p_paddr + (entry - ph->p_vaddr);
			return true;
		}
	}
	return false;
}

static int load_elf(const struct guest_mem *mem, const uint8_t *d, size_t n,
		    const struct loader_hint *hint, struct boot_layout *bl,
		    struct tvm_error *err)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *phs;
	uint64_t lo = UINT64_MAX, hi = 0;
	int ret = -1;

	memcpy(&eh, d, n < sizeof(eh) ? n : sizeof(eh));
	if (check_elf_header(&eh, n, err))
		return -1;
	phs = malloc((size_t)eh.e_phnum * sizeof(*phs));
	if (!phs)
		return tvm_fail(err, TVM_EXIT_ERROR, "out of memory loading the kernel ELF");
	memcpy(phs, d + eh.e_phoff, (size_t)eh.e_phnum * sizeof(*phs));
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		if (phs[i].p_type != PT_LOAD || phs[i].p_memsz == 0)
			continue;
		if (load_elf_segment(mem, d, n, &phs[i], hint, err))
			goto out;
		lo = phs[i].p_paddr < lo ? phs[i].p_paddr : lo;
		hi = phs[i].p_paddr + phs[i].p_memsz > hi ? phs[i].p_paddr + phs[i].p_memsz : hi;
	}
	if (hi == 0) {
		tvm_fail(err, TVM_EXIT_USAGE, "kernel ELF has no loadable segment. Pass a linked executable");
		goto out;
	}
	if (!elf_entry_to_phys(phs, eh.e_phnum, eh.e_entry, &bl->entry)) {
		tvm_fail(err, TVM_EXIT_USAGE,
			 "kernel ELF entry point 0x%llx is in no loaded segment. Check the link script",
			 (unsigned long long)eh.e_entry);
		goto out;
	}
	bl->format = KERNEL_ELF;
	bl->kernel_start = lo;
	bl->kernel_end = hi;
	ret = 0;
out:
	free(phs);
	return ret;
}

/* QEMU's rule for anything that is neither an Image nor an ELF. */
static int load_raw(const struct guest_mem *mem, const uint8_t *d, size_t n,
		    struct boot_layout *bl, struct tvm_error *err)
{
	uint64_t base = mem->gpa_base + LOADER_RAW_OFFSET;
	void *dst = guest_mem_ptr(mem, base, n);

	if (!dst)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel raw binary (%zu KiB at 0x%llx) does not fit in %llu MiB of guest RAM. Raise --mem",
				n >> 10, (unsigned long long)base,
				(unsigned long long)(mem->size >> 20));
	memcpy(dst, d, n);
	bl->format = KERNEL_RAW;
	bl->entry = base;
	bl->kernel_start = base;
	bl->kernel_end = base + n;
	return 0;
}

/*
 * Files that are recognisably something else: loading them raw would only
 * crash the guest, so say what they are. Returns 0 when none of them.
 */
static int refuse_foreign_format(const uint8_t *d, size_t n, struct tvm_error *err)
{
	if (n == 0)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel file is empty. Pass arch/arm64/boot/Image, a vmlinuz, an AArch64 ELF or a raw binary");
	if (n >= 60 && get_le32(d + 56) == ARM64_IMAGE_MAGIC)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel Image header is truncated (%zu bytes). Pass an intact arm64 Image", n);
	if (n >= 0x206 && !memcmp(d + 0x202, "HdrS", 4))
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel is an x86 bzImage, not an arm64 kernel. Build the kernel for arm64 (arch/arm64/boot/Image)");
	return 0;
}

static int load_uncompressed(const struct guest_mem *mem, const uint8_t *d, size_t n,
			     const struct loader_hint *hint, struct boot_layout *bl,
			     struct tvm_error *err)
{
	if (is_arm64_image(d, n))
		return load_image(mem, d, n, bl, err);
	if (is_elf(d, n))
		return load_elf(mem, d, n, hint, bl, err);
	if (refuse_foreign_format(d, n, err))
		return -1;
	return load_raw(mem, d, n, bl, err);
}

int loader_load_kernel(const struct guest_mem *mem, const uint8_t *data,
		       size_t size, const struct loader_hint *hint,
		       struct boot_layout *bl, struct tvm_error *err)
{
	uint8_t *plain;
	size_t plain_size;
	int ret;

	memset(bl, 0, sizeof(*bl));
	if (!is_gzip(data, size))
		return load_uncompressed(mem, data, size, hint, bl, err);
	if (loader_gunzip(data, size, mem->size, &plain, &plain_size, err))
		return -1;
	ret = load_uncompressed(mem, plain, plain_size, hint, bl, err);
	bl->gzipped = true;
	free(plain);
	return ret;
}

int loader_unpack_kernel(uint8_t **data, size_t *size, size_t max_out, bool *gzipped,
			 struct tvm_error *err)
{
	uint8_t *plain;
	size_t plain_size;

	*gzipped = is_gzip(*data, *size);
	if (!*gzipped)
		return 0;
	if (loader_gunzip(*data, *size, max_out, &plain, &plain_size, err))
		return -1;
	free(*data);
	*data = plain;
	*size = plain_size;
	return 0;
}

/* Each format's two names, in one place: the banner's and the report's. */
static const struct {
	const char *banner;	/* "raw binary": for people */
	const char *report;	/* "raw": --report-json (docs/report-json.md) */
} format_names[] = {
	[KERNEL_IMAGE] = { "Image", "image" },
	[KERNEL_ELF] = { "ELF", "elf" },
	[KERNEL_RAW] = { "raw binary", "raw" },
	[KERNEL_FIRMWARE] = { "firmware", "firmware" },
};

const char *loader_format_name(enum kernel_format format)
{
	if ((unsigned int)format >= sizeof(format_names) / sizeof(format_names[0]))
		return "?";
	return format_names[format].banner;
}

const char *loader_format_report_name(enum kernel_format format)
{
	if ((unsigned int)format >= sizeof(format_names) / sizeof(format_names[0]))
		return "image";
	return format_names[format].report;
}

void loader_place_firmware(const struct guest_mem *mem, uint64_t entry,
			   struct boot_layout *bl)
{
	memset(bl, 0, sizeof(*bl));
	bl->format = KERNEL_FIRMWARE;
	bl->entry = entry;
	bl->fdt_addr = mem->gpa_base;
	bl->fdt_max_size = LAYOUT_FDT_MAX_SIZE;
}

/*
 * QEMU puts the device tree at the start of RAM for an ELF that leaves room
 * there (programs written for its virt board look for it at 0x40000000).
 * Returns the room, 0 when there is too little for a device tree.
 */
static uint64_t room_below_elf(const struct guest_mem *mem, const struct boot_layout *bl)
{
	uint64_t room;

	if (bl->format != KERNEL_ELF || bl->kernel_start <= mem->gpa_base)
		return 0;
	room = bl->kernel_start - mem->gpa_base;
	if (room < LOADER_FDT_MIN_ROOM)
		return 0;
	return room < LAYOUT_FDT_MAX_SIZE ? room : LAYOUT_FDT_MAX_SIZE;
}

int loader_place_initrd_and_fdt(const struct guest_mem *mem,
				const uint8_t *initrd, size_t initrd_size,
				struct boot_layout *bl, struct tvm_error *err)
{
	uint64_t ram_end = guest_mem_end(mem);
	uint64_t fdt = align_down(ram_end - LAYOUT_FDT_MAX_SIZE, LAYOUT_KERNEL_ALIGN);
	uint64_t floor = bl->kernel_end > mem->gpa_base ? bl->kernel_end : mem->gpa_base;
	uint64_t start, room = room_below_elf(mem, bl);

	/* The FDT slot goes at the top; it must not clip an ELF loaded high. */
	if (fdt < floor || mem->size < LAYOUT_FDT_MAX_SIZE * 2)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel leaves no room for the device tree in %llu MiB of guest RAM. Raise --mem",
				(unsigned long long)(mem->size >> 20));
	bl->fdt_addr = fdt;
	bl->fdt_max_size = LAYOUT_FDT_MAX_SIZE;
	if (room) {
		bl->fdt_max_size = room;
		bl->fdt_addr = mem->gpa_base;
	}
	bl->initrd_start = 0;
	bl->initrd_size = 0;
	if (!initrd || initrd_size == 0)
		return 0;
	start = fdt > initrd_size ? align_down(fdt - initrd_size, 4096) : 0;
	if (initrd_size > fdt - floor || start < align_up(floor, 4096))
		return tvm_fail(err, TVM_EXIT_USAGE,
				"kernel (%llu MiB) and initrd (%llu MiB) do not fit in %llu MiB of guest RAM. Raise --mem",
				(unsigned long long)((bl->kernel_end - bl->kernel_start) >> 20),
				(unsigned long long)(initrd_size >> 20),
				(unsigned long long)(mem->size >> 20));
	memcpy(guest_mem_ptr(mem, start, initrd_size), initrd, initrd_size);
	bl->initrd_start = start;
	bl->initrd_size = initrd_size;
	return 0;
}
