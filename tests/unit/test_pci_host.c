// SPDX-License-Identifier: MIT
/* ECAM host bridge: decode, empty slots, BAR dispatch through the MMIO bus. */
#include <criterion/criterion.h>
#include <string.h>

#include "bus_access.h"
#include "devices/mmio_bus.h"
#include "devices/pci/pci_host.h"

#define ECAM	0x3ff00000ULL
#define MMIO32	0x40000000ULL
#define MMIO64	0x8000000000ULL

struct fn {
	struct pci_config cfg;
	unsigned int calls, bar, len;
	uint64_t off;
	bool is_write;
	uint8_t fill;
};

static struct pci_host host;
static struct mmio_bus bus;
static struct fn f3, f7;

static void bar_access(void *opaque, unsigned int bar, uint64_t off, uint8_t *data,
		       unsigned int len, bool is_write)
{
	struct fn *f = opaque;

	f->calls++;
	f->bar = bar;
	f->off = off;
	f->len = len;
	f->is_write = is_write;
	if (!is_write)
		memset(data, f->fill, len);
}

static void make_fn(struct fn *f, uint16_t device, uint8_t fill)
{
	struct pci_config_ids ids = { .vendor = 0x1af4, .device = device, .class_code = 0x020000 };

	memset(f, 0, sizeof(*f));
	f->fill = fill;
	pci_config_init(&f->cfg, &ids, NULL, NULL);
	cr_assert_eq(pci_config_add_bar(&f->cfg, 0, PCI_BAR_MEM32, 0x10000, false), 0);
	cr_assert_eq(pci_config_add_bar(&f->cfg, 2, PCI_BAR_MEM64, 0x100000, true), 0);
}

static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	pci_host_init(&host, ECAM, MMIO32, 0x40000000ULL, MMIO64, 1ULL << 39);
	make_fn(&f3, 0x1041, 0x33);
	make_fn(&f7, 0x1042, 0x77);
	cr_assert_eq(pci_host_add(&host, 3, &f3.cfg, bar_access, &f3), 0);
	cr_assert_eq(pci_host_add(&host, 7, &f7.cfg, bar_access, &f7), 0);
	cr_assert_eq(pci_host_register(&host, &bus), 0);
}

static void teardown(void)
{
	pci_host_destroy(&host);
}

TestSuite(pci_host, .init = setup, .fini = teardown);

static uint64_t ecam(unsigned int dev, unsigned int fn, unsigned int reg)
{
	return ECAM + ((uint64_t)dev << 15) + ((uint64_t)fn << 12) + reg;
}

static uint32_t rd(uint64_t addr, unsigned int len)
{
	return bus_rd(&bus, addr, len);
}

static void wr(uint64_t addr, unsigned int len, uint64_t v)
{
	bus_wr(&bus, addr, len, v);
}

Test(pci_host, add_rejects_bad_slots)
{
	struct fn x;

	make_fn(&x, 1, 0);
	cr_assert_eq(pci_host_add(&host, 3, &x.cfg, bar_access, &x), -1, "taken");
	cr_assert_eq(pci_host_add(&host, 32, &x.cfg, bar_access, &x), -1);
	cr_assert_eq(pci_host_add(&host, 4, NULL, bar_access, &x), -1);
	cr_assert_eq(pci_host_requester_id(3), 0x18);
}

Test(pci_host, ecam_decode)
{
	cr_assert_eq(rd(ecam(3, 0, 0), 4), 0x10411af4);
	cr_assert_eq(rd(ecam(7, 0, 0), 4), 0x10421af4);
	cr_assert_eq(rd(ecam(7, 0, 2), 2), 0x1042);
	cr_assert_eq(rd(ecam(7, 0, 0xb), 1), 0x02);
	/* Empty slots and other functions read all-ones (enumeration skips them). */
	cr_assert_eq(rd(ecam(0, 0, 0), 4), 0xffffffff);
	cr_assert_eq(rd(ecam(31, 0, 0), 2), 0xffff);
	cr_assert_eq(rd(ecam(3, 1, 0), 4), 0xffffffff);
	cr_assert_eq(rd(ecam(3, 7, 0), 1), 0xff);
	/* Extended config space of a present function reads 0. */
	cr_assert_eq(rd(ecam(3, 0, 0x100), 4), 0);
	/* Writes reach the right function only. */
	wr(ecam(3, 0, PCI_CFG_INT_LINE), 1, 0x21);
	cr_assert_eq(rd(ecam(3, 0, PCI_CFG_INT_LINE), 1), 0x21);
	cr_assert_eq(rd(ecam(7, 0, PCI_CFG_INT_LINE), 1), 0);
	wr(ecam(0, 0, PCI_CFG_INT_LINE), 1, 0x21);	/* dropped */
	wr(ecam(3, 1, PCI_CFG_INT_LINE), 1, 0x22);	/* dropped, fn 1 */
	cr_assert_eq(rd(ecam(3, 0, PCI_CFG_INT_LINE), 1), 0x21);
}

Test(pci_host, ecam_odd_accesses)
{
	uint8_t b[8];

	/* A 64-bit access is two dwords. */
	memset(b, 0, 8);
	mmio_bus_access(&bus, ecam(3, 0, 0), b, 8, false);
	cr_assert_eq(b[0], 0xf4);
	cr_assert_eq(b[4], 0x00, "command low byte");
	cr_assert_eq(b[6], 0x00);
	/* Running into the next function's space: all-ones, write dropped. */
	cr_assert_eq(rd(ecam(3, 0, 0xffe), 4), 0xffffffff);
	wr(ecam(2, 0, 0xffe), 4, 0);
	cr_assert_eq(rd(ecam(3, 0, 0), 4), 0x10411af4);
	/* Other widths. */
	memset(b, 0, 8);
	mmio_bus_access(&bus, ecam(3, 0, 0), b, 3, false);
	cr_assert_eq(b[0], 0xff);
	cr_assert_eq(b[2], 0xff);
	/* Last byte of ECAM; right after it the 32-bit window starts. */
	cr_assert_eq(rd(ECAM + PCI_ECAM_BUS_SIZE - 1, 1), 0xff);
	cr_assert_eq(host.unclaimed, 0);
	cr_assert_eq(rd(ECAM + PCI_ECAM_BUS_SIZE, 1), 0xff, "no BAR there: master abort");
	cr_assert_eq(host.unclaimed, 1);
}

Test(pci_host, bar_dispatch)
{
	/* Slot 3: BAR0 at 0x40000000, BAR2 (64-bit) at 0x8000100000. */
	wr(ecam(3, 0, 0x10), 4, 0x40000000);
	wr(ecam(3, 0, 0x18), 4, 0x00100000);
	wr(ecam(3, 0, 0x1c), 4, 0x80);
	/* Slot 7: BAR0 at 0x40010000. */
	wr(ecam(7, 0, 0x10), 4, 0x40010000);
	/* Decoding off: master abort, all-ones. */
	cr_assert_eq(rd(0x40000010, 4), 0xffffffff);
	cr_assert_eq(f3.calls, 0);
	cr_assert_eq(host.unclaimed, 1);
	wr(ecam(3, 0, PCI_CFG_COMMAND), 2, PCI_CMD_MEMORY);
	wr(ecam(7, 0, PCI_CFG_COMMAND), 2, PCI_CMD_MEMORY);
	cr_assert_eq(rd(0x40000010, 4), 0x33333333);
	cr_assert_eq(f3.calls, 1);
	cr_assert_eq(f3.bar, 0);
	cr_assert_eq(f3.off, 0x10);
	cr_assert_eq(rd(0x4001fff8, 4), 0x77777777);
	cr_assert_eq(f7.bar, 0);
	cr_assert_eq(f7.off, 0xfff8);
	wr(0x8000100008ULL, 8, 0x1234);
	cr_assert_eq(f3.calls, 2);
	cr_assert_eq(f3.bar, 2);
	cr_assert_eq(f3.off, 8);
	cr_assert_eq(f3.len, 8);
	cr_assert(f3.is_write);
	/* Between BARs: nobody. */
	cr_assert_eq(rd(0x40020000, 4), 0xffffffff);
	cr_assert_eq(host.unclaimed, 2);
	/* Moving BAR0 of slot 7: the old place is gone. */
	wr(ecam(7, 0, 0x10), 4, 0x40030000);
	cr_assert_eq(rd(0x40010000, 4), 0xffffffff);
	cr_assert_eq(rd(0x40030000, 4), 0x77777777);
}
