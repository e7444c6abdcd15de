// SPDX-License-Identifier: MIT
/* fdt_build: build the guest DTB and parse it back with libfdt. */
#include <criterion/criterion.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdt/fdt.h"
#include "vmm/arm64/board.h"
#include "vmm/arm64/layout.h"

#define BUF_SIZE (64 * 1024)
#define RAM_SIZE (256ULL << 20)

struct built {
	void *fdt;
	struct fdt_params p;
};

static const struct fdt_virtio_slot two_slots[2] = {
	{ LAYOUT_VIRTIO_MMIO_BASE, LAYOUT_VIRTIO_MMIO_SLOT_SIZE, LAYOUT_VIRTIO_FIRST_SPI },
	{ LAYOUT_VIRTIO_MMIO_BASE + LAYOUT_VIRTIO_MMIO_SLOT_SIZE,
	  LAYOUT_VIRTIO_MMIO_SLOT_SIZE, LAYOUT_VIRTIO_FIRST_SPI + 1 },
};

static uint8_t seed[FDT_RNG_SEED_SIZE];

static struct fdt_params base_params(unsigned int ncpus, int gic)
{
	struct fdt_params p = {
		.ncpus = ncpus,
		.gic_version = gic,
		.ram_base = LAYOUT_RAM_BASE,
		.ram_size = RAM_SIZE,
	};

	board_fdt_platform(board_get(BOARD_TINYVMM), &p.board, gic, ncpus, false, false);
	return p;
}

/* Property values are only 4-byte aligned: load them with memcpy. */
static uint32_t ld32(const void *p, int i)
{
	fdt32_t v;

	memcpy(&v, (const uint8_t *)p + 4 * i, 4);
	return fdt32_to_cpu(v);
}

static uint64_t ld64(const void *p, int i)
{
	fdt64_t v;

	memcpy(&v, (const uint8_t *)p + 8 * i, 8);
	return fdt64_to_cpu(v);
}

static void *build_ok(const struct fdt_params *p)
{
	struct tvm_error err = { 0 };
	void *buf = malloc(BUF_SIZE);
	int r;

	cr_assert_not_null(buf);
	memset(buf, 0xee, BUF_SIZE);
	r = fdt_build(p, buf, BUF_SIZE, &err);
	cr_assert_eq(r, 0, "fdt_build failed: %s", err.msg);
	cr_assert_eq(fdt_check_header(buf), 0);
	cr_assert_leq(fdt_totalsize(buf), BUF_SIZE);
	return buf;
}

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	cr_assert_geq(off, 0, "node %s missing: %s", path, fdt_strerror(off));
	return off;
}

static const void *prop(const void *fdt, int off, const char *name, int *len)
{
	const void *v = fdt_getprop(fdt, off, name, len);

	cr_assert_not_null(v, "property %s missing", name);
	return v;
}

static uint32_t cell(const void *fdt, int off, const char *name)
{
	int len;
	const fdt32_t *v = prop(fdt, off, name, &len);

	cr_assert_eq(len, 4, "property %s has length %d, not 4", name, len);
	return ld32(v, 0);
}

static uint64_t u64prop(const void *fdt, int off, const char *name)
{
	int len;
	const fdt64_t *v = prop(fdt, off, name, &len);

	cr_assert_eq(len, 8, "property %s has length %d, not 8", name, len);
	return ld64(v, 0);
}

static void check_string(const void *fdt, int off, const char *name, const char *want)
{
	int len;
	const char *v = prop(fdt, off, name, &len);

	cr_assert_eq(len, (int)strlen(want) + 1, "%s length %d", name, len);
	cr_assert_str_eq(v, want);
}

static void check_cells(const void *fdt, int off, const char *name,
			const uint32_t *want, int n)
{
	int len;
	const fdt32_t *v = prop(fdt, off, name, &len);

	cr_assert_eq(len, n * 4, "%s length %d, want %d", name, len, n * 4);
	for (int i = 0; i < n; i++)
		cr_assert_eq(ld32(v, i), want[i], "%s[%d] = 0x%x, want 0x%x",
			     name, i, ld32(v, i), want[i]);
}

static void check_reg64(const void *fdt, int off, const uint64_t *want, int n)
{
	int len;
	const fdt64_t *v = prop(fdt, off, "reg", &len);

	cr_assert_eq(len, n * 8, "reg length %d, want %d", len, n * 8);
	for (int i = 0; i < n; i++)
		cr_assert_eq(ld64(v, i), want[i], "reg[%d] = 0x%llx, want 0x%llx", i,
			     (unsigned long long)ld64(v, i), (unsigned long long)want[i]);
}

static void check_root(const void *fdt)
{
	int root = node(fdt, "/");

	check_string(fdt, root, "compatible", "linux,dummy-virt");
	cr_assert_eq(cell(fdt, root, "#address-cells"), 2);
	cr_assert_eq(cell(fdt, root, "#size-cells"), 2);
	cr_assert_eq(cell(fdt, root, "interrupt-parent"), FDT_PHANDLE_GIC);
}

static void check_memory(const void *fdt, uint64_t base, uint64_t size)
{
	char path[32];
	int off;
	uint64_t want[2] = { base, size };

	snprintf(path, sizeof(path), "/memory@%llx", (unsigned long long)base);
	off = node(fdt, path);

	check_string(fdt, off, "device_type", "memory");
	check_reg64(fdt, off, want, 2);
}

static void check_cpus(const void *fdt, const struct fdt_params *p)
{
	int cpus = node(fdt, "/cpus"), child, count = 0;

	cr_assert_eq(cell(fdt, cpus, "#address-cells"), 1);
	cr_assert_eq(cell(fdt, cpus, "#size-cells"), 0);
	fdt_for_each_subnode(child, fdt, cpus) {
		const char *name = fdt_get_name(fdt, child, NULL);
		uint64_t want = p->mpidrs ? p->mpidrs[count] : fdt_default_mpidr((unsigned)count);
		char want_name[32];

		cr_assert_lt((unsigned)count, p->ncpus, "more cpu nodes than vCPUs");
		want &= 0xffffff;
		snprintf(want_name, sizeof(want_name), "cpu@%llx", (unsigned long long)want);
		cr_assert_str_eq(name, want_name);
		cr_assert_eq(cell(fdt, child, "reg"), (uint32_t)want);
		check_string(fdt, child, "device_type", "cpu");
		check_string(fdt, child, "enable-method", "psci");
		check_string(fdt, child, "compatible", "arm,arm-v8");
		count++;
	}
	cr_assert_eq((unsigned)count, p->ncpus, "%d cpu nodes, want %u", count, p->ncpus);
}

static void check_psci(const void *fdt)
{
	int off = node(fdt, "/psci");

	check_string(fdt, off, "method", "hvc");
	cr_assert_eq(fdt_node_check_compatible(fdt, off, "arm,psci-0.2"), 0);
	cr_assert_eq(fdt_node_check_compatible(fdt, off, "arm,psci-1.0"), 0);
}

static void check_gic(const void *fdt, const struct fdt_params *p)
{
	int off, other;

	if (p->gic_version == 3) {
		uint64_t want[4] = {
			0x08000000, 0x10000, 0x080a0000, 0x20000ULL * p->ncpus,
		};

		off = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
		cr_assert_geq(off, 0, "no arm,gic-v3 node");
		check_reg64(fdt, off, want, 4);
		cr_assert_eq(cell(fdt, off, "#redistributor-regions"), 1);
		other = fdt_node_offset_by_compatible(fdt, -1, "arm,cortex-a15-gic");
	} else {
		uint64_t want[4] = { 0x08000000, 0x10000, 0x08010000, 0x2000 };

		off = fdt_node_offset_by_compatible(fdt, -1, "arm,cortex-a15-gic");
		cr_assert_geq(off, 0, "no arm,cortex-a15-gic node");
		check_reg64(fdt, off, want, 4);
		other = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
	}
	cr_assert_eq(other, -FDT_ERR_NOTFOUND, "both GIC flavours present");
	cr_assert_str_eq(fdt_get_name(fdt, off, NULL), "intc@8000000");
	cr_assert_eq(cell(fdt, off, "#interrupt-cells"), 3);
	cr_assert_not_null(fdt_getprop(fdt, off, "interrupt-controller", NULL));
	/* phandle of the GIC is what the root's interrupt-parent names. */
	cr_assert_eq(fdt_get_phandle(fdt, off), cell(fdt, 0, "interrupt-parent"));
	cr_assert_eq(fdt_node_offset_by_phandle(fdt, FDT_PHANDLE_GIC), off);
}

static void check_timer(const void *fdt, const struct fdt_params *p)
{
	int off = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
	uint32_t flags = 8;
	uint32_t want[12];
	static const uint32_t ppis[4] = { 13, 14, 11, 10 };

	cr_assert_geq(off, 0, "no timer node");
	if (p->gic_version == 2)
		flags |= ((1U << p->ncpus) - 1) << 8;
	for (int i = 0; i < 4; i++) {
		want[i * 3] = 1;
		want[i * 3 + 1] = ppis[i];
		want[i * 3 + 2] = flags;
	}
	check_cells(fdt, off, "interrupts", want, 12);
	cr_assert_not_null(fdt_getprop(fdt, off, "always-on", NULL));
}

static void check_uart(const void *fdt)
{
	int off = node(fdt, "/uart@9000000");
	uint64_t reg[2] = { 0x09000000, 0x1000 };
	uint32_t irq[3] = { 0, 1, 4 };

	check_string(fdt, off, "compatible", "ns16550a");
	check_reg64(fdt, off, reg, 2);
	check_cells(fdt, off, "interrupts", irq, 3);
	cr_assert_eq(fdt_node_offset_by_compatible(fdt, -1, "ns16550a"), off);
	check_string(fdt, node(fdt, "/aliases"), "serial0", "/uart@9000000");
}

static void check_virtio(const void *fdt, const struct fdt_params *p)
{
	int off = -1;
	unsigned int n = 0;

	for (off = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); off >= 0;
	     off = fdt_node_offset_by_compatible(fdt, off, "virtio,mmio")) {
		const struct fdt_virtio_slot *s;
		char want_name[40];
		uint64_t reg[2];
		uint32_t irq[3];

		cr_assert_lt(n, p->nvirtio, "more virtio nodes than slots");
		s = &p->virtio[n];
		snprintf(want_name, sizeof(want_name), "virtio_mmio@%llx",
			 (unsigned long long)s->base);
		cr_assert_str_eq(fdt_get_name(fdt, off, NULL), want_name);
		reg[0] = s->base;
		reg[1] = s->size;
		check_reg64(fdt, off, reg, 2);
		irq[0] = 0;
		irq[1] = s->spi;
		irq[2] = 1;
		check_cells(fdt, off, "interrupts", irq, 3);
		cr_assert_not_null(fdt_getprop(fdt, off, "dma-coherent", NULL));
		n++;
	}
	cr_assert_eq(off, -FDT_ERR_NOTFOUND);
	cr_assert_eq(n, p->nvirtio);
}

static void check_chosen(const void *fdt, const struct fdt_params *p)
{
	int off = node(fdt, "/chosen"), len;
	const void *v;

	check_string(fdt, off, "stdout-path", "/uart@9000000");
	if (p->cmdline)
		check_string(fdt, off, "bootargs", p->cmdline);
	else
		cr_assert_null(fdt_getprop(fdt, off, "bootargs", NULL));
	if (p->initrd_size) {
		cr_assert_eq(u64prop(fdt, off, "linux,initrd-start"), p->initrd_start);
		cr_assert_eq(u64prop(fdt, off, "linux,initrd-end"),
			     p->initrd_start + p->initrd_size);
	} else {
		cr_assert_null(fdt_getprop(fdt, off, "linux,initrd-start", NULL));
		cr_assert_null(fdt_getprop(fdt, off, "linux,initrd-end", NULL));
	}
	v = fdt_getprop(fdt, off, "rng-seed", &len);
	if (p->rng_seed) {
		uint64_t k;

		cr_assert_not_null(v);
		cr_assert_eq(len, FDT_RNG_SEED_SIZE);
		cr_assert_arr_eq(v, p->rng_seed, FDT_RNG_SEED_SIZE);
		memcpy(&k, p->rng_seed, 8);
		cr_assert_eq(u64prop(fdt, off, "kaslr-seed"), k);
	} else {
		cr_assert_null(v);
		cr_assert_null(fdt_getprop(fdt, off, "kaslr-seed", NULL));
	}
}

static void check_all(const struct fdt_params *p)
{
	void *fdt = build_ok(p);

	check_root(fdt);
	check_chosen(fdt, p);
	check_memory(fdt, p->ram_base, p->ram_size);
	check_cpus(fdt, p);
	check_psci(fdt);
	check_gic(fdt, p);
	check_timer(fdt, p);
	check_uart(fdt);
	check_virtio(fdt, p);
	free(fdt);
}

static void matrix(int gic)
{
	static const unsigned int cpus[] = { 1, 2, 8 };

	for (int i = 0; i < FDT_RNG_SEED_SIZE; i++)
		seed[i] = (uint8_t)(i * 7 + 3);
	for (size_t c = 0; c < 3; c++)
		for (int initrd = 0; initrd < 2; initrd++)
			for (int virtio = 0; virtio < 2; virtio++)
				for (int extras = 0; extras < 2; extras++) {
					struct fdt_params p = base_params(cpus[c], gic);

					if (initrd) {
						p.initrd_start = 0x8f000000;
						p.initrd_size = 0x123000;
					}
					if (virtio) {
						p.virtio = two_slots;
						p.nvirtio = 2;
					}
					if (extras) {
						p.rng_seed = seed;
						p.cmdline = "console=ttyS0 earlycon root=/dev/vda";
					}
					check_all(&p);
				}
}

Test(fdt, matrix_gicv3)
{
	matrix(3);
}

Test(fdt, matrix_gicv2)
{
	matrix(2);
}

Test(fdt, gicv2_timer_cpu_mask)
{
	for (unsigned int n = 1; n <= 8; n++) {
		struct fdt_params p = base_params(n, 2);
		void *fdt = build_ok(&p);
		int off = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
		const fdt32_t *v = fdt_getprop(fdt, off, "interrupts", NULL);

		cr_assert_not_null(v);
		cr_assert_eq(ld32(v, 2), 8u | (((1u << n) - 1) << 8));
		free(fdt);
	}
}

Test(fdt, gicv3_redist_grows_with_cpus)
{
	struct fdt_params p = base_params(8, 3);
	void *fdt = build_ok(&p);
	int off = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
	const fdt64_t *reg = fdt_getprop(fdt, off, "reg", NULL);

	cr_assert_not_null(reg);
	cr_assert_eq(ld64(reg, 3), 8 * 0x20000ULL);
	free(fdt);
}

Test(fdt, default_mpidr_numbering)
{
	cr_assert_eq(fdt_default_mpidr(0), 0x0);
	cr_assert_eq(fdt_default_mpidr(1), 0x1);
	cr_assert_eq(fdt_default_mpidr(15), 0xf);
	cr_assert_eq(fdt_default_mpidr(16), 0x100);
	cr_assert_eq(fdt_default_mpidr(17), 0x101);
	cr_assert_eq(fdt_default_mpidr(0x1000), 0x10000);
}

Test(fdt, many_cpus_default_mpidr)
{
	struct fdt_params p = base_params(20, 3);
	void *fdt = build_ok(&p);

	check_cpus(fdt, &p);
	node(fdt, "/cpus/cpu@100");
	node(fdt, "/cpus/cpu@103");
	cr_assert_lt(fdt_path_offset(fdt, "/cpus/cpu@10"), 0);
	cr_assert_eq(cell(fdt, node(fdt, "/cpus/cpu@100"), "reg"), 0x100);
	free(fdt);
}

Test(fdt, explicit_mpidrs)
{
	/* Aff3 and the RES1 bit 31 are not part of reg. */
	static const uint64_t mpidrs[3] = { 0x80000000ULL, 0x80000001ULL, 0xff80010203ULL };
	struct fdt_params p = base_params(3, 3);
	void *fdt;

	p.mpidrs = mpidrs;
	fdt = build_ok(&p);
	cr_assert_eq(cell(fdt, node(fdt, "/cpus/cpu@0"), "reg"), 0);
	cr_assert_eq(cell(fdt, node(fdt, "/cpus/cpu@1"), "reg"), 1);
	cr_assert_eq(cell(fdt, node(fdt, "/cpus/cpu@10203"), "reg"), 0x10203);
	free(fdt);
}

Test(fdt, memory_reg_follows_params)
{
	struct fdt_params p = base_params(1, 3);
	void *fdt;

	p.ram_size = 16ULL << 30;
	fdt = build_ok(&p);
	check_memory(fdt, LAYOUT_RAM_BASE, 16ULL << 30);
	free(fdt);
}

Test(fdt, output_is_packed)
{
	struct fdt_params p = base_params(2, 3);
	void *fdt = build_ok(&p);

	/* Packed: totalsize is just what is used, far below the buffer. */
	cr_assert_lt(fdt_totalsize(fdt), 4096);
	cr_assert_eq(fdt_totalsize(fdt), fdt_off_dt_strings(fdt) + fdt_size_dt_strings(fdt));
	free(fdt);
}

Test(fdt, too_small_buffer_fails)
{
	struct fdt_params p = base_params(8, 3);
	size_t full;
	void *fdt;
	static const size_t sizes[] = { 1, 2, 3, 8, 39, 40, 41, 64, 100, 256, 512, 1024 };

	p.virtio = two_slots;
	p.nvirtio = 2;
	p.cmdline = "console=ttyS0";
	p.rng_seed = seed;
	fdt = build_ok(&p);
	full = fdt_totalsize(fdt);
	free(fdt);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* Exact-size heap buffers so ASan sees any overrun. */
		struct tvm_error err = { 0 };
		void *buf = malloc(sizes[i]);

		cr_assert_not_null(buf);
		memset(buf, 0, sizes[i]);
		cr_assert_eq(fdt_build(&p, buf, sizes[i], &err), -1, "size %zu", sizes[i]);
		cr_assert_eq(err.code, TVM_EXIT_ERROR);
		cr_assert_eq(err.kind, TVM_ERR_INTERNAL, "tinyvmm sizes the slot: %s", err.msg);
		cr_assert_neq(err.msg[0], '\0');
		free(buf);
	}
	/* One byte short of what the unpacked tree needs also fails cleanly. */
	{
		struct tvm_error err = { 0 };
		void *buf = malloc(full - 1);

		cr_assert_eq(fdt_build(&p, buf, full - 1, &err), -1);
		free(buf);
	}
}

Test(fdt, buffer_starting_with_sw_magic_too_small)
{
	/* A reused buffer may still hold a sequential-write header. */
	struct fdt_params p = base_params(1, 3);
	struct tvm_error err = { 0 };
	uint8_t *buf = malloc(16);

	cr_assert_not_null(buf);
	memset(buf, 0, 16);
	*(fdt32_t *)buf = cpu_to_fdt32(~FDT_MAGIC) /* FDT_SW_MAGIC, libfdt-internal */;
	cr_assert_eq(fdt_build(&p, buf, 16, &err), -1);
	free(buf);
}

Test(fdt, invalid_gic_version)
{
	static const int bad[] = { 0, 1, 4, -1 };

	for (size_t i = 0; i < 4; i++) {
		struct fdt_params p = base_params(1, bad[i]);
		struct tvm_error err = { 0 };
		char buf[4096];

		cr_assert_eq(fdt_build(&p, buf, sizeof(buf), &err), -1);
		cr_assert_eq(err.code, TVM_EXIT_ERROR);
		cr_assert_eq(err.kind, TVM_ERR_INTERNAL, "a caller's bug, not the user's: %s", err.msg);
		cr_assert_eq(err.errnum, 0);
	}
}

/* PCI host bridge and MSI controllers (ITS on GICv3, v2m on GICv2). */
static struct fdt_pci pci_desc(enum fdt_msi_kind msi, bool mmio64)
{
	struct fdt_pci pci = {
		.ecam_base = LAYOUT_PCI_ECAM_BASE, .ecam_size = LAYOUT_PCI_ECAM_SIZE,
		.mmio32_base = LAYOUT_PCI_MMIO32_BASE, .mmio32_size = LAYOUT_PCI_MMIO32_SIZE,
		.mmio64_base = mmio64 ? LAYOUT_PCI_MMIO64_BASE : 0,
		.mmio64_size = mmio64 ? LAYOUT_PCI_MMIO64_SIZE : 0,
		.msi = msi,
		.msi_base = msi == FDT_MSI_ITS ? LAYOUT_GIC_ITS_BASE : LAYOUT_GICV2M_BASE,
		.msi_size = msi == FDT_MSI_ITS ? LAYOUT_GIC_ITS_SIZE : LAYOUT_GICV2M_SIZE,
		.intx_first_spi = LAYOUT_PCI_INTX_FIRST_SPI,
	};
	return pci;
}

static int check_pci_host(const void *fdt, bool mmio64)
{
	int off = node(fdt, "/pci@3ff00000"), len;
	uint64_t reg[2] = { LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_ECAM_SIZE };
	uint32_t bus_range[2] = { 0, 0 };
	uint32_t ranges[14] = {
		0x02000000, 0, 0x40000000, 0, 0x40000000, 0, 0x40000000,
		0x03000000, 0x80, 0, 0x80, 0, 0x80, 0,
	};
	const fdt32_t *imap;

	check_string(fdt, off, "compatible", "pci-host-ecam-generic");
	check_string(fdt, off, "device_type", "pci");
	cr_assert_eq(cell(fdt, off, "#address-cells"), 3);
	cr_assert_eq(cell(fdt, off, "#size-cells"), 2);
	cr_assert_eq(cell(fdt, off, "#interrupt-cells"), 1);
	check_cells(fdt, off, "bus-range", bus_range, 2);
	check_reg64(fdt, off, reg, 2);
	check_cells(fdt, off, "ranges", ranges, mmio64 ? 14 : 7);
	cr_assert_not_null(fdt_getprop(fdt, off, "dma-coherent", &len));
	cr_assert_eq(len, 0);
	/* interrupt-map: 16 entries of 10 cells; mask selects device bits 1:0 and the pin. */
	check_cells(fdt, off, "interrupt-map-mask", (const uint32_t[]){ 0x1800, 0, 0, 7 }, 4);
	imap = prop(fdt, off, "interrupt-map", &len);
	cr_assert_eq(len, 16 * 10 * 4);
	for (unsigned int slot = 0; slot < 4; slot++) {
		for (unsigned int pin = 1; pin <= 4; pin++) {
			int e = (int)(slot * 4 + pin - 1) * 10;

			cr_assert_eq(ld32(imap, e + 0), slot << 11);
			cr_assert_eq(ld32(imap, e + 1), 0);
			cr_assert_eq(ld32(imap, e + 2), 0);
			cr_assert_eq(ld32(imap, e + 3), pin);
			cr_assert_eq(ld32(imap, e + 4), FDT_PHANDLE_GIC);
			cr_assert_eq(ld32(imap, e + 5), 0, "GIC #address-cells is 2");
			cr_assert_eq(ld32(imap, e + 6), 0);
			cr_assert_eq(ld32(imap, e + 7), 0, "SPI");
			cr_assert_eq(ld32(imap, e + 8), LAYOUT_PCI_INTX_FIRST_SPI + (slot + pin - 1) % 4);
			cr_assert_eq(ld32(imap, e + 9), 4, "level high");
		}
	}
	return off;
}

Test(fdt, pci_with_its)
{
	struct fdt_pci pci = pci_desc(FDT_MSI_ITS, true);
	struct fdt_params p = base_params(2, 3);
	uint64_t its_reg[2] = { LAYOUT_GIC_ITS_BASE, LAYOUT_GIC_ITS_SIZE };
	void *fdt;
	int gic, its, host, len;

	p.pci = &pci;
	fdt = build_ok(&p);
	check_gic(fdt, &p);
	gic = node(fdt, "/intc@8000000");
	cr_assert_eq(cell(fdt, gic, "#address-cells"), 2);
	cr_assert_eq(cell(fdt, gic, "#size-cells"), 2);
	cr_assert_not_null(fdt_getprop(fdt, gic, "ranges", &len));
	cr_assert_eq(len, 0, "empty ranges: identity");
	its = node(fdt, "/intc@8000000/msi-controller@8080000");
	cr_assert_eq(fdt_parent_offset(fdt, its), gic);
	check_string(fdt, its, "compatible", "arm,gic-v3-its");
	cr_assert_not_null(fdt_getprop(fdt, its, "msi-controller", NULL));
	cr_assert_eq(cell(fdt, its, "#msi-cells"), 1);
	check_reg64(fdt, its, its_reg, 2);
	cr_assert_eq(fdt_get_phandle(fdt, its), FDT_PHANDLE_MSI);
	host = check_pci_host(fdt, true);
	check_cells(fdt, host, "msi-map",
		    (const uint32_t[]){ 0, FDT_PHANDLE_MSI, 0, 0x10000 }, 4);
	cr_assert_eq(fdt_node_offset_by_phandle(fdt, FDT_PHANDLE_MSI), its);
	cr_assert_null(fdt_getprop(fdt, host, "msi-parent", NULL));
	cr_assert_eq(fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v2m-frame"), -FDT_ERR_NOTFOUND);
	free(fdt);
}

Test(fdt, pci_with_v2m_and_no_mmio64)
{
	struct fdt_pci pci = pci_desc(FDT_MSI_V2M, false);
	struct fdt_params p = base_params(1, 2);
	uint64_t v2m_reg[2] = { LAYOUT_GICV2M_BASE, LAYOUT_GICV2M_SIZE };
	void *fdt;
	int v2m, host;

	p.pci = &pci;
	fdt = build_ok(&p);
	check_gic(fdt, &p);
	v2m = node(fdt, "/intc@8000000/v2m@8020000");
	check_string(fdt, v2m, "compatible", "arm,gic-v2m-frame");
	cr_assert_not_null(fdt_getprop(fdt, v2m, "msi-controller", NULL));
	cr_assert_null(fdt_getprop(fdt, v2m, "#msi-cells", NULL));
	check_reg64(fdt, v2m, v2m_reg, 2);
	host = check_pci_host(fdt, false);
	cr_assert_eq(cell(fdt, host, "msi-parent"), FDT_PHANDLE_MSI);
	cr_assert_eq(fdt_node_offset_by_phandle(fdt, FDT_PHANDLE_MSI), v2m);
	cr_assert_null(fdt_getprop(fdt, host, "msi-map", NULL));
	free(fdt);
}

Test(fdt, pci_intx_only)
{
	struct fdt_pci pci = pci_desc(FDT_MSI_NONE, true);
	struct fdt_params p = base_params(1, 3);
	void *fdt;
	int host, gic;

	p.pci = &pci;
	fdt = build_ok(&p);
	host = check_pci_host(fdt, true);
	cr_assert_null(fdt_getprop(fdt, host, "msi-map", NULL));
	cr_assert_null(fdt_getprop(fdt, host, "msi-parent", NULL));
	gic = node(fdt, "/intc@8000000");
	cr_assert_lt(fdt_first_subnode(fdt, gic), 0, "no MSI controller");
	cr_assert_null(fdt_getprop(fdt, gic, "ranges", NULL));
	free(fdt);
}

Test(fdt, pci_msi_controller_must_match_gic)
{
	struct fdt_pci its = pci_desc(FDT_MSI_ITS, true), v2m = pci_desc(FDT_MSI_V2M, true);
	struct fdt_params p2 = base_params(1, 2), p3 = base_params(1, 3);
	struct tvm_error err = { 0 };
	static char buf[BUF_SIZE];

	p2.pci = &its;
	p3.pci = &v2m;
	cr_assert_eq(fdt_build(&p2, buf, sizeof(buf), &err), -1);
	cr_assert_eq(err.kind, TVM_ERR_INTERNAL, "%s", err.msg);
	err.kind = TVM_ERR_NONE;
	cr_assert_eq(fdt_build(&p3, buf, sizeof(buf), &err), -1);
	cr_assert_eq(err.kind, TVM_ERR_INTERNAL, "%s", err.msg);
}

Test(fdt, no_pci_node_by_default)
{
	struct fdt_params p = base_params(1, 3);
	void *fdt = build_ok(&p);

	cr_assert_eq(fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic"),
		     -FDT_ERR_NOTFOUND);
	free(fdt);
}

Test(fdt, mmio64_window_rule)
{
	cr_assert(layout_pci_mmio64_usable(LAYOUT_RAM_BASE + (512ULL << 20), 40));
	cr_assert(layout_pci_mmio64_usable(LAYOUT_PCI_MMIO64_BASE, 40), "RAM right up to it");
	cr_assert_not(layout_pci_mmio64_usable(LAYOUT_PCI_MMIO64_BASE + 1, 48));
	cr_assert_not(layout_pci_mmio64_usable(LAYOUT_RAM_BASE + (512ULL << 20), 36),
		      "36-bit IPA: 32-bit window only");
}

Test(fdt, exit_device_node_only_when_asked)
{
	struct fdt_params p = base_params(1, 3);
	void *fdt = build_ok(&p);
	const void *reg;
	int off, len;

	cr_assert_lt(fdt_node_offset_by_compatible(fdt, -1, "tinyvmm,exit"), 0);
	free(fdt);
	board_fdt_platform(board_get(BOARD_TINYVMM), &p.board, 3, 1, false, true);
	fdt = build_ok(&p);
	off = node(fdt, "/exit@9001000");
	cr_assert_eq(fdt_node_offset_by_compatible(fdt, -1, "tinyvmm,exit"), off);
	cr_assert_eq(fdt_parent_offset(fdt, off), 0, "not at the root");
	/* One reg entry in the root's 2 address cells + 2 size cells. */
	reg = prop(fdt, off, "reg", &len);
	cr_assert_eq(len, 16);
	cr_assert_eq(ld64(reg, 0), LAYOUT_EXIT_DEVICE_BASE);
	cr_assert_eq(ld64(reg, 1), LAYOUT_EXIT_DEVICE_SIZE);
	free(fdt);
}

/* PMUv3: a node only when the vCPUs have one, its PPI level-high. */
Test(fdt, pmu_node_only_with_a_pmu)
{
	struct fdt_params p = base_params(2, 3);
	void *fdt = build_ok(&p);

	cr_assert_eq(fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-pmuv3"), -FDT_ERR_NOTFOUND);
	free(fdt);
	for (int gic = 2; gic <= 3; gic++) {
		uint32_t want[3] = { 1, LAYOUT_PMU_PPI, 4 };
		int off;

		p = base_params(2, gic);
		p.pmu_ppi = LAYOUT_PMU_PPI;
		fdt = build_ok(&p);
		off = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-pmuv3");
		cr_assert_geq(off, 0, "no PMU node with GICv%d", gic);
		cr_assert_str_eq(fdt_get_name(fdt, off, NULL), "pmu");
		/* GICv2: the PPI goes to both vCPUs (CPU mask 0b11 in bits 8-15). */
		if (gic == 2)
			want[2] |= 0x3 << 8;
		check_cells(fdt, off, "interrupts", want, 3);
		free(fdt);
	}
}

/* fdt/ has no addresses of its own: every fixed device sits where the board says. */
Test(fdt, places_the_fixed_devices_where_the_board_says)
{
	struct fdt_params p = base_params(2, 2);
	const void *reg, *irq;
	void *fdt;
	int off, len;

	p.board.gic_dist = (struct fdt_region){ 0x1000000, 0x10000 };
	p.board.gic_cpu = (struct fdt_region){ 0x1010000, 0x2000 };
	p.board.uart = (struct fdt_region){ 0x2000000, 0x100 };
	p.board.uart_spi = 5;
	p.board.exit_device = (struct fdt_region){ 0x3000000, 0x1000 };
	fdt = build_ok(&p);
	off = node(fdt, "/intc@1000000");
	reg = prop(fdt, off, "reg", &len);
	cr_assert_eq(len, 32);
	cr_assert_eq(ld64(reg, 0), 0x1000000);
	cr_assert_eq(ld64(reg, 2), 0x1010000);
	cr_assert_eq(ld64(reg, 3), 0x2000);
	off = node(fdt, "/uart@2000000");
	irq = prop(fdt, off, "interrupts", &len);
	cr_assert_eq(ld32(irq, 1), 5);
	cr_assert_str_eq(prop(fdt, node(fdt, "/chosen"), "stdout-path", &len), "/uart@2000000");
	cr_assert_str_eq(prop(fdt, node(fdt, "/aliases"), "serial0", &len), "/uart@2000000");
	node(fdt, "/exit@3000000");
	free(fdt);
}

/* --on-reset reboot: the guest can tell which boot it is; without it, no property. */
Test(fdt, boot_count_only_when_given)
{
	struct fdt_params p = base_params(1, 3);
	void *fdt = build_ok(&p);

	cr_assert_null(fdt_getprop(fdt, node(fdt, "/chosen"), "tinyvmm,boot-count", NULL));
	free(fdt);
	p.boot_count = 4;
	fdt = build_ok(&p);
	cr_assert_eq(cell(fdt, node(fdt, "/chosen"), "tinyvmm,boot-count"), 4);
	free(fdt);
}

/* A device tree for QEMU's virt board as tinyvmm's VM builds it (vm.c, vm_net.c, vm_pci.c). */
static struct fdt_params virt_params(int gic, struct fdt_virtio_slot *slots)
{
	const struct board *b = board_get(BOARD_VIRT);
	struct fdt_params p = {
		.ncpus = 2,
		.gic_version = gic,
		.ram_base = b->ram_base,
		.ram_size = RAM_SIZE,
		.cmdline = b->default_cmdline,
		.virtio = slots,
		.nvirtio = b->virtio_slots,
	};

	board_fdt_platform(b, &p.board, gic, 2, true, true);
	for (unsigned int i = 0; i < b->virtio_slots; i++)
		slots[i] = board_virtio_slot(b, i);
	return p;
}

static void check_compatible(const void *fdt, int off, const char *want, size_t want_len)
{
	int len;
	const void *v = prop(fdt, off, "compatible", &len);

	cr_assert_eq(len, (int)want_len, "compatible length %d, want %zu", len, want_len);
	cr_assert_eq(memcmp(v, want, want_len), 0);
}

/* Node by node what QEMU 7.2's hw/arm/virt.c writes (create_uart, create_rtc, create_fdt). */
Test(fdt, virt_board_nodes_as_qemu_writes_them)
{
	static const char pl011[] = "arm,pl011\0arm,primecell";
	static const char pl031[] = "arm,pl031\0arm,primecell";
	static const char uart_clocks[] = "uartclk\0apb_pclk";
	struct fdt_virtio_slot slots[32];
	struct fdt_params p = virt_params(3, slots);
	void *fdt = build_ok(&p);
	uint32_t clk[2] = { FDT_PHANDLE_APB_CLOCK, FDT_PHANDLE_APB_CLOCK };
	int off, len;

	check_string(fdt, 0, "model", "linux,dummy-virt");
	check_string(fdt, 0, "compatible", "linux,dummy-virt");
	check_memory(fdt, 0x40000000, RAM_SIZE);
	/* The PrimeCells' bus clock. */
	off = node(fdt, "/apb-pclk");
	check_string(fdt, off, "compatible", "fixed-clock");
	cr_assert_eq(cell(fdt, off, "clock-frequency"), 24000000);
	cr_assert_eq(cell(fdt, off, "#clock-cells"), 0);
	check_string(fdt, off, "clock-output-names", "clk24mhz");
	cr_assert_eq(cell(fdt, off, "phandle"), FDT_PHANDLE_APB_CLOCK);
	/* PL011: SPI 1 level-high, the clock twice (uartclk, apb_pclk); the console. */
	off = node(fdt, "/pl011@9000000");
	check_compatible(fdt, off, pl011, sizeof(pl011));
	check_reg64(fdt, off, (uint64_t[]){ 0x09000000, 0x1000 }, 2);
	check_cells(fdt, off, "interrupts", (uint32_t[]){ 0, 1, 4 }, 3);
	check_cells(fdt, off, "clocks", clk, 2);
	cr_assert_eq(memcmp(prop(fdt, off, "clock-names", &len), uart_clocks, sizeof(uart_clocks)), 0);
	cr_assert_eq(len, (int)sizeof(uart_clocks));
	check_string(fdt, node(fdt, "/chosen"), "stdout-path", "/pl011@9000000");
	check_string(fdt, node(fdt, "/chosen"), "bootargs", "console=ttyAMA0 earlycon");
	check_string(fdt, node(fdt, "/aliases"), "serial0", "/pl011@9000000");
	cr_assert_lt(fdt_node_offset_by_compatible(fdt, -1, "ns16550a"), 0, "no 16550 on virt");
	/* PL031: SPI 2, the bus clock. */
	off = node(fdt, "/pl031@9010000");
	check_compatible(fdt, off, pl031, sizeof(pl031));
	check_reg64(fdt, off, (uint64_t[]){ 0x09010000, 0x1000 }, 2);
	check_cells(fdt, off, "interrupts", (uint32_t[]){ 0, 2, 4 }, 3);
	check_cells(fdt, off, "clocks", clk, 1);
	check_string(fdt, off, "clock-names", "apb_pclk");
	/* All 32 virtio-mmio transports, SPI 16 + n, edge-rising. */
	for (unsigned int n = 0; n < 32; n++) {
		char path[48];

		snprintf(path, sizeof(path), "/virtio_mmio@%llx", 0x0a000000ULL + n * 0x200);
		off = node(fdt, path);
		check_string(fdt, off, "compatible", "virtio,mmio");
		check_reg64(fdt, off, (uint64_t[]){ 0x0a000000ULL + n * 0x200, 0x200 }, 2);
		check_cells(fdt, off, "interrupts", (uint32_t[]){ 0, 16 + n, 1 }, 3);
		cr_assert_not_null(fdt_getprop(fdt, off, "dma-coherent", NULL));
	}
	/* GICv3, timer, PSCI 1.0 over HVC. */
	off = node(fdt, "/intc@8000000");
	check_string(fdt, off, "compatible", "arm,gic-v3");
	check_reg64(fdt, off, (uint64_t[]){ 0x08000000, 0x10000, 0x080a0000, 2 * 0x20000 }, 4);
	off = node(fdt, "/timer");
	check_string(fdt, off, "compatible", "arm,armv8-timer");
	off = node(fdt, "/psci");
	cr_assert_str_eq(prop(fdt, off, "compatible", &len), "arm,psci-1.0");
	check_string(fdt, off, "method", "hvc");
	node(fdt, "/exit@9001000");
	free(fdt);
}

/* GICv2: QEMU's 64 KiB CPU-interface frame; PCIe as create_pcie writes it, v2m from SPI 48. */
Test(fdt, virt_board_gicv2_and_pcie)
{
	const struct board *b = board_get(BOARD_VIRT);
	struct fdt_virtio_slot slots[32];
	struct fdt_params p = virt_params(2, slots);
	struct fdt_pci pci = {
		.ecam_base = b->pci_ecam.base, .ecam_size = b->pci_ecam.size,
		.mmio32_base = b->pci_mmio32.base, .mmio32_size = b->pci_mmio32.size,
		.msi = FDT_MSI_V2M, .msi_base = b->gicv2m.base, .msi_size = b->gicv2m.size,
		.intx_first_spi = b->pci_intx_first_spi, .node_name = b->pci_node,
		.msi_node_name = "v2m",
	};
	const void *imap;
	void *fdt;
	int off, len;

	p.pci = &pci;
	fdt = build_ok(&p);
	off = node(fdt, "/intc@8000000");
	check_string(fdt, off, "compatible", "arm,cortex-a15-gic");
	check_reg64(fdt, off, (uint64_t[]){ 0x08000000, 0x10000, 0x08010000, 0x10000 }, 4);
	off = node(fdt, "/intc@8000000/v2m@8020000");
	check_string(fdt, off, "compatible", "arm,gic-v2m-frame");
	off = node(fdt, "/pcie@10000000");
	check_string(fdt, off, "compatible", "pci-host-ecam-generic");
	check_string(fdt, off, "device_type", "pci");
	check_reg64(fdt, off, (uint64_t[]){ 0x3f000000, 0x100000 }, 2);
	/* INTA of slot 0 on SPI 3, the swizzle over SPIs 3-6. */
	imap = prop(fdt, off, "interrupt-map", &len);
	cr_assert_eq(ld32(imap, 8), 3);
	cr_assert_eq(ld32(imap, 10 + 8), 4);
	cr_assert_eq(ld32(imap, 3 * 10 + 8), 6);
	cr_assert_eq(cell(fdt, off, "msi-parent"), FDT_PHANDLE_MSI);
	free(fdt);
}

/* The flash node: virt has its two banks whether or not --bios fills one, as QEMU's. */
Test(fdt, flash_node_for_both_banks)
{
	struct fdt_virtio_slot slots[32];
	struct fdt_params p = virt_params(3, slots);
	void *fdt = build_ok(&p);
	int off;

	off = node(fdt, "/flash@0");
	check_string(fdt, off, "compatible", "cfi-flash");
	check_reg64(fdt, off, (uint64_t[]){ 0, 64 << 20, 64 << 20, 64 << 20 }, 4);
	cr_assert_eq(cell(fdt, off, "bank-width"), 4);
	free(fdt);
	memset(p.board.flash, 0, sizeof(p.board.flash));
	fdt = build_ok(&p);
	cr_assert_lt(fdt_path_offset(fdt, "/flash@0"), 0, "no flash node on a board without flash");
	free(fdt);
}

/* tinyvmm's board with the RTC: the PL031 node and its clock, the 16550 stays the console. */
Test(fdt, tinyvmm_board_with_the_rtc)
{
	struct fdt_params p = base_params(1, 3);
	void *fdt;
	int off;

	board_fdt_platform(board_get(BOARD_TINYVMM), &p.board, 3, 1, true, false);
	fdt = build_ok(&p);
	off = node(fdt, "/pl031@9010000");
	check_cells(fdt, off, "interrupts", (uint32_t[]){ 0, LAYOUT_RTC_SPI, 4 }, 3);
	node(fdt, "/apb-pclk");
	node(fdt, "/uart@9000000");
	free(fdt);
	/* Without it, no clock node either: the DT is what it always was. */
	p = base_params(1, 3);
	fdt = build_ok(&p);
	cr_assert_lt(fdt_path_offset(fdt, "/apb-pclk"), 0);
	cr_assert_lt(fdt_path_offset(fdt, "/pl031@9010000"), 0);
	free(fdt);
}
