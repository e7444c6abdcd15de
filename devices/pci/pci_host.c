// SPDX-License-Identifier: MIT
/*
 * ECAM host bridge: offset = bus << 20 | device << 15 | function << 12 |
 * register (PCI Express Base 4.0 §7.2.2). Functions that do not exist read
 * all-ones, which is how Linux's enumeration finds an empty slot.
 */
#include "devices/pci/pci_host.h"

#include <string.h>

#include "lib/dev_lock.h"

void pci_host_init(struct pci_host *host, uint64_t ecam_base, uint64_t mmio32_base,
		   uint64_t mmio32_size, uint64_t mmio64_base, uint64_t mmio64_size)
{
	memset(host, 0, sizeof(*host));
	pthread_mutex_init(&host->lock, NULL);
	host->ecam_base = ecam_base;
	host->windows[PCI_WINDOW_MMIO32] = (struct pci_window){ host, mmio32_base, mmio32_size };
	host->windows[PCI_WINDOW_MMIO64] = (struct pci_window){ host, mmio64_base, mmio64_size };
}

void pci_host_destroy(struct pci_host *host)
{
	pthread_mutex_destroy(&host->lock);
}

int pci_host_add(struct pci_host *host, unsigned int slot, struct pci_config *cfg,
		 pci_bar_access_fn bar_access, void *opaque)
{
	if (slot >= PCI_HOST_SLOTS || host->slots[slot].cfg || !cfg)
		return -1;
	host->slots[slot] = (struct pci_host_slot){ cfg, bar_access, opaque };
	return 0;
}

int pci_host_register(struct pci_host *host, struct mmio_bus *bus)
{
	static const char *const names[PCI_NUM_WINDOWS] = { "pci-mmio32", "pci-mmio64" };

	if (mmio_bus_register(bus, host->ecam_base, PCI_ECAM_BUS_SIZE, pci_host_ecam_access,
			      host, "pci-ecam"))
		return -1;
	for (unsigned int i = 0; i < PCI_NUM_WINDOWS; i++) {
		struct pci_window *w = &host->windows[i];

		if (w->size && mmio_bus_register(bus, w->base, w->size, pci_host_window_access,
						 w, names[i]))
			return -1;
	}
	return 0;
}

static void put_le(uint8_t *data, unsigned int len, uint32_t v)
{
	for (unsigned int i = 0; i < len; i++)
		data[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le(const uint8_t *data, unsigned int len)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)data[i] << (8 * i);
	return v;
}

/* Up to 4 bytes at @offset; the lock is held. */
static void ecam_dword(struct pci_host *host, uint64_t offset, uint8_t *data, unsigned int len,
		       bool is_write)
{
	unsigned int dev = (unsigned int)(offset >> 15) & 31, fn = (unsigned int)(offset >> 12) & 7;
	unsigned int reg = (unsigned int)(offset & (PCI_CFG_SPACE_SIZE - 1));
	struct pci_config *cfg = host->slots[dev].cfg;

	/* One bus; an access must not run into the next function's space. */
	if (offset >= PCI_ECAM_BUS_SIZE || fn || !cfg || reg + len > PCI_CFG_SPACE_SIZE)
		cfg = NULL;
	if (is_write) {
		if (cfg)
			pci_config_write(cfg, reg, len, get_le(data, len));
		return;
	}
	put_le(data, len, cfg ? pci_config_read(cfg, reg, len) : 0xffffffffU);
}

void pci_host_ecam_access(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
			  bool is_write)
{
	struct pci_host *host = opaque;

	dev_lock(&host->lock);
	if (len == 8) {
		/* Config space is a dword interface: split a 64-bit access. */
		ecam_dword(host, offset, data, 4, is_write);
		ecam_dword(host, offset + 4, data + 4, 4, is_write);
	} else if (len == 1 || len == 2 || len == 4) {
		ecam_dword(host, offset, data, len, is_write);
	} else if (!is_write) {
		memset(data, 0xff, len);
	}
	dev_unlock(&host->lock);
}

void pci_host_window_access(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
			    bool is_write)
{
	struct pci_window *w = opaque;
	struct pci_host *host = w->host;
	struct pci_host_slot found = { 0 };
	uint64_t addr = w->base + offset, bar_off = 0;
	int bar = -1;

	dev_lock(&host->lock);
	for (unsigned int i = 0; i < PCI_HOST_SLOTS && bar < 0; i++) {
		if (!host->slots[i].cfg)
			continue;
		bar = pci_config_find_bar(host->slots[i].cfg, addr, len, &bar_off);
		if (bar >= 0)
			found = host->slots[i];
	}
	dev_unlock(&host->lock);
	if (bar >= 0 && found.bar_access) {
		found.bar_access(found.opaque, (unsigned int)bar, bar_off, data, len, is_write);
		return;
	}
	__atomic_add_fetch(&host->unclaimed, 1, __ATOMIC_RELAXED);
	/* Nothing decodes it: a master abort, which reads all-ones. */
	if (!is_write)
		memset(data, 0xff, len);
}
