// SPDX-License-Identifier: MIT
/*
 * PCI config space, BAR dispatch and MSI-X (devices/pci/) driven by a hostile
 * guest through the ECAM window and the MMIO windows of a real pci_host.
 * Slot 3 has a 32-bit BAR0 holding the MSI-X table (offset 0) and PBA
 * (0x800) and a 64-bit BAR2; slot 5 has one 32-bit BAR. Input:
 *
 *   u8 nvectors, u8 nops, nops x {u8 kind, u32 offset, u32 value}
 *
 * kind bit 0: write; bits 1-2: size 1, 2, 4 or 8; bits 3-5: target
 * 0: ECAM of slot 3 (offset % 4 KiB), 1: anywhere in ECAM (% 1 MiB),
 * 2: 32-bit window (% 256 KiB), 3: 64-bit window (% 256 KiB),
 * 4: the device fires vector (offset % 80), 5+: ECAM of slot 5.
 * kind bits 6-7, when not 0, replace the access: 1: the backend holds a
 * message for vector offset % nvectors (value bit 0: or no longer), as
 * vhost's signal in a masked vector's eventfd; 2: slot 3's INTx condition
 * becomes value bit 0; 3: a reboot (msix_reset, pci_config_reset of both
 * functions), after which config space must be exactly as at power-on.
 */
#include "devices/mmio_bus.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci_host.h"
#include "fuzz_common.h"
#include "vmm/arm64/layout.h"

#define WINDOW_SPAN	0x40000

static struct mmio_bus bus;
static struct pci_host host;
static struct pci_config cfg3, cfg5;
static struct msix mx;
static bool reported_masked[MSIX_MAX_VECTORS];
static bool held[MSIX_MAX_VECTORS];	/* messages the backend holds (vhost's) */
static bool pin3;			/* slot 3's INTx pin */
static uint8_t power_on3[PCI_CFG_HDR_SIZE], power_on5[PCI_CFG_HDR_SIZE];

static bool masked_now(const struct msix *m, unsigned int v)
{
	return !m->enabled || m->function_masked || (m->table[v].ctrl & MSIX_ENTRY_MASKED);
}

static void on_changed(void *opaque, unsigned int v, struct msix_msg msg, bool masked)
{
	FZ_CHECK(v < mx.nvectors);
	FZ_CHECK(masked == masked_now(&mx, v));
	FZ_CHECK(!(msg.addr & 3));
	reported_masked[v] = masked;
	if (!masked)
		held[v] = false;	/* an attached irqfd takes what waited */
}

static void on_deliver(void *opaque, unsigned int v, struct msix_msg msg)
{
	FZ_CHECK(v < mx.nvectors);
	FZ_CHECK(!masked_now(&mx, v));	/* never deliver a masked vector */
}

static bool on_backend_pending(void *opaque, unsigned int v)
{
	FZ_CHECK(v < mx.nvectors && masked_now(&mx, v));	/* asked only of masked vectors */
	return held[v];
}

static void on_discard(void *opaque, unsigned int v)
{
	FZ_CHECK(v < mx.nvectors && masked_now(&mx, v));
	held[v] = false;
}

static void on_settled(void *opaque)
{
	FZ_CHECK(pthread_mutex_trylock(&mx.lock) == 0);	/* never under the MSI-X lock */
	pthread_mutex_unlock(&mx.lock);
}

static void on_pin(void *opaque, bool level)
{
	FZ_CHECK(level != pin3);	/* told only of changes */
	pin3 = level;
}

static const struct msix_ops mops = {
	.vector_changed = on_changed, .deliver = on_deliver, .settled = on_settled,
	.backend_pending = on_backend_pending, .discard_pending = on_discard,
};

static void bar_access3(void *opaque, unsigned int bar, uint64_t off, uint8_t *data,
			unsigned int len, bool is_write)
{
	FZ_CHECK(bar == 0 || bar == 2);
	FZ_CHECK(off < cfg3.bars[bar].size && len <= cfg3.bars[bar].size - off);
	if (bar == 0 && msix_bar_access(&mx, bar, off, data, len, is_write))
		return;
	if (!is_write)
		memset(data, 0, len);
}

static void bar_access5(void *opaque, unsigned int bar, uint64_t off, uint8_t *data,
			unsigned int len, bool is_write)
{
	FZ_CHECK(bar == 1 && off < cfg5.bars[1].size && len <= cfg5.bars[1].size - off);
	if (!is_write)
		memset(data, 0x55, len);
}

static void setup(unsigned int nvectors)
{
	struct pci_config_ids ids = { .vendor = 0x1af4, .device = 0x1041, .class_code = 0x020000,
				      .int_pin = 1 };

	memset(&bus, 0, sizeof(bus));
	pci_host_init(&host, LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_MMIO32_BASE, LAYOUT_PCI_MMIO32_SIZE,
		      LAYOUT_PCI_MMIO64_BASE, LAYOUT_PCI_MMIO64_SIZE);
	pci_config_init(&cfg3, &ids, NULL, NULL);
	FZ_CHECK(!pci_config_add_bar(&cfg3, 0, PCI_BAR_MEM32, 0x10000, false));
	FZ_CHECK(!pci_config_add_bar(&cfg3, 2, PCI_BAR_MEM64, 0x10000, true));
	FZ_CHECK(!msix_init(&mx, &cfg3, nvectors, 0, 0, 0, 0x800, &mops, NULL));
	ids.device = 0x1042;
	pci_config_init(&cfg5, &ids, NULL, NULL);
	FZ_CHECK(!pci_config_add_bar(&cfg5, 1, PCI_BAR_MEM32, 0x20000, false));
	FZ_CHECK(!pci_host_add(&host, 3, &cfg3, bar_access3, NULL));
	FZ_CHECK(!pci_host_add(&host, 5, &cfg5, bar_access5, NULL));
	FZ_CHECK(!pci_host_register(&host, &bus));
	for (unsigned int v = 0; v < MSIX_MAX_VECTORS; v++) {
		reported_masked[v] = true;
		held[v] = false;
	}
	pin3 = false;
	pci_config_set_intx_pin(&cfg3, on_pin, NULL);
	memcpy(power_on3, cfg3.regs, sizeof(power_on3));
	memcpy(power_on5, cfg5.regs, sizeof(power_on5));
}

/* A reboot: both functions back at power-on, nothing pending, no INTx. */
static void reboot(void)
{
	msix_reset(&mx);
	pci_config_reset(&cfg3);
	pci_config_reset(&cfg5);
	FZ_CHECK(!memcmp(cfg3.regs, power_on3, sizeof(power_on3)));
	FZ_CHECK(!memcmp(cfg5.regs, power_on5, sizeof(power_on5)));
	for (unsigned int v = 0; v < MSIX_MAX_VECTORS; v++)
		FZ_CHECK(!held[v] && !(mx.pba[v / 64] & (1ULL << (v % 64))));
	for (unsigned int b = 0; b < PCI_NUM_BARS; b++)
		FZ_CHECK(!cfg3.bars[b].addr && !cfg5.bars[b].addr);
	FZ_CHECK(!pin3 && !mx.enabled);
}

/* Linux's capability walk must end, and find MSI-X where it is. */
static void check_caps(void)
{
	unsigned int pos = pci_config_read(&cfg3, PCI_CFG_CAP_PTR, 1), ttl = 48;
	bool found = false;

	while (ttl-- && pos >= 0x40) {
		uint16_t ent = (uint16_t)pci_config_read(&cfg3, pos & ~3U, 2);

		if ((ent & 0xff) == PCI_CAP_ID_MSIX)
			found = (pos & ~3U) == mx.cap;
		pos = ent >> 8;
	}
	FZ_CHECK(found && pos == 0);
}

static void check_state(void)
{
	FZ_CHECK(pci_config_read(&cfg3, 0, 4) == 0x10411af4);
	FZ_CHECK(pci_config_read(&cfg5, 0, 4) == 0x10421af4);
	FZ_CHECK((pci_config_read(&cfg3, PCI_CFG_BAR0, 4) & PCI_BAR_FLAG_BITS) == 0);
	FZ_CHECK((pci_config_read(&cfg3, PCI_CFG_BAR0 + 8, 4) & PCI_BAR_FLAG_BITS) ==
		 (PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH));
	for (unsigned int b = 0; b < PCI_NUM_BARS; b++) {
		FZ_CHECK(!cfg3.bars[b].size || !(cfg3.bars[b].addr & (cfg3.bars[b].size - 1)));
		FZ_CHECK(!cfg5.bars[b].size || !(cfg5.bars[b].addr & (cfg5.bars[b].size - 1)));
	}
	FZ_CHECK((pci_config_read(&cfg3, mx.cap + MSIX_CAP_CTRL, 2) & MSIX_CTRL_SIZE_MASK) ==
		 mx.nvectors - 1);
	for (unsigned int v = 0; v < mx.nvectors; v++) {
		bool pending = mx.pba[v / 64] & (1ULL << (v % 64));

		FZ_CHECK(!pending || masked_now(&mx, v));	/* unmask delivers pending */
		FZ_CHECK(!msix_vector_info(&mx, v).pending || masked_now(&mx, v));
		FZ_CHECK(reported_masked[v] == masked_now(&mx, v));
		FZ_CHECK(!(mx.table[v].ctrl & ~MSIX_ENTRY_MASKED) && !(mx.table[v].addr_lo & 3));
	}
	for (unsigned int v = mx.nvectors; v < MSIX_MAX_VECTORS; v++)
		FZ_CHECK(!(mx.pba[v / 64] & (1ULL << (v % 64))));
	check_caps();
	FZ_CHECK(pin3 == (cfg3.intx_state &&
			  !(pci_config_get(&cfg3, PCI_CFG_COMMAND, 2) & PCI_CMD_INTX_DISABLE)));
}

static uint64_t target_addr(unsigned int target, uint32_t offset)
{
	switch (target) {
	case 0: return LAYOUT_PCI_ECAM_BASE + (3U << 15) + offset % PCI_CFG_SPACE_SIZE;
	case 1: return LAYOUT_PCI_ECAM_BASE + offset % PCI_ECAM_BUS_SIZE;
	case 2: return LAYOUT_PCI_MMIO32_BASE + offset % WINDOW_SPAN;
	case 3: return LAYOUT_PCI_MMIO64_BASE + offset % WINDOW_SPAN;
	default: return LAYOUT_PCI_ECAM_BASE + (5U << 15) + offset % PCI_CFG_SPACE_SIZE;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int sizes[4] = { 1, 2, 4, 8 };
	struct fz f = { data, size };
	unsigned int nvectors = fz_u8(&f) % MSIX_MAX_VECTORS + 1, nops = fz_u8(&f);

	setup(nvectors);
	for (unsigned int i = 0; i < nops && f.n; i++) {
		uint8_t kind = fz_u8(&f);
		uint32_t offset = fz_u32(&f), value = fz_u32(&f);
		unsigned int target = (kind >> 3) & 7, len = sizes[(kind >> 1) & 3];
		uint8_t buf[8];

		if (kind >> 6 == 1) {
			if (masked_now(&mx, offset % nvectors))
				held[offset % nvectors] = !(value & 1);
		} else if (kind >> 6 == 2) {
			pci_config_intx(&cfg3, value & 1);
		} else if (kind >> 6 == 3) {
			reboot();
		} else if (target == 4) {
			msix_fire(&mx, offset % 80);
		} else {
			memcpy(buf, &value, 4);
			memcpy(buf + 4, &value, 4);
			mmio_bus_access(&bus, target_addr(target, offset), buf, len, kind & 1);
		}
		check_state();
	}
	msix_destroy(&mx);
	pci_host_destroy(&host);
	return 0;
}
