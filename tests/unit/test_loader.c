// SPDX-License-Identifier: MIT
/* Kernel loaders (Image, gzip, ELF), initrd/FDT placement and guest_mem. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/guest_mem.h"
#include "lib/host_page.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/loader.h"
#include "vmm/core/seccomp.h"

#define MIB (1ULL << 20)
#define RAM_BASE LAYOUT_RAM_BASE
#define RAM_SIZE (64 * MIB)

static struct guest_mem mem;

static void mem_setup(void)
{
	struct tvm_error err = { 0 };

	cr_assert_eq(guest_mem_alloc(&mem, RAM_BASE, RAM_SIZE, &err), 0, "%s", err.msg);
	cr_assert_not_null(mem.host);
	/* Poison RAM so copies and bss clearing are visible. */
	memset(mem.host, 0xaa, RAM_SIZE);
}

static void mem_teardown(void)
{
	guest_mem_free(&mem);
	cr_assert_null(mem.host);
}

TestSuite(image, .init = mem_setup, .fini = mem_teardown);
TestSuite(gzip, .init = mem_setup, .fini = mem_teardown);
TestSuite(elf, .init = mem_setup, .fini = mem_teardown);
TestSuite(place, .init = mem_setup, .fini = mem_teardown);
TestSuite(guest_mem, .init = mem_setup, .fini = mem_teardown);

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *host(uint64_t gpa)
{
	return mem.host + (gpa - RAM_BASE);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* An arm64 Image: 64-byte header then a recognisable payload. */
static uint8_t *make_image(size_t n, uint64_t text_offset, uint64_t image_size)
{
	uint8_t *d = malloc(n);

	cr_assert_not_null(d);
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(i * 31 + 7);
	memset(d, 0, ARM64_IMAGE_HEADER_SIZE);
	put_le32(d + 0, 0x91005a4d);	/* "MZ" + add x13, x18, #0x16 */
	put_le32(d + 4, 0x14000000);	/* b stext */
	put_le64(d + 8, text_offset);
	put_le64(d + 16, image_size);
	put_le64(d + 24, 0xa);		/* flags: LE, 4K, anywhere */
	put_le32(d + 56, ARM64_IMAGE_MAGIC);
	return d;
}

static void expect_fail(const uint8_t *d, size_t n, int code, const char *needle)
{
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), -1,
		     "load unexpectedly succeeded (want error with '%s')", needle);
	cr_assert_eq(err.code, code, "code %d, want %d (%s)", err.code, code, err.msg);
	cr_assert_not_null(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

/* ---- arm64 Image ---- */

Test(image, valid_header_loads_at_text_offset)
{
	size_t n = 0x3000;
	uint8_t *d = make_image(n, 0x80000, 0x10000);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.format, KERNEL_IMAGE);
	cr_assert_not(bl.gzipped);
	cr_assert_eq(bl.entry, RAM_BASE + 0x80000);
	cr_assert_eq(bl.kernel_start, RAM_BASE);
	cr_assert_eq(bl.kernel_end, RAM_BASE + 0x80000 + 0x10000);
	cr_assert_arr_eq(host(RAM_BASE + 0x80000), d, n);
	/* Nothing written before text_offset or after the file's bytes. */
	cr_assert(all_bytes(host(RAM_BASE), 0x80000, 0xaa));
	cr_assert(all_bytes(host(RAM_BASE + 0x80000 + n), 0x1000, 0xaa));
	free(d);
}

Test(image, text_offset_zero)
{
	size_t n = 4096;
	uint8_t *d = make_image(n, 0, 8192);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.entry, RAM_BASE);
	cr_assert_eq(bl.kernel_end, RAM_BASE + 8192);
	cr_assert_arr_eq(host(RAM_BASE), d, n);
	free(d);
}

Test(image, old_kernel_image_size_zero_implies_0x80000)
{
	size_t n = 0x2000;
	/* text_offset in the header is ignored when image_size is 0. */
	uint8_t *d = make_image(n, 0x1000, 0);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.entry, RAM_BASE + 0x80000);
	cr_assert_eq(bl.kernel_end, RAM_BASE + 0x80000 + n);
	cr_assert_arr_eq(host(RAM_BASE + 0x80000), d, n);
	free(d);
}

Test(image, file_longer_than_image_size)
{
	size_t n = 0x4000;
	uint8_t *d = make_image(n, 0x80000, 0x1000);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.kernel_end, RAM_BASE + 0x80000 + n);
	cr_assert_arr_eq(host(RAM_BASE + 0x80000), d, n);
	free(d);
}

Test(image, unaligned_ram_base_rounds_to_2mib)
{
	struct guest_mem m2;
	struct tvm_error err = { 0 };
	struct boot_layout bl;
	size_t n = 4096;
	uint8_t *d = make_image(n, 0x80000, n);

	cr_assert_eq(guest_mem_alloc(&m2, RAM_BASE + 0x100000, 16 * MIB, &err), 0);
	cr_assert_eq(loader_load_kernel(&m2, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.kernel_start, RAM_BASE + 0x200000);
	cr_assert_eq(bl.entry, RAM_BASE + 0x280000);
	cr_assert_arr_eq(m2.host + 0x180000, d, n);
	guest_mem_free(&m2);
	free(d);
}

Test(image, exactly_fills_ram)
{
	size_t n = 4096;
	uint8_t *d = make_image(n, 0x80000, RAM_SIZE - 0x80000);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.kernel_end, RAM_BASE + RAM_SIZE);
	free(d);
	d = make_image(n, 0x80000, RAM_SIZE - 0x80000 + 1);
	expect_fail(d, n, TVM_EXIT_USAGE, "--mem");
	free(d);
}

Test(image, image_size_larger_than_ram)
{
	size_t n = 4096;
	uint8_t *d = make_image(n, 0x80000, 128 * MIB);

	expect_fail(d, n, TVM_EXIT_USAGE, "Raise --mem");
	cr_assert(all_bytes(host(RAM_BASE), 0x100000, 0xaa), "RAM written on failure");
	free(d);
	d = make_image(n, 0x80000, UINT64_MAX);
	expect_fail(d, n, TVM_EXIT_USAGE, "--mem");
	free(d);
	d = make_image(n, 0x80000, UINT64_MAX - 0x7ffff);
	expect_fail(d, n, TVM_EXIT_USAGE, "--mem");
	free(d);
}

Test(image, invalid_text_offset)
{
	static const uint64_t bad[] = {
		0x123, 0x80001, 0x40000000, 0x40001000, UINT64_MAX, UINT64_MAX - 0xfff,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *d = make_image(4096, bad[i], 4096);

		expect_fail(d, 4096, TVM_EXIT_USAGE, "text_offset");
		free(d);
	}
}

Test(image, truncated_header)
{
	uint8_t *d = make_image(4096, 0x80000, 4096);

	/* Magic intact at 56..59 but the header is cut short. */
	for (size_t n = 60; n < ARM64_IMAGE_HEADER_SIZE; n++) {
		uint8_t *copy = malloc(n);

		memcpy(copy, d, n);
		expect_fail(copy, n, TVM_EXIT_USAGE, "Image header is truncated");
		free(copy);
	}
	free(d);
}

Test(image, empty_and_tiny_inputs)
{
	uint8_t *one = malloc(1);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	one[0] = 0x1f;
	expect_fail(one, 0, TVM_EXIT_USAGE, "empty");
	/* One byte is a (tiny) raw binary, as QEMU takes it. */
	cr_assert_eq(loader_load_kernel(&mem, one, 1, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.format, KERNEL_RAW);
	cr_assert_eq(*host(RAM_BASE + LOADER_RAW_OFFSET), 0x1f);
	free(one);
}

/* No ARM\x64 magic and not ELF: a raw binary at RAM base + 0x80000 (QEMU's hw/arm/boot.c). */
Test(image, wrong_magic_is_a_raw_binary)
{
	uint8_t *d = make_image(4096, 0x200000, 4096);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	put_le32(d + 56, 0x41524d64);	/* byte-swapped magic */
	cr_assert_eq(loader_load_kernel(&mem, d, 4096, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.format, KERNEL_RAW);
	cr_assert_eq(bl.entry, RAM_BASE + LOADER_RAW_OFFSET, "entered where it was put");
	cr_assert_eq(bl.kernel_start, RAM_BASE + LOADER_RAW_OFFSET);
	cr_assert_eq(bl.kernel_end, RAM_BASE + LOADER_RAW_OFFSET + 4096);
	cr_assert_eq(memcmp(host(RAM_BASE + LOADER_RAW_OFFSET), d, 4096), 0);
	cr_assert(all_bytes(host(RAM_BASE + LOADER_RAW_OFFSET + 4096), 4096, 0xaa));
	cr_assert(all_bytes(host(RAM_BASE), LOADER_RAW_OFFSET, 0xaa), "nothing below it");
	cr_assert_str_eq(loader_format_name(bl.format), "raw binary");
	cr_assert_str_eq(loader_format_report_name(bl.format), "raw");
	free(d);
}

Test(image, raw_binary_larger_than_ram_is_refused)
{
	size_t n = RAM_SIZE - LOADER_RAW_OFFSET + 1;
	uint8_t *d = calloc(1, n);

	expect_fail(d, n, TVM_EXIT_USAGE, "raw binary");
	expect_fail(d, n, TVM_EXIT_USAGE, "Raise --mem");
	/* Exactly to the end of RAM fits. */
	{
		struct boot_layout bl;
		struct tvm_error err = { 0 };

		cr_assert_eq(loader_load_kernel(&mem, d, n - 1, NULL, &bl, &err), 0, "%s", err.msg);
		cr_assert_eq(bl.kernel_end, RAM_BASE + RAM_SIZE);
	}
	free(d);
}

Test(image, x86_bzimage_is_named)
{
	uint8_t *d = calloc(1, 8192);

	memcpy(d + 0x202, "HdrS", 4);
	expect_fail(d, 8192, TVM_EXIT_USAGE, "x86 bzImage");
	free(d);
}

/* ---- gzip ---- */

static uint8_t *gzip_buf(const uint8_t *in, size_t n, size_t *out_n)
{
	z_stream zs = { 0 };
	size_t cap = deflateBound(&zs, n) + 64;
	uint8_t *out;

	cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
		     Z_OK);
	cap = deflateBound(&zs, n) + 64;
	out = malloc(cap);
	cr_assert_not_null(out);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_n = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* gzip of @n zero bytes, streamed so the input never has to exist. */
static uint8_t *gzip_zeros(size_t n, size_t *out_n)
{
	static uint8_t zeros[65536];
	z_stream zs = { 0 };
	size_t cap = n / 500 + 65536;
	uint8_t *out = malloc(cap);

	cr_assert_not_null(out);
	cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
		     Z_OK);
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	while (n) {
		size_t chunk = n < sizeof(zeros) ? n : sizeof(zeros);

		zs.next_in = zeros;
		zs.avail_in = (uInt)chunk;
		n -= chunk;
		cr_assert_eq(deflate(&zs, n ? Z_NO_FLUSH : Z_FINISH), n ? Z_OK : Z_STREAM_END);
		cr_assert_eq(zs.avail_in, 0);
	}
	*out_n = zs.total_out;
	deflateEnd(&zs);
	return out;
}

Test(gzip, compressed_image_loads)
{
	size_t n = 300000, gz_n;
	uint8_t *d = make_image(n, 0x80000, 0x100000);
	uint8_t *gz = gzip_buf(d, n, &gz_n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_lt(gz_n, n);
	cr_assert_eq(loader_load_kernel(&mem, gz, gz_n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert(bl.gzipped);
	cr_assert_eq(bl.format, KERNEL_IMAGE);
	cr_assert_eq(bl.entry, RAM_BASE + 0x80000);
	cr_assert_arr_eq(host(bl.entry), d, n);
	free(gz);
	free(d);
}

Test(gzip, highly_compressible_image_needs_buffer_growth)
{
	/* 1000:1 ratio forces loader_gunzip to grow its buffer many times. */
	size_t n = 8 * MIB, gz_n;
	uint8_t *d = make_image(n, 0x80000, n);
	uint8_t *gz;
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	memset(d + ARM64_IMAGE_HEADER_SIZE, 0, n - ARM64_IMAGE_HEADER_SIZE);
	d[n - 1] = 0x5a;
	gz = gzip_buf(d, n, &gz_n);
	cr_assert_lt(gz_n * 100, n);
	cr_assert_eq(loader_load_kernel(&mem, gz, gz_n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert(bl.gzipped);
	cr_assert_arr_eq(host(bl.entry), d, n);
	free(gz);
	free(d);
}

static uint8_t *reboot_kernel, *reboot_image;
static size_t reboot_kernel_size, reboot_image_size;

/*
 * The child of the test below: set-up's unpacking, then what each of three
 * reboots does with the kernel and initrd, under the --on-reset reboot
 * filter. Exit 0 only if every boot loaded the exact image.
 */
static void load_for_reboots(void)
{
	static const int fds[] = { STDIN_FILENO };
	struct seccomp_policy pol = {
		.mode = SECCOMP_MODE_ON, .reboot = true,
		.vcpu_fds = fds, .nvcpu_fds = 1, .gic_fds = fds, .ngic_fds = 1,
	};
	struct tvm_error err;
	bool gzipped;

	if (loader_unpack_kernel(&reboot_kernel, &reboot_kernel_size, mem.size, &gzipped, &err) ||
	    !gzipped || seccomp_install(&pol, &err))
		_exit(2);
	for (int boot = 0; boot < 3; boot++) {
		struct boot_layout bl;

		memset(mem.host, 0xaa, mem.size);
		if (loader_load_kernel(&mem, reboot_kernel, reboot_kernel_size, NULL, &bl, &err) ||
		    loader_place_initrd_and_fdt(&mem, reboot_image, 4096, &bl, &err))
			_exit(3);
		if (memcmp(host(bl.entry), reboot_image, reboot_image_size))
			_exit(4);
	}
	_exit(0);
}

/*
 * A gzip kernel with --on-reset reboot: decompressed once at start, so no
 * reboot decompresses under the seccomp filter (where glibc growing the
 * buffer, with mremap, was refused and the run died of SIGSYS).
 */
Test(gzip, reboots_load_the_kernel_unpacked_at_start_under_the_filter)
{
	size_t n = 16 * MIB;
	pid_t pid;
	int status;

	reboot_image = make_image(n, 0x80000, n);
	reboot_image_size = n;
	memset(reboot_image + ARM64_IMAGE_HEADER_SIZE, 0, n - ARM64_IMAGE_HEADER_SIZE);
	reboot_image[n - 1] = 0x5a;
	reboot_kernel = gzip_buf(reboot_image, n, &reboot_kernel_size);
	cr_assert_lt(reboot_kernel_size * 100, n, "the stream must expand enough to grow buffers");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		load_for_reboots();
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "the reboots' loading died of signal %d", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0);
	free(reboot_kernel);
	free(reboot_image);
}

Test(gzip, unpack_leaves_other_kernels_as_they_are)
{
	size_t n = 4096;
	uint8_t *d = make_image(n, 0x80000, n), *kept = d;
	struct tvm_error err = { 0 };
	bool gzipped = true;

	cr_assert_eq(loader_unpack_kernel(&d, &n, mem.size, &gzipped, &err), 0, "%s", err.msg);
	cr_assert_not(gzipped);
	cr_assert_eq(d, kept);
	cr_assert_eq(n, 4096);
	free(d);
}

Test(gzip, truncated_stream_fails)
{
	size_t n = 200000, gz_n;
	uint8_t *d = make_image(n, 0x80000, n);
	uint8_t *gz = gzip_buf(d, n, &gz_n);
	static const size_t cut[] = { 18, 19, 100, 0 };

	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		size_t len = cut[i] ? cut[i] : gz_n - 4;	/* last: trailer cut */
		uint8_t *t = malloc(len);

		memcpy(t, gz, len);
		expect_fail(t, len, TVM_EXIT_USAGE, "truncated or corrupt");
		free(t);
	}
	/* Half the stream. */
	expect_fail(gz, gz_n / 2, TVM_EXIT_USAGE, "gzip");
	free(gz);
	free(d);
}

Test(gzip, corrupt_stream_fails)
{
	size_t n = 200000, gz_n;
	uint8_t *d = make_image(n, 0x80000, n);
	uint8_t *gz = gzip_buf(d, n, &gz_n);

	/* Flip the CRC32 in the trailer. */
	gz[gz_n - 8] ^= 0xff;
	expect_fail(gz, gz_n, TVM_EXIT_USAGE, "truncated or corrupt");
	gz[gz_n - 8] ^= 0xff;
	/* Garbage in the middle of the deflate data. */
	memset(gz + gz_n / 2, 0xff, 64);
	expect_fail(gz, gz_n, TVM_EXIT_USAGE, "gzip");
	free(gz);
	free(d);
}

Test(gzip, bomb_larger_than_ram_fails)
{
	size_t gz_n;
	uint8_t *gz = gzip_zeros(RAM_SIZE + 4 * MIB, &gz_n);

	cr_assert_lt(gz_n, 1 * MIB);
	expect_fail(gz, gz_n, TVM_EXIT_USAGE, "--mem");
	free(gz);
}

Test(gzip, gunzip_respects_max_out)
{
	size_t n = 100000, gz_n, out_n = 0;
	uint8_t *d = make_image(n, 0x80000, n);
	uint8_t *gz = gzip_buf(d, n, &gz_n);
	uint8_t *out = NULL;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_gunzip(gz, gz_n, n, &out, &out_n, &err), 0,
		     "exact max_out refused: %s", err.msg);
	cr_assert_eq(out_n, n);
	cr_assert_arr_eq(out, d, n);
	free(out);
	out = NULL;
	cr_assert_eq(loader_gunzip(gz, gz_n, n - 1, &out, &out_n, &err), -1);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_not_null(strstr(err.msg, "--mem"), "%s", err.msg);
	cr_assert_null(out);
	free(gz);
	free(d);
}

/* QEMU decompresses, then finds no Image header: a raw binary. */
Test(gzip, gzip_of_a_raw_binary_loads_raw)
{
	size_t n = 5000, gz_n;
	uint8_t *d = calloc(1, n);
	uint8_t *gz;
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	d[0] = 0x42;
	gz = gzip_buf(d, n, &gz_n);
	cr_assert_eq(loader_load_kernel(&mem, gz, gz_n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.format, KERNEL_RAW);
	cr_assert(bl.gzipped);
	cr_assert_eq(bl.kernel_end - bl.kernel_start, n);
	cr_assert_eq(*host(RAM_BASE + LOADER_RAW_OFFSET), 0x42);
	free(gz);
	free(d);
}

/* ---- ELF ---- */

struct seg {
	uint32_t type;
	uint64_t offset;	/* 0: place automatically */
	uint64_t paddr, vaddr, filesz, memsz;
	uint8_t fill;
};

#define ELF_DATA_OFF 0x1000

/* Build an ELF64 AArch64 ET_EXEC; segment data is filled with seg.fill. */
static uint8_t *make_elf(const struct seg *segs, int nseg, uint64_t entry, size_t *size)
{
	size_t n = ELF_DATA_OFF;
	uint8_t *d;
	Elf64_Ehdr *eh;
	uint64_t off = ELF_DATA_OFF;

	for (int i = 0; i < nseg; i++)
		if (!segs[i].offset)
			n += segs[i].filesz;
	d = calloc(1, n);
	cr_assert_not_null(d);
	eh = (Elf64_Ehdr *)d;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_AARCH64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)nseg;
	for (int i = 0; i < nseg; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(d + sizeof(Elf64_Ehdr)) + i;

		ph->p_type = segs[i].type ? segs[i].type : PT_LOAD;
		ph->p_flags = PF_R | PF_X;
		ph->p_paddr = segs[i].paddr;
		ph->p_vaddr = segs[i].vaddr ? segs[i].vaddr : segs[i].paddr;
		ph->p_filesz = segs[i].filesz;
		ph->p_memsz = segs[i].memsz;
		ph->p_align = 0x1000;
		if (segs[i].offset) {
			ph->p_offset = segs[i].offset;
		} else {
			ph->p_offset = off;
			memset(d + off, segs[i].fill, segs[i].filesz);
			off += segs[i].filesz;
		}
	}
	*size = n;
	return d;
}

static Elf64_Ehdr *ehdr(uint8_t *d)
{
	return (Elf64_Ehdr *)d;
}

static Elf64_Phdr *phdr(uint8_t *d, int i)
{
	return (Elf64_Phdr *)(d + sizeof(Elf64_Ehdr)) + i;
}

Test(elf, single_segment_with_bss)
{
	struct seg s = { .paddr = RAM_BASE + 0x10000, .filesz = 0x1800, .memsz = 0x4000,
			 .fill = 0x5c };
	size_t n;
	uint8_t *d = make_elf(&s, 1, RAM_BASE + 0x10040, &n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.format, KERNEL_ELF);
	cr_assert_not(bl.gzipped);
	cr_assert_eq(bl.entry, RAM_BASE + 0x10040);
	cr_assert_eq(bl.kernel_start, RAM_BASE + 0x10000);
	cr_assert_eq(bl.kernel_end, RAM_BASE + 0x14000);
	cr_assert(all_bytes(host(RAM_BASE + 0x10000), 0x1800, 0x5c), "file bytes");
	cr_assert(all_bytes(host(RAM_BASE + 0x11800), 0x4000 - 0x1800, 0), "bss zeroed");
	cr_assert(all_bytes(host(RAM_BASE + 0x14000), 0x1000, 0xaa), "past memsz untouched");
	cr_assert(all_bytes(host(RAM_BASE + 0xf000), 0x1000, 0xaa), "before segment untouched");
	free(d);
}

Test(elf, two_segments_and_ignored_note)
{
	struct seg s[3] = {
		{ .paddr = RAM_BASE + 0x200000, .filesz = 0x2000, .memsz = 0x2000, .fill = 0x11 },
		{ .type = PT_NOTE, .paddr = 0x1000, .filesz = 0x10, .memsz = 0x10, .fill = 0x33 },
		{ .paddr = RAM_BASE + 0x400000, .filesz = 0x100, .memsz = 0x10000, .fill = 0x22 },
	};
	size_t n;
	uint8_t *d = make_elf(s, 3, RAM_BASE + 0x200000, &n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.entry, RAM_BASE + 0x200000);
	cr_assert_eq(bl.kernel_start, RAM_BASE + 0x200000);
	cr_assert_eq(bl.kernel_end, RAM_BASE + 0x410000);
	cr_assert(all_bytes(host(RAM_BASE + 0x200000), 0x2000, 0x11));
	cr_assert(all_bytes(host(RAM_BASE + 0x202000), 0x1000, 0xaa), "gap untouched");
	cr_assert(all_bytes(host(RAM_BASE + 0x400000), 0x100, 0x22));
	cr_assert(all_bytes(host(RAM_BASE + 0x400100), 0x10000 - 0x100, 0));
	free(d);
}

Test(elf, virtual_entry_is_translated)
{
	struct seg s = { .paddr = RAM_BASE + 0x100000, .vaddr = 0xffff000010000000ULL,
			 .filesz = 0x1000, .memsz = 0x1000, .fill = 0x77 };
	size_t n;
	uint8_t *d = make_elf(&s, 1, 0xffff000010000040ULL, &n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.entry, RAM_BASE + 0x100040);
	/* Loaded at the physical address, not the virtual one. */
	cr_assert(all_bytes(host(RAM_BASE + 0x100000), 0x1000, 0x77));
	free(d);
}

Test(elf, physical_entry_with_distinct_vaddr)
{
	struct seg s = { .paddr = RAM_BASE + 0x100000, .vaddr = 0xffff000010000000ULL,
			 .filesz = 0x1000, .memsz = 0x1000, .fill = 0x77 };
	size_t n;
	uint8_t *d = make_elf(&s, 1, RAM_BASE + 0x100800, &n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.entry, RAM_BASE + 0x100800);
	free(d);
}

Test(elf, entry_in_bss_is_accepted)
{
	struct seg s = { .paddr = RAM_BASE, .filesz = 0x100, .memsz = 0x2000, .fill = 1 };
	size_t n;
	uint8_t *d = make_elf(&s, 1, RAM_BASE + 0x1ffc, &n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.entry, RAM_BASE + 0x1ffc);
	free(d);
}

Test(elf, gzipped_elf_loads)
{
	struct seg s = { .paddr = RAM_BASE + 0x80000, .filesz = 0x3000, .memsz = 0x3000,
			 .fill = 0x42 };
	size_t n, gz_n;
	uint8_t *d = make_elf(&s, 1, RAM_BASE + 0x80000, &n);
	uint8_t *gz = gzip_buf(d, n, &gz_n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, gz, gz_n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert(bl.gzipped);
	cr_assert_eq(bl.format, KERNEL_ELF);
	cr_assert(all_bytes(host(RAM_BASE + 0x80000), 0x3000, 0x42));
	free(gz);
	free(d);
}

static uint8_t *good_elf(size_t *n)
{
	struct seg s = { .paddr = RAM_BASE + 0x80000, .filesz = 0x1000, .memsz = 0x2000,
			 .fill = 0x42 };

	return make_elf(&s, 1, RAM_BASE + 0x80000, n);
}

Test(elf, wrong_machine)
{
	size_t n;
	uint8_t *d = good_elf(&n);

	ehdr(d)->e_machine = EM_X86_64;
	expect_fail(d, n, TVM_EXIT_USAGE, "not AArch64");
	ehdr(d)->e_machine = EM_ARM;
	expect_fail(d, n, TVM_EXIT_USAGE, "not AArch64");
	free(d);
}

Test(elf, class32_and_big_endian)
{
	size_t n;
	uint8_t *d = good_elf(&n);

	d[EI_CLASS] = ELFCLASS32;
	expect_fail(d, n, TVM_EXIT_USAGE, "64-bit");
	d[EI_CLASS] = ELFCLASS64;
	d[EI_DATA] = ELFDATA2MSB;
	expect_fail(d, n, TVM_EXIT_USAGE, "little-endian");
	free(d);
}

Test(elf, not_executable)
{
	size_t n;
	uint8_t *d = good_elf(&n);

	ehdr(d)->e_type = ET_DYN;
	expect_fail(d, n, TVM_EXIT_USAGE, "not an executable");
	ehdr(d)->e_type = ET_REL;
	expect_fail(d, n, TVM_EXIT_USAGE, "not an executable");
	free(d);
}

Test(elf, truncated_header)
{
	size_t n;
	uint8_t *d = good_elf(&n);

	for (size_t len = SELFMAG; len < sizeof(Elf64_Ehdr); len += 7) {
		uint8_t *t = malloc(len);

		memcpy(t, d, len);
		expect_fail(t, len, TVM_EXIT_USAGE, "ELF");
		free(t);
	}
	free(d);
}

Test(elf, program_headers_out_of_range)
{
	static const uint64_t bad_phoff[] = {
		0x1000 + 0x1000 - 10, 0x10000, UINT64_MAX, UINT64_MAX - 0x37,
	};
	size_t n;
	uint8_t *d = good_elf(&n);

	for (size_t i = 0; i < sizeof(bad_phoff) / sizeof(bad_phoff[0]); i++) {
		ehdr(d)->e_phoff = bad_phoff[i];
		expect_fail(d, n, TVM_EXIT_USAGE, "program headers");
	}
	ehdr(d)->e_phoff = sizeof(Elf64_Ehdr);
	ehdr(d)->e_phnum = 0xffff;
	expect_fail(d, n, TVM_EXIT_USAGE, "program headers");
	ehdr(d)->e_phnum = 0;
	expect_fail(d, n, TVM_EXIT_USAGE, "program headers");
	ehdr(d)->e_phnum = 1;
	ehdr(d)->e_phentsize = 32;
	expect_fail(d, n, TVM_EXIT_USAGE, "program headers");
	free(d);
}

Test(elf, segment_data_beyond_file)
{
	size_t n;
	uint8_t *d = good_elf(&n);

	phdr(d, 0)->p_filesz = 0x1001;	/* one byte past the end */
	expect_fail(d, n, TVM_EXIT_USAGE, "truncated or inconsistent");
	phdr(d, 0)->p_filesz = 0x1000;
	phdr(d, 0)->p_offset = n + 1;
	expect_fail(d, n, TVM_EXIT_USAGE, "truncated or inconsistent");
	free(d);
}

Test(elf, overflowing_offsets_and_sizes)
{
	size_t n;
	uint8_t *d = good_elf(&n);

	phdr(d, 0)->p_offset = UINT64_MAX - 0x10;
	phdr(d, 0)->p_filesz = 0x100;
	expect_fail(d, n, TVM_EXIT_USAGE, "truncated or inconsistent");

	phdr(d, 0)->p_offset = 0x1000;
	phdr(d, 0)->p_filesz = UINT64_MAX - 0x800;
	phdr(d, 0)->p_memsz = UINT64_MAX;
	expect_fail(d, n, TVM_EXIT_USAGE, "truncated or inconsistent");

	/* Address + size wraps around to inside RAM. */
	phdr(d, 0)->p_filesz = 0x100;
	phdr(d, 0)->p_memsz = UINT64_MAX - 0x1000;
	phdr(d, 0)->p_paddr = RAM_BASE + 0x2000;
	expect_fail(d, n, TVM_EXIT_USAGE, "outside guest RAM");
	phdr(d, 0)->p_paddr = UINT64_MAX - 0xff;
	phdr(d, 0)->p_memsz = 0x1000;
	expect_fail(d, n, TVM_EXIT_USAGE, "outside guest RAM");
	cr_assert(all_bytes(host(RAM_BASE), 0x100000, 0xaa), "RAM written on failure");
	free(d);
}

Test(elf, segment_outside_ram)
{
	size_t n;
	uint8_t *d = good_elf(&n);

	phdr(d, 0)->p_paddr = 0x40000000;	/* below RAM */
	expect_fail(d, n, TVM_EXIT_USAGE, "outside guest RAM");
	phdr(d, 0)->p_paddr = RAM_BASE - 0x1000;	/* straddles the start */
	expect_fail(d, n, TVM_EXIT_USAGE, "outside guest RAM");
	phdr(d, 0)->p_paddr = RAM_BASE + RAM_SIZE - 0x1000;	/* memsz 0x2000 straddles the end */
	expect_fail(d, n, TVM_EXIT_USAGE, "outside guest RAM");
	phdr(d, 0)->p_paddr = RAM_BASE + RAM_SIZE;
	expect_fail(d, n, TVM_EXIT_USAGE, "outside guest RAM");
	/* Exactly up to the end is fine (entry adjusted to stay inside). */
	phdr(d, 0)->p_paddr = RAM_BASE + RAM_SIZE - 0x2000;
	phdr(d, 0)->p_vaddr = RAM_BASE + RAM_SIZE - 0x2000;
	ehdr(d)->e_entry = RAM_BASE + RAM_SIZE - 0x2000;
	{
		struct boot_layout bl;
		struct tvm_error err = { 0 };

		cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
		cr_assert_eq(bl.kernel_end, RAM_BASE + RAM_SIZE);
	}
	free(d);
}

Test(elf, segment_linked_for_another_board_says_which)
{
	struct loader_hint hint = { .ram_base = 0x40000000, .ram_end = RAM_BASE,
				    .advice = "Built for QEMU's virt board? Add --machine virt" };
	size_t n;
	uint8_t *d = good_elf(&n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	phdr(d, 0)->p_paddr = 0x40080000;
	cr_assert_eq(loader_load_kernel(&mem, d, n, &hint, &bl, &err), -1);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_not_null(strstr(err.msg, "0x40080000"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "linked for RAM at 0x40000000"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "--machine virt"), "%s", err.msg);
	/* Below both boards' RAM: the plain advice. */
	phdr(d, 0)->p_paddr = 0x1000;
	cr_assert_eq(loader_load_kernel(&mem, d, n, &hint, &bl, &err), -1);
	cr_assert_null(strstr(err.msg, "--machine"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "Link it into RAM"), "%s", err.msg);
	free(d);
}

Test(elf, filesz_greater_than_memsz)
{
	size_t n;
	uint8_t *d = good_elf(&n);

	phdr(d, 0)->p_memsz = 0x800;
	expect_fail(d, n, TVM_EXIT_USAGE, "inconsistent");
	free(d);
}

Test(elf, entry_in_no_segment)
{
	size_t n;
	uint8_t *d = good_elf(&n);

	ehdr(d)->e_entry = RAM_BASE + 0x80000 + 0x2000;	/* one past memsz */
	expect_fail(d, n, TVM_EXIT_USAGE, "entry point");
	ehdr(d)->e_entry = 0;
	expect_fail(d, n, TVM_EXIT_USAGE, "entry point");
	ehdr(d)->e_entry = UINT64_MAX;
	expect_fail(d, n, TVM_EXIT_USAGE, "entry point");
	free(d);
}

Test(elf, no_loadable_segment)
{
	struct seg s[2] = {
		{ .type = PT_NOTE, .paddr = RAM_BASE, .filesz = 0x10, .memsz = 0x10 },
		{ .paddr = RAM_BASE, .filesz = 0, .memsz = 0 },
	};
	size_t n;
	uint8_t *d = make_elf(s, 2, RAM_BASE, &n);

	expect_fail(d, n, TVM_EXIT_USAGE, "no loadable segment");
	free(d);
}

/* ---- initrd and FDT placement ---- */

static const uint64_t fdt_slot = RAM_BASE + RAM_SIZE - 2 * MIB;

static void load_small_image(struct boot_layout *bl, uint64_t image_size)
{
	uint8_t *d = make_image(4096, 0x80000, image_size);
	struct tvm_error err = { 0 };

	cr_assert_eq(loader_load_kernel(&mem, d, 4096, NULL, bl, &err), 0, "%s", err.msg);
	free(d);
}

Test(place, no_initrd)
{
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	load_small_image(&bl, 0x100000);
	bl.initrd_start = 123;
	bl.initrd_size = 456;
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, NULL, 0, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.fdt_addr, fdt_slot);
	cr_assert_eq(bl.fdt_addr % (2 * MIB), 0);
	cr_assert_eq(bl.initrd_size, 0);
	cr_assert_eq(bl.initrd_start, 0);
}

/* QEMU's rule for ELFs: the device tree at the start of RAM when the program leaves room. */
Test(place, elf_leaving_room_gets_the_fdt_at_ram_start)
{
	struct seg s = { .paddr = RAM_BASE + 0x80000, .filesz = 0x1000, .memsz = 0x1000,
			 .fill = 1 };
	size_t n;
	uint8_t *d = make_elf(&s, 1, RAM_BASE + 0x80000, &n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };
	uint8_t initrd[4096] = { 7 };

	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, initrd, sizeof(initrd), &bl, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(bl.fdt_addr, RAM_BASE);
	cr_assert_eq(bl.fdt_max_size, 0x80000, "up to the program, no further");
	cr_assert_eq(bl.initrd_start + bl.initrd_size <= fdt_slot, true, "initrd stays high");
	cr_assert_geq(bl.initrd_start, RAM_BASE + 0x81000);
	free(d);
}

Test(place, elf_at_ram_start_and_images_keep_the_top_slot)
{
	struct seg s = { .paddr = RAM_BASE + 0x8000, .filesz = 0x1000, .memsz = 0x1000 };
	size_t n;
	uint8_t *d = make_elf(&s, 1, RAM_BASE + 0x8000, &n);
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	/* 32 KiB below the program is too little for a device tree. */
	cr_assert_eq(loader_load_kernel(&mem, d, n, NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, NULL, 0, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.fdt_addr, fdt_slot);
	cr_assert_eq(bl.fdt_max_size, LAYOUT_FDT_MAX_SIZE);
	load_small_image(&bl, 0x100000);
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, NULL, 0, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.fdt_addr, fdt_slot);
	free(d);
}

Test(place, firmware_boot_puts_the_fdt_at_ram_start)
{
	struct boot_layout bl = { .initrd_size = 99 };

	loader_place_firmware(&mem, 0x0, &bl);
	cr_assert_eq(bl.format, KERNEL_FIRMWARE);
	cr_assert_eq(bl.entry, 0);
	cr_assert_eq(bl.fdt_addr, RAM_BASE);
	cr_assert_eq(bl.fdt_max_size, LAYOUT_FDT_MAX_SIZE);
	cr_assert_eq(bl.initrd_size, 0);
	cr_assert_str_eq(loader_format_name(bl.format), "firmware");
	cr_assert_str_eq(loader_format_report_name(bl.format), "firmware");
}

Test(place, fdt_slot_aligned_for_odd_ram_size)
{
	struct guest_mem m2;
	struct boot_layout bl = { .kernel_start = RAM_BASE, .kernel_end = RAM_BASE + MIB };
	struct tvm_error err = { 0 };

	cr_assert_eq(guest_mem_alloc(&m2, RAM_BASE, 17 * MIB + 0x1000, &err), 0);
	cr_assert_eq(loader_place_initrd_and_fdt(&m2, NULL, 0, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.fdt_addr, RAM_BASE + 14 * MIB);
	cr_assert_leq(bl.fdt_addr + LAYOUT_FDT_MAX_SIZE, guest_mem_end(&m2));
	guest_mem_free(&m2);
}

Test(place, initrd_below_fdt)
{
	struct boot_layout bl;
	struct tvm_error err = { 0 };
	size_t sz = MIB + 123;
	uint8_t *initrd = malloc(sz);

	for (size_t i = 0; i < sz; i++)
		initrd[i] = (uint8_t)(i ^ (i >> 8));
	load_small_image(&bl, 0x100000);
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, initrd, sz, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.fdt_addr, fdt_slot);
	cr_assert_eq(bl.initrd_size, sz);
	cr_assert_eq(bl.initrd_start % 4096, 0);
	cr_assert_leq(bl.initrd_start + sz, bl.fdt_addr);
	cr_assert_gt(bl.initrd_start + sz + 4096, bl.fdt_addr, "initrd not just below the FDT");
	cr_assert_geq(bl.initrd_start, bl.kernel_end);
	cr_assert_arr_eq(host(bl.initrd_start), initrd, sz);
	/* The FDT slot itself was not written. */
	cr_assert(all_bytes(host(bl.fdt_addr), 4096, 0xaa));
	free(initrd);
}

Test(place, kernel_plus_initrd_too_big)
{
	struct boot_layout bl;
	struct tvm_error err = { 0 };
	size_t sz = 30 * MIB;
	uint8_t *initrd = calloc(1, sz);

	load_small_image(&bl, 40 * MIB);
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, initrd, sz, &bl, &err), -1);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_not_null(strstr(err.msg, "Raise --mem"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "initrd"), "%s", err.msg);
	free(initrd);
}

Test(place, initrd_exact_fit_boundary)
{
	struct boot_layout bl;
	struct tvm_error err = { 0 };
	uint64_t room;
	uint8_t *initrd;

	load_small_image(&bl, 0x100000);	/* kernel_end = base + 0x180000 */
	room = fdt_slot - bl.kernel_end;
	initrd = calloc(1, room + 4096);
	memset(initrd, 0x3c, room + 4096);
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, initrd, room, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.initrd_start, bl.kernel_end);
	cr_assert(all_bytes(host(bl.initrd_start), room, 0x3c));
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, initrd, room + 1, &bl, &err), -1);
	cr_assert_not_null(strstr(err.msg, "Raise --mem"), "%s", err.msg);
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, initrd, room + 4096, &bl, &err), -1);
	free(initrd);
}

Test(place, unaligned_kernel_end_keeps_initrd_clear)
{
	struct boot_layout bl = { .kernel_start = RAM_BASE, .kernel_end = RAM_BASE + 0x100001 };
	struct tvm_error err = { 0 };
	uint64_t room = fdt_slot - (RAM_BASE + 0x101000);
	uint8_t *initrd = calloc(1, room + 1);

	cr_assert_eq(loader_place_initrd_and_fdt(&mem, initrd, room, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.initrd_start, RAM_BASE + 0x101000);
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, initrd, room + 1, &bl, &err), -1);
	free(initrd);
}

Test(place, kernel_overlapping_fdt_slot)
{
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	load_small_image(&bl, RAM_SIZE - 0x80000 - MIB);	/* ends 1 MiB below the top */
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, NULL, 0, &bl, &err), -1);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_not_null(strstr(err.msg, "Raise --mem"), "%s", err.msg);
}

Test(place, kernel_ending_at_fdt_slot_is_fine)
{
	struct boot_layout bl;
	struct tvm_error err = { 0 };
	uint8_t one = 1;

	load_small_image(&bl, RAM_SIZE - 0x80000 - 2 * MIB);
	cr_assert_eq(bl.kernel_end, fdt_slot);
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, NULL, 0, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(bl.fdt_addr, fdt_slot);
	/* ...but then not even a byte of initrd fits. */
	cr_assert_eq(loader_place_initrd_and_fdt(&mem, &one, 1, &bl, &err), -1);
}

Test(place, tiny_ram_refused)
{
	struct guest_mem m2;
	struct boot_layout bl = { 0 };
	struct tvm_error err = { 0 };

	cr_assert_eq(guest_mem_alloc(&m2, RAM_BASE, 3 * MIB, &err), 0);
	bl.kernel_start = bl.kernel_end = RAM_BASE;
	cr_assert_eq(loader_place_initrd_and_fdt(&m2, NULL, 0, &bl, &err), -1);
	cr_assert_not_null(strstr(err.msg, "--mem"), "%s", err.msg);
	guest_mem_free(&m2);
}

/* ---- guest_mem ---- */

Test(guest_mem, ptr_in_range)
{
	cr_assert_eq(guest_mem_end(&mem), RAM_BASE + RAM_SIZE);
	cr_assert_eq(guest_mem_ptr(&mem, RAM_BASE, 1), mem.host);
	cr_assert_eq(guest_mem_ptr(&mem, RAM_BASE, RAM_SIZE), mem.host);
	cr_assert_eq(guest_mem_ptr(&mem, RAM_BASE + 0x1234, 16), mem.host + 0x1234);
	cr_assert_eq(guest_mem_ptr(&mem, RAM_BASE + RAM_SIZE - 1, 1), mem.host + RAM_SIZE - 1);
}

Test(guest_mem, ptr_at_end)
{
	/* A zero-length range at the very end is allowed (one-past-the-end pointer). */
	cr_assert_eq(guest_mem_ptr(&mem, RAM_BASE + RAM_SIZE, 0), mem.host + RAM_SIZE);
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE + RAM_SIZE, 1));
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE + RAM_SIZE + 1, 0));
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE + RAM_SIZE - 1, 2));
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE, RAM_SIZE + 1));
}

Test(guest_mem, ptr_out_of_range)
{
	cr_assert_null(guest_mem_ptr(&mem, 0, 1));
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE - 1, 1));
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE - 1, 2));
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE - 1, 0));
	cr_assert_null(guest_mem_ptr(&mem, 0x09000000, 4));
}

Test(guest_mem, ptr_overflow)
{
	cr_assert_null(guest_mem_ptr(&mem, UINT64_MAX, 1));
	cr_assert_null(guest_mem_ptr(&mem, UINT64_MAX, 2));
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE + 16, UINT64_MAX));
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE + 16, UINT64_MAX - 15));
	cr_assert_null(guest_mem_ptr(&mem, RAM_BASE + 0x1000, (uint64_t)0 - 0x1000));
}

static long vm_size_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * KVM maps guest RAM with stage-2 blocks only if the host address is
 * block-aligned too (2 MiB with 4K host pages, 32 MiB with 16K, 512 MiB
 * with 64K); the over-reservation used to get there must be trimmed.
 */
Test(guest_mem, host_mapping_is_block_aligned_and_trimmed)
{
	uint64_t sizes[] = { 16 * MIB, 17 * MIB, 33 * MIB, 256 * MIB };
	uint64_t page_sizes[] = { 4096, 16384, 65536 };

	cr_assert_eq((uintptr_t)mem.host % host_stage2_block(host_page_size()), 0);
	for (unsigned int i = 0; i < 3 * sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t size = sizes[i % 4], align = host_stage2_block(page_sizes[i / 4]);
		struct tvm_error err = { 0 };
		struct guest_mem m2 = { 0 };
		long before = vm_size_kib();

		cr_assert_eq(guest_mem_alloc_aligned(&m2, RAM_BASE, size, align, &err), 0, "%s", err.msg);
		cr_assert_eq((uintptr_t)m2.host % align, 0, "%p not %llu-aligned", (void *)m2.host,
			     (unsigned long long)align);
		cr_assert_eq(vm_size_kib() - before, (long)(size >> 10),
			     "the slack of the aligned reservation was not unmapped");
		m2.host[0] = 1;
		m2.host[size - 1] = 1;
		guest_mem_free(&m2);
		cr_assert_eq(vm_size_kib(), before);
	}
}

Test(guest_mem, alloc_failure_reports_mem)
{
	struct guest_mem m2 = { 0 };
	struct tvm_error err = { 0 };

	cr_assert_eq(guest_mem_alloc(&m2, RAM_BASE, 1ULL << 62, &err), -1);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_not_null(strstr(err.msg, "--mem"), "%s", err.msg);
	cr_assert_null(m2.host);
}

/* One table gives both names: the banner's, and --report-json's schema enum. */
Test(loader, format_names_for_banner_and_report)
{
	static const struct {
		enum kernel_format format;
		const char *banner, *report;
	} want[] = {
		{ KERNEL_IMAGE, "Image", "image" },
		{ KERNEL_ELF, "ELF", "elf" },
		{ KERNEL_RAW, "raw binary", "raw" },
		{ KERNEL_FIRMWARE, "firmware", "firmware" },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_str_eq(loader_format_name(want[i].format), want[i].banner);
		cr_assert_str_eq(loader_format_report_name(want[i].format), want[i].report);
	}
	cr_assert_str_eq(loader_format_name((enum kernel_format)99), "?");
	cr_assert_str_eq(loader_format_report_name((enum kernel_format)99), "image");
}
