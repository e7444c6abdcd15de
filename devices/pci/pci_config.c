// SPDX-License-Identifier: MIT
/*
 * PCI type-0 configuration space: a register file plus write masks, BARs
 * and the capability list. Every guest write goes through the masks, so
 * read-only fields (IDs, class, capability headers, BAR flag bits) cannot
 * change whatever the guest writes, and BAR sizing works the way hardware
 * does it.
 */
#include "devices/pci/pci_config.h"

#include "lib/dev_lock.h"

#include <string.h>

#define PCI_CMD_WRITABLE \
	(PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_PARITY | PCI_CMD_SERR | PCI_CMD_INTX_DISABLE)

void pci_config_set(struct pci_config *cfg, unsigned int off, unsigned int len, uint32_t value)
{
	if (off >= PCI_CFG_HDR_SIZE)
		return;
	for (unsigned int i = 0; i < len && off + i < PCI_CFG_HDR_SIZE; i++)
		cfg->regs[off + i] = (uint8_t)(value >> (8 * i));
}

void pci_config_set_wmask(struct pci_config *cfg, unsigned int off, unsigned int len,
			  uint32_t mask)
{
	if (off >= PCI_CFG_HDR_SIZE)
		return;
	for (unsigned int i = 0; i < len && off + i < PCI_CFG_HDR_SIZE; i++)
		cfg->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

uint32_t pci_config_get(const struct pci_config *cfg, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	/* Checked first so off + i below cannot wrap around. */
	if (off >= PCI_CFG_HDR_SIZE)
		return 0;
	for (unsigned int i = 0; i < len && i < 4; i++)
		if (off + i < PCI_CFG_HDR_SIZE)
			v |= (uint32_t)cfg->regs[off + i] << (8 * i);
	return v;
}

void pci_config_init(struct pci_config *cfg, const struct pci_config_ids *ids,
		     const struct pci_config_ops *ops, void *opaque)
{
	memset(cfg, 0, sizeof(*cfg));
	pthread_mutex_init(&cfg->intx_lock, NULL);
	cfg->ops = ops;
	cfg->opaque = opaque;
	cfg->next_cap = PCI_CFG_CAP_START;
	pci_config_set(cfg, PCI_CFG_VENDOR_ID, 2, ids->vendor);
	pci_config_set(cfg, PCI_CFG_DEVICE_ID, 2, ids->device);
	pci_config_set(cfg, PCI_CFG_REVISION, 4, (ids->class_code << 8) | ids->revision);
	pci_config_set(cfg, PCI_CFG_SUBSYS_VENDOR, 2, ids->subsys_vendor);
	pci_config_set(cfg, PCI_CFG_SUBSYS_ID, 2, ids->subsys_id);
	pci_config_set(cfg, PCI_CFG_INT_PIN, 1, ids->int_pin <= 4 ? ids->int_pin : 0);
	/* No I/O BARs, so Command.IO stays 0; the header type is 0 (one function). */
	pci_config_set_wmask(cfg, PCI_CFG_COMMAND, 2, PCI_CMD_WRITABLE);
	pci_config_set_wmask(cfg, PCI_CFG_CACHE_LINE, 1, 0xff);
	pci_config_set_wmask(cfg, PCI_CFG_INT_LINE, 1, 0xff);
}

void pci_config_destroy(struct pci_config *cfg)
{
	pthread_mutex_destroy(&cfg->intx_lock);
}

void pci_config_set_intx_pin(struct pci_config *cfg, pci_intx_pin_fn pin, void *opaque)
{
	dev_lock(&cfg->intx_lock);
	cfg->intx_pin = pin;
	cfg->intx_opaque = opaque;
	dev_unlock(&cfg->intx_lock);
}

/* The pin follows the condition and the disable bit; intx_lock held. */
static void intx_update_locked(struct pci_config *cfg)
{
	bool line = cfg->intx_state && !cfg->intx_disabled;

	if (line == cfg->intx_line)
		return;
	cfg->intx_line = line;
	if (cfg->intx_pin)
		cfg->intx_pin(cfg->intx_opaque, line);
}

void pci_config_intx(struct pci_config *cfg, bool asserted)
{
	dev_lock(&cfg->intx_lock);
	cfg->intx_state = asserted;
	intx_update_locked(cfg);
	dev_unlock(&cfg->intx_lock);
}

/* Command was written (bus lock held): INTX_DISABLE gates the pin. */
static void intx_command_written(struct pci_config *cfg)
{
	dev_lock(&cfg->intx_lock);
	cfg->intx_disabled = pci_config_get(cfg, PCI_CFG_COMMAND, 2) & PCI_CMD_INTX_DISABLE;
	intx_update_locked(cfg);
	dev_unlock(&cfg->intx_lock);
}

/* Status.INTERRUPT from the condition, before a guest read of Status (bus lock held). */
static void intx_refresh_status(struct pci_config *cfg)
{
	bool on;

	dev_lock(&cfg->intx_lock);
	on = cfg->intx_state;
	dev_unlock(&cfg->intx_lock);
	if (on)
		cfg->regs[PCI_CFG_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		cfg->regs[PCI_CFG_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Register @bar is the upper half of a 64-bit BAR below it. */
static bool is_upper_half(const struct pci_config *cfg, unsigned int bar)
{
	return bar > 0 && cfg->bars[bar - 1].kind == PCI_BAR_MEM64;
}

int pci_config_add_bar(struct pci_config *cfg, unsigned int bar, enum pci_bar_kind kind,
		       uint64_t size, bool prefetchable)
{
	unsigned int off = PCI_CFG_BAR0 + 4 * bar;
	uint32_t flags = prefetchable ? PCI_BAR_MEM_PREFETCH : 0;

	if (bar >= PCI_NUM_BARS || cfg->bars[bar].kind != PCI_BAR_UNUSED ||
	    is_upper_half(cfg, bar) || !is_pow2(size) || size < PCI_BAR_MIN_SIZE)
		return -1;
	if (kind == PCI_BAR_MEM32) {
		if (size > (1ULL << 31))
			return -1;
	} else if (kind == PCI_BAR_MEM64) {
		if (bar + 1 >= PCI_NUM_BARS || cfg->bars[bar + 1].kind != PCI_BAR_UNUSED)
			return -1;
		flags |= PCI_BAR_MEM_TYPE_64;
		pci_config_set_wmask(cfg, off + 4, 4, (uint32_t)(~(size - 1) >> 32));
	} else {
		return -1;
	}
	pci_config_set(cfg, off, 4, flags);
	pci_config_set_wmask(cfg, off, 4, (uint32_t)~(size - 1) & ~(uint32_t)PCI_BAR_FLAG_BITS);
	cfg->bars[bar] = (struct pci_bar){ .kind = kind, .size = size,
					   .prefetchable = prefetchable };
	return 0;
}

int pci_config_add_cap(struct pci_config *cfg, uint8_t id, unsigned int len,
		       pci_cap_hook_fn written, void *opaque)
{
	unsigned int off = cfg->next_cap, link;

	if (len < 2 || cfg->ncaps == PCI_MAX_CAPS || len > PCI_CFG_HDR_SIZE - off)
		return -1;
	/* Link from the capability pointer or the previous capability's next. */
	link = cfg->ncaps ? cfg->caps[cfg->ncaps - 1].offset + 1U : PCI_CFG_CAP_PTR;
	pci_config_set(cfg, link, 1, off);
	pci_config_set(cfg, off, 1, id);
	pci_config_set(cfg, off + 1, 1, 0);
	cfg->regs[PCI_CFG_STATUS] |= PCI_STATUS_CAP_LIST;
	cfg->caps[cfg->ncaps++] = (struct pci_cap){ .offset = (uint8_t)off, .len = (uint8_t)len,
						    .written = written, .opaque = opaque };
	/* Linux masks the low two bits of every pointer: keep them dword aligned. */
	cfg->next_cap = (off + len + 3) & ~3U;
	return (int)off;
}

int pci_config_cap_on_read(struct pci_config *cfg, unsigned int cap_offset,
			   pci_cap_hook_fn reading)
{
	for (unsigned int i = 0; i < cfg->ncaps; i++) {
		if (cfg->caps[i].offset == cap_offset) {
			cfg->caps[i].reading = reading;
			return 0;
		}
	}
	return -1;
}

static bool valid_len(unsigned int len)
{
	return len == 1 || len == 2 || len == 4;
}

/* Run @reading or @written hooks of the capabilities [off, off + len) overlaps. */
static void run_cap_hooks(struct pci_config *cfg, unsigned int off, unsigned int len,
			  bool is_write)
{
	for (unsigned int i = 0; i < cfg->ncaps; i++) {
		const struct pci_cap *c = &cfg->caps[i];
		pci_cap_hook_fn fn = is_write ? c->written : c->reading;

		if (fn && off < c->offset + (unsigned int)c->len && c->offset < off + len)
			fn(c->opaque, c->offset, off, len);
	}
}

/* Whether guest access [off, off + len) touches config byte @reg. */
static bool touches(unsigned int off, unsigned int len, unsigned int reg)
{
	return off <= reg && reg - off < len;
}

uint32_t pci_config_read(struct pci_config *cfg, unsigned int off, unsigned int len)
{
	if (!valid_len(len))
		return 0xffffffffU;
	if (off < PCI_CFG_HDR_SIZE)
		run_cap_hooks(cfg, off, len, false);
	if (touches(off, len, PCI_CFG_STATUS))
		intx_refresh_status(cfg);
	return pci_config_get(cfg, off, len);
}

static uint64_t bar_address(const struct pci_config *cfg, unsigned int bar)
{
	unsigned int off = PCI_CFG_BAR0 + 4 * bar;
	uint64_t addr = pci_config_get(cfg, off, 4) & ~(uint32_t)PCI_BAR_FLAG_BITS;

	if (cfg->bars[bar].kind == PCI_BAR_MEM64)
		addr |= (uint64_t)pci_config_get(cfg, off + 4, 4) << 32;
	return addr;
}

static void update_bars(struct pci_config *cfg)
{
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &cfg->bars[i];
		uint64_t addr;

		if (b->kind == PCI_BAR_UNUSED)
			continue;
		addr = bar_address(cfg, i);
		if (addr == b->addr)
			continue;
		if (cfg->ops && cfg->ops->bar_moved)
			cfg->ops->bar_moved(cfg->opaque, i, b->addr, addr);
		b->addr = addr;
	}
}

void pci_config_write(struct pci_config *cfg, unsigned int off, unsigned int len, uint32_t value)
{
	bool was_enabled = pci_config_memory_enabled(cfg);

	if (!valid_len(len) || off >= PCI_CFG_HDR_SIZE)
		return;
	for (unsigned int i = 0; i < len && off + i < PCI_CFG_HDR_SIZE; i++) {
		uint8_t m = cfg->wmask[off + i];
		uint8_t byte = (uint8_t)(value >> (8 * i));

		cfg->regs[off + i] = (uint8_t)((cfg->regs[off + i] & ~m) | (byte & m));
	}
	if (off < PCI_CFG_ROM_ADDRESS && off + len > PCI_CFG_BAR0)
		update_bars(cfg);
	if (was_enabled != pci_config_memory_enabled(cfg) && cfg->ops && cfg->ops->decode_changed)
		cfg->ops->decode_changed(cfg->opaque, !was_enabled);
	if (touches(off, len, PCI_CFG_COMMAND + 1))	/* INTX_DISABLE is bit 10 */
		intx_command_written(cfg);
	run_cap_hooks(cfg, off, len, true);
}

void pci_config_reset(struct pci_config *cfg)
{
	bool was_enabled = pci_config_memory_enabled(cfg);

	for (unsigned int i = 0; i < PCI_CFG_HDR_SIZE; i++)
		cfg->regs[i] &= (uint8_t)~cfg->wmask[i];
	cfg->regs[PCI_CFG_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	update_bars(cfg);
	if (was_enabled && cfg->ops && cfg->ops->decode_changed)
		cfg->ops->decode_changed(cfg->opaque, false);
	dev_lock(&cfg->intx_lock);
	cfg->intx_state = cfg->intx_disabled = false;
	intx_update_locked(cfg);
	dev_unlock(&cfg->intx_lock);
}

bool pci_config_memory_enabled(const struct pci_config *cfg)
{
	return pci_config_get(cfg, PCI_CFG_COMMAND, 2) & PCI_CMD_MEMORY;
}

int pci_config_find_bar(const struct pci_config *cfg, uint64_t addr, uint64_t len,
			uint64_t *offset)
{
	if (!pci_config_memory_enabled(cfg))
		return -1;
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &cfg->bars[i];

		if (b->kind == PCI_BAR_UNUSED || addr < b->addr || addr - b->addr >= b->size ||
		    len > b->size - (addr - b->addr))
			continue;
		*offset = addr - b->addr;
		return (int)i;
	}
	return -1;
}
