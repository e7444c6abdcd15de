// SPDX-License-Identifier: MIT
/* PCI type-0 config space: header fields, BAR sizing, capability list, odd accesses. */
#include <criterion/criterion.h>
#include <string.h>

#include "devices/pci/pci_config.h"

static struct pci_config cfg;

struct events {
	unsigned int moved, decode, cap_writes;
	unsigned int last_bar;
	uint64_t last_old, last_new;
	bool last_enabled;
	unsigned int last_cap, last_off, last_len, cap_reads;
};

static struct events ev;

static void on_moved(void *opaque, unsigned int bar, uint64_t old_addr, uint64_t new_addr)
{
	struct events *e = opaque;

	e->moved++;
	e->last_bar = bar;
	e->last_old = old_addr;
	e->last_new = new_addr;
}

static void on_decode(void *opaque, bool enabled)
{
	struct events *e = opaque;

	e->decode++;
	e->last_enabled = enabled;
}

static void on_cap(void *opaque, unsigned int cap, unsigned int off, unsigned int len)
{
	struct events *e = opaque;

	e->cap_writes++;
	e->last_cap = cap;
	e->last_off = off;
	e->last_len = len;
}

static void on_cap_read(void *opaque, unsigned int cap, unsigned int off, unsigned int len)
{
	struct events *e = opaque;

	e->cap_reads++;
	/* Refresh the capability's byte 3 as a device would before a read. */
	pci_config_set(&cfg, cap + 3, 1, 0x40 + e->cap_reads);
}

static const struct pci_config_ops ops = { .bar_moved = on_moved, .decode_changed = on_decode };

static const struct pci_config_ids ids = {
	.vendor = 0x1af4, .device = 0x1041, .subsys_vendor = 0x1af4, .subsys_id = 0x0001,
	.revision = 0x01, .class_code = 0x020000, .int_pin = 1,
};

static void setup(void)
{
	memset(&ev, 0, sizeof(ev));
	pci_config_init(&cfg, &ids, &ops, &ev);
}

TestSuite(pci_config, .init = setup);

Test(pci_config, header_fields)
{
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_VENDOR_ID, 2), 0x1af4);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_DEVICE_ID, 2), 0x1041);
	cr_assert_eq(pci_config_read(&cfg, 0, 4), 0x10411af4);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_REVISION, 1), 0x01);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_CLASS_PROG, 1), 0x00);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_CLASS_DEVICE, 2), 0x0200);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_REVISION, 4), 0x02000001);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_HEADER_TYPE, 1), 0);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_SUBSYS_VENDOR, 2), 0x1af4);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_SUBSYS_ID, 2), 0x0001);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_INT_PIN, 1), 1);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_COMMAND, 2), 0);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_STATUS, 2), 0, "no capabilities yet");
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_ROM_ADDRESS, 4), 0);
}

Test(pci_config, read_only_fields_ignore_writes)
{
	pci_config_write(&cfg, 0, 4, 0xdeadbeef);
	pci_config_write(&cfg, PCI_CFG_REVISION, 4, 0xffffffff);
	pci_config_write(&cfg, PCI_CFG_HEADER_TYPE, 1, 0x80);
	pci_config_write(&cfg, PCI_CFG_SUBSYS_VENDOR, 4, 0);
	pci_config_write(&cfg, PCI_CFG_INT_PIN, 1, 4);
	pci_config_write(&cfg, PCI_CFG_STATUS, 2, 0xffff);
	/* Linux's ROM sizing: all-ones reads back 0, i.e. no ROM. */
	pci_config_write(&cfg, PCI_CFG_ROM_ADDRESS, 4, 0xfffff800);
	cr_assert_eq(pci_config_read(&cfg, 0, 4), 0x10411af4);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_REVISION, 4), 0x02000001);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_HEADER_TYPE, 1), 0);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_SUBSYS_VENDOR, 4), 0x00011af4);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_INT_PIN, 1), 1);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_STATUS, 2), 0);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_ROM_ADDRESS, 4), 0);
}

Test(pci_config, command_register_writable_bits)
{
	pci_config_write(&cfg, PCI_CFG_COMMAND, 2, 0xffff);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_COMMAND, 2),
		     PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_PARITY | PCI_CMD_SERR |
		     PCI_CMD_INTX_DISABLE, "I/O space and reserved bits stay 0");
	cr_assert(pci_config_memory_enabled(&cfg));
	cr_assert_eq(ev.decode, 1);
	cr_assert(ev.last_enabled);
	pci_config_write(&cfg, PCI_CFG_COMMAND, 1, PCI_CMD_MASTER);
	cr_assert_not(pci_config_memory_enabled(&cfg));
	cr_assert_eq(ev.decode, 2);
	cr_assert_not(ev.last_enabled);
	/* Same state again: no callback. */
	pci_config_write(&cfg, PCI_CFG_COMMAND, 2, PCI_CMD_MASTER);
	cr_assert_eq(ev.decode, 2);
	/* Interrupt line and cache line size are plain read/write. */
	pci_config_write(&cfg, PCI_CFG_INT_LINE, 1, 0x2a);
	pci_config_write(&cfg, PCI_CFG_CACHE_LINE, 1, 0x10);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_INT_LINE, 1), 0x2a);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_CACHE_LINE, 1), 0x10);
}

Test(pci_config, bar_validation)
{
	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_MEM32, 0x8000, false), -1, "below 64 KiB");
	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_MEM32, 0x30000, false), -1, "not pow2");
	cr_assert_eq(pci_config_add_bar(&cfg, 6, PCI_BAR_MEM32, 0x10000, false), -1);
	cr_assert_eq(pci_config_add_bar(&cfg, 5, PCI_BAR_MEM64, 0x10000, false), -1, "needs 2 regs");
	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_MEM32, 1ULL << 32, false), -1);
	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_UNUSED, 0x10000, false), -1);
	cr_assert_eq(pci_config_add_bar(&cfg, 2, PCI_BAR_MEM64, 0x10000, true), 0);
	cr_assert_eq(pci_config_add_bar(&cfg, 2, PCI_BAR_MEM32, 0x10000, false), -1, "taken");
	cr_assert_eq(pci_config_add_bar(&cfg, 3, PCI_BAR_MEM32, 0x10000, false), -1, "upper half");
	cr_assert_eq(pci_config_add_bar(&cfg, 1, PCI_BAR_MEM64, 0x10000, false), -1, "overlaps");
	cr_assert_eq(pci_config_add_bar(&cfg, 1, PCI_BAR_MEM32, 0x10000, false), 0);
}

/* Linux's __pci_read_base(): save, write ~0, read the mask, restore. */
static uint64_t size_bar(unsigned int bar, bool is64, uint32_t *flags)
{
	unsigned int off = PCI_CFG_BAR0 + 4 * bar;
	uint32_t lo = pci_config_read(&cfg, off, 4), hi = 0, mlo, mhi = 0xffffffff;
	uint64_t mask;

	pci_config_write(&cfg, off, 4, 0xffffffff);
	mlo = pci_config_read(&cfg, off, 4);
	pci_config_write(&cfg, off, 4, lo);
	if (is64) {
		hi = pci_config_read(&cfg, off + 4, 4);
		pci_config_write(&cfg, off + 4, 4, 0xffffffff);
		mhi = pci_config_read(&cfg, off + 4, 4);
		pci_config_write(&cfg, off + 4, 4, hi);
	}
	*flags = mlo & PCI_BAR_FLAG_BITS;
	mask = ((uint64_t)mhi << 32) | (mlo & ~(uint32_t)PCI_BAR_FLAG_BITS);
	if (!is64)
		mask |= 0xffffffff00000000ULL;
	return ~mask + 1;
}

Test(pci_config, bar_sizing_32bit)
{
	uint32_t flags;

	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_MEM32, 0x40000, false), 0);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0, 4), 0, "memory, 32-bit, not prefetchable");
	cr_assert_eq(size_bar(0, false, &flags), 0x40000);
	cr_assert_eq(flags, 0);
	/* The raw mask as Linux sees it. */
	pci_config_write(&cfg, PCI_CFG_BAR0, 4, 0xffffffff);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0, 4), 0xfffc0000);
	/* Programming: the low (size) bits cannot be set. */
	pci_config_write(&cfg, PCI_CFG_BAR0, 4, 0x40012345);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0, 4), 0x40000000);
	cr_assert_eq(cfg.bars[0].addr, 0x40000000);
	cr_assert_eq(ev.last_bar, 0);
	cr_assert_eq(ev.last_new, 0x40000000);
	/* Unused BARs read 0 and size to nothing. */
	pci_config_write(&cfg, PCI_CFG_BAR0 + 4, 4, 0xffffffff);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0 + 4, 4), 0);
}

Test(pci_config, bar_sizing_64bit)
{
	uint32_t flags;

	cr_assert_eq(pci_config_add_bar(&cfg, 2, PCI_BAR_MEM64, 1ULL << 33, true), 0);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0 + 8, 4),
		     PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH);
	cr_assert_eq(size_bar(2, true, &flags), 1ULL << 33);
	cr_assert_eq(flags, PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH);
	pci_config_write(&cfg, PCI_CFG_BAR0 + 8, 4, 0xffffffff);
	pci_config_write(&cfg, PCI_CFG_BAR0 + 12, 4, 0xffffffff);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0 + 8, 4), 0x0000000c);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0 + 12, 4), 0xfffffffe);
	/* Both halves programmed: a 64-bit address above 4 GiB. */
	pci_config_write(&cfg, PCI_CFG_BAR0 + 8, 4, 0);
	pci_config_write(&cfg, PCI_CFG_BAR0 + 12, 4, 0x80);
	cr_assert_eq(cfg.bars[2].addr, 0x8000000000ULL);
	cr_assert_eq(ev.last_bar, 2);
	cr_assert_eq(ev.last_new, 0x8000000000ULL);
}

Test(pci_config, bar_move_callback_and_decode)
{
	uint64_t off = 0;

	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_MEM32, 0x10000, false), 0);
	pci_config_write(&cfg, PCI_CFG_BAR0, 4, 0x40010000);
	cr_assert_eq(ev.moved, 1);
	cr_assert_eq(ev.last_old, 0);
	pci_config_write(&cfg, PCI_CFG_BAR0, 4, 0x40010000);
	cr_assert_eq(ev.moved, 1, "same address: no callback");
	/* Not decoding until Command.Memory is set. */
	cr_assert_eq(pci_config_find_bar(&cfg, 0x40010000, 4, &off), -1);
	pci_config_write(&cfg, PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY);
	cr_assert_eq(pci_config_find_bar(&cfg, 0x40010010, 4, &off), 0);
	cr_assert_eq(off, 0x10);
	cr_assert_eq(pci_config_find_bar(&cfg, 0x4001fffc, 4, &off), 0);
	cr_assert_eq(pci_config_find_bar(&cfg, 0x4001fffe, 4, &off), -1, "runs past the BAR");
	cr_assert_eq(pci_config_find_bar(&cfg, 0x40020000, 1, &off), -1);
	cr_assert_eq(pci_config_find_bar(&cfg, 0x4000ffff, 1, &off), -1);
	/* A byte write moves the BAR too. */
	pci_config_write(&cfg, PCI_CFG_BAR0 + 3, 1, 0x50);
	cr_assert_eq(cfg.bars[0].addr, 0x50010000);
	cr_assert_eq(ev.last_old, 0x40010000);
	cr_assert_eq(ev.moved, 2);
}

Test(pci_config, bar_near_top_of_address_space)
{
	uint64_t off;

	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_MEM64, 0x10000, false), 0);
	pci_config_write(&cfg, PCI_CFG_BAR0, 4, 0xffffffff);
	pci_config_write(&cfg, PCI_CFG_BAR0 + 4, 4, 0xffffffff);
	pci_config_write(&cfg, PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY);
	cr_assert_eq(cfg.bars[0].addr, 0xffffffffffff0000ULL);
	cr_assert_eq(pci_config_find_bar(&cfg, 0xfffffffffffffffcULL, 4, &off), 0);
	cr_assert_eq(off, 0xfffc);
	cr_assert_eq(pci_config_find_bar(&cfg, 0xfffffffffffffffcULL, 8, &off), -1);
	cr_assert_eq(pci_config_find_bar(&cfg, 0, 4, &off), -1, "no wrap-around to 0");
}

/* Linux's pci_find_capability(): status bit, pointer, walk with a TTL. */
static int linux_find_cap(uint8_t id)
{
	unsigned int pos, ttl = 48;

	if (!(pci_config_read(&cfg, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = pci_config_read(&cfg, PCI_CFG_CAP_PTR, 1);
	while (ttl--) {
		uint16_t ent;

		if (pos < 0x40)
			break;
		pos &= ~3U;
		ent = (uint16_t)pci_config_read(&cfg, pos, 2);
		if ((ent & 0xff) == 0xff)
			break;
		if ((ent & 0xff) == id)
			return (int)pos;
		pos = ent >> 8;
	}
	return 0;
}

Test(pci_config, capability_chain_as_linux_walks_it)
{
	int a, b, c;

	cr_assert_eq(linux_find_cap(0x11), 0);
	a = pci_config_add_cap(&cfg, 0x09, 17, on_cap, &ev);	/* odd length: next is aligned */
	b = pci_config_add_cap(&cfg, 0x11, 12, NULL, NULL);
	c = pci_config_add_cap(&cfg, 0x09, 16, on_cap, &ev);
	cr_assert_eq(a, 0x40);
	cr_assert_eq(b, 0x54);
	cr_assert_eq(c, 0x60);
	cr_assert(pci_config_read(&cfg, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_CAP_PTR, 1), 0x40);
	cr_assert_eq(pci_config_read(&cfg, 0x40, 2), 0x5409);
	cr_assert_eq(pci_config_read(&cfg, 0x54, 2), 0x6011);
	cr_assert_eq(pci_config_read(&cfg, 0x60, 2), 0x0009, "last: next 0");
	cr_assert_eq(linux_find_cap(0x11), 0x54);
	cr_assert_eq(linux_find_cap(0x09), 0x40);
	cr_assert_eq(linux_find_cap(0x05), 0);
	/* Headers are read-only: the guest cannot make the list loop. */
	pci_config_write(&cfg, 0x54, 2, 0x4011);
	pci_config_write(&cfg, PCI_CFG_CAP_PTR, 1, 0x54);
	cr_assert_eq(pci_config_read(&cfg, 0x54, 2), 0x6011);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_CAP_PTR, 1), 0x40);
}

Test(pci_config, capability_body_masks_and_hooks)
{
	int a = pci_config_add_cap(&cfg, 0x11, 12, on_cap, &ev);

	cr_assert_eq(a, 0x40);
	pci_config_set(&cfg, 0x42, 2, 0x0003);
	pci_config_set_wmask(&cfg, 0x42, 2, 0xc000);
	pci_config_write(&cfg, 0x42, 2, 0xffff);
	cr_assert_eq(pci_config_read(&cfg, 0x42, 2), 0xc003);
	cr_assert_eq(ev.cap_writes, 1);
	cr_assert_eq(ev.last_cap, 0x40);
	cr_assert_eq(ev.last_off, 0x42);
	cr_assert_eq(ev.last_len, 2);
	/* A write overlapping the capability's start still tells its owner. */
	pci_config_write(&cfg, 0x3e, 4, 0);
	cr_assert_eq(ev.cap_writes, 2);
	cr_assert_eq(pci_config_read(&cfg, 0x40, 2), 0x0011, "header kept");
	pci_config_write(&cfg, 0x40, 4, 0x3fff0000);
	cr_assert_eq(pci_config_read(&cfg, 0x42, 2), 0x0003);
	cr_assert_eq(ev.cap_writes, 3);
	/* Outside it: no hook. */
	pci_config_write(&cfg, 0x4c, 4, 0);
	pci_config_write(&cfg, PCI_CFG_COMMAND, 2, 0);
	cr_assert_eq(ev.cap_writes, 3);
	/* Read hooks: only for reads overlapping the capability, before the read. */
	cr_assert_eq(pci_config_cap_on_read(&cfg, 0x44, on_cap_read), -1, "no cap there");
	cr_assert_eq(pci_config_cap_on_read(&cfg, 0x40, on_cap_read), 0);
	cr_assert_eq(pci_config_read(&cfg, 0x43, 1), 0x41);
	cr_assert_eq(pci_config_read(&cfg, 0x40, 4), 0x42030011);
	pci_config_read(&cfg, 0x4c, 4);
	pci_config_read(&cfg, 0x3c, 4);
	cr_assert_eq(ev.cap_reads, 2);
	pci_config_read(&cfg, 0x3e, 4);
	cr_assert_eq(ev.cap_reads, 3);
}

Test(pci_config, capability_space_runs_out)
{
	int n = 0;

	while (pci_config_add_cap(&cfg, 0x09, 64, NULL, NULL) >= 0)
		n++;
	cr_assert_eq(n, 3, "0x40, 0x80, 0xc0; then no room");
	cr_assert_eq(pci_config_add_cap(&cfg, 0x09, 1, NULL, NULL), -1, "too short");
}

Test(pci_config, odd_and_out_of_range_accesses)
{
	/* Unaligned reads assemble the bytes in order. */
	cr_assert_eq(pci_config_read(&cfg, 1, 2), 0x411a);
	cr_assert_eq(pci_config_read(&cfg, 3, 4), 0x00000010);
	/* Extended space and beyond read 0; writes there are dropped. */
	cr_assert_eq(pci_config_read(&cfg, 0x100, 4), 0);
	cr_assert_eq(pci_config_read(&cfg, 0xffc, 4), 0);
	cr_assert_eq(pci_config_read(&cfg, 0xfff, 1), 0);
	cr_assert_eq(pci_config_read(&cfg, 0xfe, 4), 0, "straddles the header end");
	cr_assert_eq(pci_config_read(&cfg, 0xffffffffU, 4), 0);
	pci_config_write(&cfg, 0x100, 4, 0xffffffff);
	pci_config_write(&cfg, 0xfffffffeU, 4, 0xffffffff);
	pci_config_write(&cfg, 0xfe, 4, 0xffffffff);
	/* Bad widths: reads all-ones, writes nothing. */
	cr_assert_eq(pci_config_read(&cfg, 0, 3), 0xffffffff);
	cr_assert_eq(pci_config_read(&cfg, 0, 8), 0xffffffff);
	pci_config_write(&cfg, PCI_CFG_COMMAND, 3, 0xffffff);
	pci_config_write(&cfg, PCI_CFG_COMMAND, 0, 0xffffff);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_COMMAND, 2), 0);
	cr_assert_eq(pci_config_read(&cfg, 0, 4), 0x10411af4);
}

static int pin_level = -1;
static unsigned int pin_calls;

static void on_pin(void *opaque, bool level)
{
	cr_assert_eq(opaque, &ev);
	pin_level = level;
	pin_calls++;
}

/* PCI 3.0 §6.2.2-3: Status.INTERRUPT is the condition; INTX_DISABLE gates only the pin. */
Test(pci_config, intx_disable_gates_the_pin_and_status_shows_the_condition)
{
	pin_level = -1;
	pin_calls = 0;
	pci_config_set_intx_pin(&cfg, on_pin, &ev);
	pci_config_intx(&cfg, true);
	cr_assert_eq(pin_level, 1);
	cr_assert(pci_config_read(&cfg, PCI_CFG_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cr_assert(pci_config_read(&cfg, PCI_CFG_COMMAND, 4) & (PCI_STATUS_INTERRUPT << 16));
	/* The driver disables INTx (Linux does when it enables MSI-X): the pin drops. */
	pci_config_write(&cfg, PCI_CFG_COMMAND, 2, PCI_CMD_INTX_DISABLE);
	cr_assert_eq(pin_level, 0, "INTX_DISABLE ignored");
	cr_assert(pci_config_read(&cfg, PCI_CFG_STATUS, 1) & PCI_STATUS_INTERRUPT,
		  "the condition is still there");
	/* Raised again while disabled: still low. */
	pci_config_intx(&cfg, true);
	cr_assert_eq(pin_level, 0);
	/* Re-enabled with the condition still set: the pin comes back (a byte write). */
	pci_config_write(&cfg, PCI_CFG_COMMAND + 1, 1, 0);
	cr_assert_eq(pin_level, 1);
	pci_config_intx(&cfg, false);
	cr_assert_eq(pin_level, 0);
	cr_assert_not(pci_config_read(&cfg, PCI_CFG_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* Status stays read-only to the guest. */
	pci_config_write(&cfg, PCI_CFG_STATUS, 2, PCI_STATUS_INTERRUPT);
	cr_assert_not(pci_config_read(&cfg, PCI_CFG_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cr_assert_eq(pin_calls, 4, "the pin is told only of changes");
}

/*
 * A reboot: what the last kernel wrote (command, BARs, cache line size,
 * INT_LINE, a writable capability field) is gone, read-only fields stay, and
 * the hooks hear of it as of guest writes.
 */
Test(pci_config, power_on_reset_clears_what_the_guest_wrote)
{
	int cap = pci_config_add_cap(&cfg, 0x09, 8, NULL, NULL);

	cr_assert_geq(cap, 0x40);
	pci_config_set(&cfg, cap + 2, 1, 0x5a);	/* a read-only capability byte */
	pci_config_set_wmask(&cfg, cap + 4, 4, 0xffffffff);
	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_MEM32, 0x10000, false), 0);
	cr_assert_eq(pci_config_add_bar(&cfg, 2, PCI_BAR_MEM64, 0x100000, true), 0);
	pci_config_set_intx_pin(&cfg, on_pin, &ev);
	pci_config_write(&cfg, PCI_CFG_BAR0, 4, 0x50000000);
	pci_config_write(&cfg, PCI_CFG_BAR0 + 8, 4, 0x00100000);
	pci_config_write(&cfg, PCI_CFG_BAR0 + 12, 4, 0x80);
	pci_config_write(&cfg, PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_MASTER |
					     PCI_CMD_INTX_DISABLE);
	pci_config_write(&cfg, PCI_CFG_CACHE_LINE, 1, 0x10);
	pci_config_write(&cfg, PCI_CFG_INT_LINE, 1, 0x2b);
	pci_config_write(&cfg, cap + 4, 4, 0x12345678);
	pci_config_intx(&cfg, true);
	memset(&ev, 0, sizeof(ev));

	pci_config_reset(&cfg);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_COMMAND, 2), 0);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_CACHE_LINE, 1), 0, "cache line size survived");
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_INT_LINE, 1), 0, "INT_LINE survived");
	cr_assert_eq(pci_config_read(&cfg, cap + 4, 4), 0, "a capability register survived");
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0, 4), 0, "BAR 0 still assigned");
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0 + 8, 4), PCI_BAR_MEM_TYPE_64 |
								PCI_BAR_MEM_PREFETCH);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0 + 12, 4), 0);
	cr_assert_eq(cfg.bars[0].addr, 0);
	cr_assert_eq(cfg.bars[2].addr, 0);
	cr_assert_eq(ev.moved, 2, "the BARs' owner was not told they left");
	cr_assert_eq(ev.decode, 1);
	cr_assert_not(ev.last_enabled);
	/* Read-only contents are the power-on ones already. */
	cr_assert_eq(pci_config_read(&cfg, 0, 4), 0x10411af4);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_INT_PIN, 1), 1);
	cr_assert_eq(pci_config_read(&cfg, cap, 4), 0x5a0009);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_STATUS, 2), PCI_STATUS_CAP_LIST,
		     "Status.INTERRUPT survived");
	/* INTx condition gone; a new one drives the pin (INTX_DISABLE was cleared). */
	cr_assert_neq(pin_level, 1);
	pci_config_intx(&cfg, true);
	cr_assert_eq(pin_level, 1);
	/* Sizing works as at the first boot. */
	pci_config_write(&cfg, PCI_CFG_BAR0, 4, 0xffffffff);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_BAR0, 4), 0xffff0000);
}
