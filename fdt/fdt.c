// SPDX-License-Identifier: MIT
/*
 * The guest device tree, written with libfdt's sequential-write API.
 * Bindings: arm,gic-v3 / arm,cortex-a15-gic, arm,armv8-timer, arm,psci-*,
 * arm,armv8-pmuv3, ns16550a, arm,pl011, arm,pl031, fixed-clock, cfi-flash,
 * virtio,mmio, pci-host-ecam-generic (Documentation/devicetree/bindings in
 * Linux). For the PrimeCell devices and the PCIe host the node names and
 * properties follow what QEMU's virt board writes (hw/arm/virt.c), so a
 * guest written for it finds them where it looks.
 */
#include "fdt/fdt.h"

#include <libfdt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>


/* GIC DT interrupt specifier: <type number flags>. */
#define GIC_FDT_SPI		0
#define GIC_FDT_PPI		1
#define IRQ_EDGE_RISING		1
#define IRQ_LEVEL_HIGH		4
#define IRQ_LEVEL_LOW		8

#define UART_CLOCK_HZ		1843200

uint64_t fdt_default_mpidr(unsigned int id)
{
	/* Mirrors KVM's reset_mpidr(): 16 CPUs per Aff0 cluster. */
	return (id & 0xfULL) | (((id >> 4) & 0xffULL) << 8) | (((id >> 12) & 0xffULL) << 16);
}

static int fdt_reg(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };

	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

static int fdt_irq(void *fdt, unsigned int type, unsigned int num, unsigned int flags)
{
	fdt32_t irq[3] = { cpu_to_fdt32(type), cpu_to_fdt32(num), cpu_to_fdt32(flags) };

	return fdt_property(fdt, "interrupts", irq, sizeof(irq));
}

/* "/uart@BASE" or "/pl011@BASE": the console node's path. */
static void uart_path(const struct fdt_platform *b, char *buf, size_t size)
{
	snprintf(buf, size, "/%s@%llx", b->uart_kind == FDT_UART_PL011 ? "pl011" : "uart",
		 (unsigned long long)b->uart.base);
}

static int add_chosen(void *fdt, const struct fdt_params *p)
{
	char stdout_path[64];
	int r = 0;

	uart_path(&p->board, stdout_path, sizeof(stdout_path));
	r |= fdt_begin_node(fdt, "chosen");
	if (p->cmdline)
		r |= fdt_property_string(fdt, "bootargs", p->cmdline);
	r |= fdt_property_string(fdt, "stdout-path", stdout_path);
	if (p->initrd_size) {
		r |= fdt_property_u64(fdt, "linux,initrd-start", p->initrd_start);
		r |= fdt_property_u64(fdt, "linux,initrd-end", p->initrd_start + p->initrd_size);
	}
	/* Seeds the guest's RNG and KASLR before any driver is up. */
	if (p->rng_seed) {
		uint64_t kaslr;

		memcpy(&kaslr, p->rng_seed, sizeof(kaslr));
		r |= fdt_property(fdt, "rng-seed", p->rng_seed, FDT_RNG_SEED_SIZE);
		r |= fdt_property_u64(fdt, "kaslr-seed", kaslr);
	}
	/* Which boot of this run (guests that reboot can tell, e.g. guest-test). */
	if (p->boot_count)
		r |= fdt_property_cell(fdt, "tinyvmm,boot-count", p->boot_count);
	r |= fdt_end_node(fdt);
	return r;
}

static int add_cpus(void *fdt, const struct fdt_params *p)
{
	int r = 0;

	r |= fdt_begin_node(fdt, "cpus");
	r |= fdt_property_cell(fdt, "#address-cells", 1);
	r |= fdt_property_cell(fdt, "#size-cells", 0);
	for (unsigned int i = 0; i < p->ncpus; i++) {
		uint64_t mpidr = p->mpidrs ? p->mpidrs[i] : fdt_default_mpidr(i);
		char name[32];

		/* reg holds the affinity fields of MPIDR_EL1 (Aff3 unused here). */
		mpidr &= 0xffffffULL;
		snprintf(name, sizeof(name), "cpu@%llx", (unsigned long long)mpidr);
		r |= fdt_begin_node(fdt, name);
		r |= fdt_property_string(fdt, "device_type", "cpu");
		r |= fdt_property_string(fdt, "compatible", "arm,arm-v8");
		r |= fdt_property_string(fdt, "enable-method", "psci");
		r |= fdt_property_cell(fdt, "reg", (uint32_t)mpidr);
		r |= fdt_end_node(fdt);
	}
	r |= fdt_end_node(fdt);
	return r;
}

static int add_psci(void *fdt)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
	int r = 0;

	/* KVM implements PSCI in the kernel; function IDs come from the 0.2+ spec. */
	r |= fdt_begin_node(fdt, "psci");
	r |= fdt_property(fdt, "compatible", compat, sizeof(compat));
	r |= fdt_property_string(fdt, "method", "hvc");
	r |= fdt_end_node(fdt);
	return r;
}

static int add_memory(void *fdt, const struct fdt_params *p)
{
	char name[32];
	int r = 0;

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)p->ram_base);
	r |= fdt_begin_node(fdt, name);
	r |= fdt_property_string(fdt, "device_type", "memory");
	r |= fdt_reg(fdt, p->ram_base, p->ram_size);
	r |= fdt_end_node(fdt);
	return r;
}

/* Open a "NAME@BASE" device node with its compatible string and one reg. */
static int begin_device(void *fdt, const char *name, const char *compatible,
			uint64_t base, uint64_t size)
{
	char node[48];
	int r = 0;

	snprintf(node, sizeof(node), "%s@%llx", name, (unsigned long long)base);
	r |= fdt_begin_node(fdt, node);
	r |= fdt_property_string(fdt, "compatible", compatible);
	r |= fdt_reg(fdt, base, size);
	return r;
}

/* The MSI controller under the GIC node: ITS (GICv3) or v2m frame (GICv2). */
static int add_msi_controller(void *fdt, const struct fdt_pci *pci)
{
	bool its = pci->msi == FDT_MSI_ITS;
	const char *name = pci->msi_node_name ? pci->msi_node_name : its ? "msi-controller" : "v2m";
	int r = begin_device(fdt, name,
			     its ? "arm,gic-v3-its" : "arm,gic-v2m-frame", pci->msi_base,
			     pci->msi_size);

	r |= fdt_property(fdt, "msi-controller", NULL, 0);
	if (its)
		r |= fdt_property_cell(fdt, "#msi-cells", 1);
	r |= fdt_property_cell(fdt, "phandle", FDT_PHANDLE_MSI);
	r |= fdt_end_node(fdt);
	return r;
}

static bool has_msi_controller(const struct fdt_params *p)
{
	return p->pci && p->pci->msi != FDT_MSI_NONE;
}

static int add_gic(void *fdt, const struct fdt_params *p)
{
	const struct fdt_platform *b = &p->board;
	fdt64_t reg[4] = {
		cpu_to_fdt64(b->gic_dist.base), cpu_to_fdt64(b->gic_dist.size),
		cpu_to_fdt64(b->gic_cpu.base), cpu_to_fdt64(b->gic_cpu.size),
	};
	char name[32];
	int r = 0;

	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)b->gic_dist.base);
	r |= fdt_begin_node(fdt, name);
	if (p->gic_version == 3) {
		r |= fdt_property_string(fdt, "compatible", "arm,gic-v3");
		r |= fdt_property_cell(fdt, "#redistributor-regions", 1);
	} else {
		r |= fdt_property_string(fdt, "compatible", "arm,cortex-a15-gic");
	}
	r |= fdt_property(fdt, "reg", reg, sizeof(reg));
	r |= fdt_property_cell(fdt, "#interrupt-cells", 3);
	r |= fdt_property_cell(fdt, "#address-cells", 2);
	r |= fdt_property_cell(fdt, "#size-cells", 2);
	r |= fdt_property(fdt, "interrupt-controller", NULL, 0);
	r |= fdt_property_cell(fdt, "phandle", FDT_PHANDLE_GIC);
	if (has_msi_controller(p)) {
		/* The child's reg is in the parent's address space, one to one. */
		r |= fdt_property(fdt, "ranges", NULL, 0);
		r |= add_msi_controller(fdt, p->pci);
	}
	r |= fdt_end_node(fdt);
	return r;
}

/* GICv2 PPI specifiers carry a CPU mask in bits 8-15 (one bit per vCPU). */
static uint32_t ppi_flags(const struct fdt_params *p, uint32_t trigger)
{
	if (p->gic_version != 2)
		return trigger;
	return trigger | ((1U << (p->ncpus < 8 ? p->ncpus : 8)) - 1) << 8;
}

static int add_pmu(void *fdt, const struct fdt_params *p)
{
	int r = 0;

	if (!p->pmu_ppi)
		return 0;
	r |= fdt_begin_node(fdt, "pmu");
	r |= fdt_property_string(fdt, "compatible", "arm,armv8-pmuv3");
	r |= fdt_irq(fdt, GIC_FDT_PPI, p->pmu_ppi, ppi_flags(p, IRQ_LEVEL_HIGH));
	r |= fdt_end_node(fdt);
	return r;
}

static int add_timer(void *fdt, const struct fdt_params *p)
{
	const unsigned int *ppis = p->board.timer_ppis;
	uint32_t flags = ppi_flags(p, IRQ_LEVEL_LOW);
	fdt32_t irqs[12];
	int r = 0;

	for (int i = 0; i < 4; i++) {
		irqs[i * 3] = cpu_to_fdt32(GIC_FDT_PPI);
		irqs[i * 3 + 1] = cpu_to_fdt32(ppis[i]);
		irqs[i * 3 + 2] = cpu_to_fdt32(flags);
	}
	r |= fdt_begin_node(fdt, "timer");
	r |= fdt_property_string(fdt, "compatible", "arm,armv8-timer");
	r |= fdt_property(fdt, "interrupts", irqs, sizeof(irqs));
	r |= fdt_property(fdt, "always-on", NULL, 0);
	r |= fdt_end_node(fdt);
	return r;
}

static bool has_primecell(const struct fdt_platform *b)
{
	return b->uart_kind == FDT_UART_PL011 || b->rtc.size;
}

/* The bus clock AMBA drivers ask for ("apb_pclk"), as QEMU's virt board names it. */
static int add_apb_clock(void *fdt)
{
	int r = 0;

	r |= fdt_begin_node(fdt, "apb-pclk");
	r |= fdt_property_string(fdt, "compatible", "fixed-clock");
	r |= fdt_property_cell(fdt, "#clock-cells", 0);
	r |= fdt_property_cell(fdt, "clock-frequency", FDT_APB_CLOCK_HZ);
	r |= fdt_property_string(fdt, "clock-output-names", "clk24mhz");
	r |= fdt_property_cell(fdt, "phandle", FDT_PHANDLE_APB_CLOCK);
	r |= fdt_end_node(fdt);
	return r;
}

/* A PrimeCell (AMBA) device: compatible @model + "arm,primecell", the APB clock. */
static int add_primecell(void *fdt, const char *name, const char *model,
			 const struct fdt_region *reg, unsigned int spi, bool uart)
{
	char compat[32];
	size_t len = (size_t)snprintf(compat, sizeof(compat), "%s", model) + 1;
	fdt32_t clocks[2] = { cpu_to_fdt32(FDT_PHANDLE_APB_CLOCK),
			      cpu_to_fdt32(FDT_PHANDLE_APB_CLOCK) };
	static const char uart_clocks[] = "uartclk\0apb_pclk";
	char node[48];
	int r = 0;

	memcpy(compat + len, "arm,primecell", sizeof("arm,primecell"));
	len += sizeof("arm,primecell");
	snprintf(node, sizeof(node), "%s@%llx", name, (unsigned long long)reg->base);
	r |= fdt_begin_node(fdt, node);
	r |= fdt_property(fdt, "compatible", compat, (int)len);
	r |= fdt_reg(fdt, reg->base, reg->size);
	r |= fdt_irq(fdt, GIC_FDT_SPI, spi, IRQ_LEVEL_HIGH);
	/* The PL011 takes its baud clock and the bus clock; the PL031 the bus clock. */
	r |= fdt_property(fdt, "clocks", clocks, uart ? sizeof(clocks) : sizeof(clocks[0]));
	if (uart)
		r |= fdt_property(fdt, "clock-names", uart_clocks, sizeof(uart_clocks));
	else
		r |= fdt_property_string(fdt, "clock-names", "apb_pclk");
	r |= fdt_end_node(fdt);
	return r;
}

static int add_uart(void *fdt, const struct fdt_platform *b)
{
	int r;

	if (b->uart_kind == FDT_UART_PL011)
		return add_primecell(fdt, "pl011", "arm,pl011", &b->uart, b->uart_spi, true);
	r = begin_device(fdt, "uart", "ns16550a", b->uart.base, b->uart.size);
	r |= fdt_irq(fdt, GIC_FDT_SPI, b->uart_spi, IRQ_LEVEL_HIGH);
	r |= fdt_property_cell(fdt, "clock-frequency", UART_CLOCK_HZ);
	r |= fdt_end_node(fdt);
	return r;
}

/* Both CFI banks in one node, as QEMU's virt board writes them. */
static int add_flash(void *fdt, const struct fdt_region *flash)
{
	fdt64_t reg[4] = {
		cpu_to_fdt64(flash[0].base), cpu_to_fdt64(flash[0].size),
		cpu_to_fdt64(flash[1].base), cpu_to_fdt64(flash[1].size),
	};
	char node[32];
	int r = 0;

	snprintf(node, sizeof(node), "flash@%llx", (unsigned long long)flash[0].base);
	r |= fdt_begin_node(fdt, node);
	r |= fdt_property_string(fdt, "compatible", "cfi-flash");
	r |= fdt_property(fdt, "reg", reg, flash[1].size ? sizeof(reg) : sizeof(reg) / 2);
	r |= fdt_property_cell(fdt, "bank-width", 4);
	r |= fdt_end_node(fdt);
	return r;
}

static int add_virtio(void *fdt, const struct fdt_virtio_slot *slot)
{
	int r = begin_device(fdt, "virtio_mmio", "virtio,mmio", slot->base, slot->size);

	r |= fdt_irq(fdt, GIC_FDT_SPI, slot->spi, IRQ_EDGE_RISING);
	/* Guest RAM is cache-coherent with tinyvmm's and vhost's accesses. */
	r |= fdt_property(fdt, "dma-coherent", NULL, 0);
	r |= fdt_end_node(fdt);
	return r;
}

/* One "ranges" entry: PCI address = CPU address. */
static void pci_range(fdt32_t *cells, uint32_t space, uint64_t base, uint64_t size)
{
	cells[0] = cpu_to_fdt32(space);
	cells[1] = cpu_to_fdt32((uint32_t)(base >> 32));
	cells[2] = cpu_to_fdt32((uint32_t)base);
	cells[3] = cpu_to_fdt32((uint32_t)(base >> 32));
	cells[4] = cpu_to_fdt32((uint32_t)base);
	cells[5] = cpu_to_fdt32((uint32_t)(size >> 32));
	cells[6] = cpu_to_fdt32((uint32_t)size);
}

#define PCI_RANGE_CELLS		7
#define PCI_IMAP_CELLS		10	/* child addr 3, pin 1, phandle 1, parent addr 2, irq 3 */
#define PCI_IMAP_ENTRIES	16	/* 4 slots (device bits 1:0) x 4 pins */

/*
 * INTx: the standard swizzle, slot s pin p (1-4) -> line (s + p - 1) % 4, so
 * neighbouring devices spread over the four SPIs.
 */
static int add_pci_intx(void *fdt, const struct fdt_pci *pci)
{
	static const uint32_t mask[4] = { 0x1800, 0, 0, 7 };
	fdt32_t map[PCI_IMAP_ENTRIES * PCI_IMAP_CELLS], m[4];
	int r = 0;

	for (unsigned int slot = 0; slot < 4; slot++) {
		for (unsigned int pin = 1; pin <= 4; pin++) {
			fdt32_t *e = &map[(slot * 4 + pin - 1) * PCI_IMAP_CELLS];
			uint32_t cells[PCI_IMAP_CELLS] = {
				slot << 11, 0, 0, pin, FDT_PHANDLE_GIC, 0, 0, GIC_FDT_SPI,
				pci->intx_first_spi + (slot + pin - 1) % 4, IRQ_LEVEL_HIGH,
			};

			for (int i = 0; i < PCI_IMAP_CELLS; i++)
				e[i] = cpu_to_fdt32(cells[i]);
		}
	}
	for (int i = 0; i < 4; i++)
		m[i] = cpu_to_fdt32(mask[i]);
	r |= fdt_property_cell(fdt, "#interrupt-cells", 1);
	r |= fdt_property(fdt, "interrupt-map-mask", m, sizeof(m));
	r |= fdt_property(fdt, "interrupt-map", map, sizeof(map));
	return r;
}

static int add_pci(void *fdt, const struct fdt_pci *pci)
{
	fdt32_t ranges[2 * PCI_RANGE_CELLS], bus_range[2] = { 0, 0 };
	int nranges = 1, r;
	char node[48];

	if (pci->node_name) {
		snprintf(node, sizeof(node), "%s", pci->node_name);
		r = fdt_begin_node(fdt, node);
		r |= fdt_property_string(fdt, "compatible", "pci-host-ecam-generic");
		r |= fdt_reg(fdt, pci->ecam_base, pci->ecam_size);
	} else {
		r = begin_device(fdt, "pci", "pci-host-ecam-generic", pci->ecam_base,
				 pci->ecam_size);
	}

	pci_range(ranges, FDT_PCI_SPACE_MEM32, pci->mmio32_base, pci->mmio32_size);
	if (pci->mmio64_size) {
		pci_range(&ranges[PCI_RANGE_CELLS], FDT_PCI_SPACE_MEM64, pci->mmio64_base,
			  pci->mmio64_size);
		nranges = 2;
	}
	r |= fdt_property_string(fdt, "device_type", "pci");
	r |= fdt_property_cell(fdt, "#address-cells", 3);
	r |= fdt_property_cell(fdt, "#size-cells", 2);
	r |= fdt_property(fdt, "bus-range", bus_range, sizeof(bus_range));
	r |= fdt_property(fdt, "ranges", ranges, nranges * PCI_RANGE_CELLS * sizeof(fdt32_t));
	r |= fdt_property(fdt, "dma-coherent", NULL, 0);
	if (pci->msi == FDT_MSI_ITS) {
		/* Requester IDs 0-0xffff map one to one to ITS device IDs. */
		fdt32_t msi_map[4] = { 0, cpu_to_fdt32(FDT_PHANDLE_MSI), 0, cpu_to_fdt32(0x10000) };

		r |= fdt_property(fdt, "msi-map", msi_map, sizeof(msi_map));
	} else if (pci->msi == FDT_MSI_V2M) {
		r |= fdt_property_cell(fdt, "msi-parent", FDT_PHANDLE_MSI);
	}
	r |= add_pci_intx(fdt, pci);
	r |= fdt_end_node(fdt);
	return r;
}

static int add_exit_device(void *fdt, const struct fdt_region *exit_device)
{
	int r = begin_device(fdt, "exit", "tinyvmm,exit", exit_device->base, exit_device->size);

	r |= fdt_end_node(fdt);
	return r;
}

static int add_root_props(void *fdt, const struct fdt_platform *b)
{
	int r = 0;

	r |= fdt_property_string(fdt, "compatible", "linux,dummy-virt");
	r |= fdt_property_string(fdt, "model", b->model ? b->model : "tinyvmm");
	r |= fdt_property_cell(fdt, "#address-cells", 2);
	r |= fdt_property_cell(fdt, "#size-cells", 2);
	r |= fdt_property_cell(fdt, "interrupt-parent", FDT_PHANDLE_GIC);
	return r;
}

static int add_aliases(void *fdt, const struct fdt_platform *b)
{
	char path[64];
	int r = 0;

	uart_path(b, path, sizeof(path));
	r |= fdt_begin_node(fdt, "aliases");
	r |= fdt_property_string(fdt, "serial0", path);
	r |= fdt_end_node(fdt);
	return r;
}

int fdt_build(const struct fdt_params *p, void *buf, size_t size,
	      struct tvm_error *err)
{
	int r = 0;

	if (p->gic_version != 2 && p->gic_version != 3)
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "device tree: unknown GIC version %d", p->gic_version);
	if (p->pci && ((p->pci->msi == FDT_MSI_ITS && p->gic_version != 3) ||
		       (p->pci->msi == FDT_MSI_V2M && p->gic_version != 2)))
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "device tree: that MSI controller does not exist on a GICv%d",
				     p->gic_version);
	/*
	 * Stop if fdt_create fails: the later calls trust the header in @buf,
	 * which fdt_create did not write (stale bytes could send them out of
	 * bounds).
	 */
	r = size > INT_MAX ? -FDT_ERR_NOSPACE : fdt_create(buf, (int)size);
	if (r)
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "device tree does not fit in %zu bytes (libfdt: %s)",
				     size, fdt_strerror(r));
	r |= fdt_finish_reservemap(buf);
	r |= fdt_begin_node(buf, "");
	r |= add_root_props(buf, &p->board);
	r |= add_chosen(buf, p);
	r |= add_aliases(buf, &p->board);
	r |= add_memory(buf, p);
	r |= add_cpus(buf, p);
	r |= add_psci(buf);
	r |= add_gic(buf, p);
	r |= add_timer(buf, p);
	r |= add_pmu(buf, p);
	if (has_primecell(&p->board))
		r |= add_apb_clock(buf);
	if (p->board.flash[0].size)
		r |= add_flash(buf, p->board.flash);
	r |= add_uart(buf, &p->board);
	if (p->board.rtc.size)
		r |= add_primecell(buf, "pl031", "arm,pl031", &p->board.rtc, p->board.rtc_spi,
				   false);
	for (unsigned int i = 0; i < p->nvirtio; i++)
		r |= add_virtio(buf, &p->virtio[i]);
	if (p->pci)
		r |= add_pci(buf, p->pci);
	if (p->board.exit_device.size)
		r |= add_exit_device(buf, &p->board.exit_device);
	r |= fdt_end_node(buf);
	r |= fdt_finish(buf);
	/* libfdt errors are negative; OR-ing keeps "some step failed". */
	if (r)
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "device tree does not fit in %zu bytes (libfdt: %s)",
				     size, fdt_strerror(r < 0 ? r : -FDT_ERR_NOSPACE));
	if (fdt_pack(buf))
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "device tree could not be packed");
	return 0;
}
