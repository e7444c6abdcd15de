// SPDX-License-Identifier: MIT
/*
 * MSI-X table, PBA and mask semantics. Every change goes through
 * change_begin()/change_end(): snapshot a vector's message and mask, apply
 * the guest's write, then tell the backend what changed and deliver a
 * pending vector that became unmasked.
 */
#include "devices/pci/msix.h"

#include <string.h>

static struct msix_msg entry_msg(const struct msix_entry *e)
{
	return (struct msix_msg){ .addr = (uint64_t)e->addr_hi << 32 | e->addr_lo,
				  .data = e->data };
}

static bool masked_locked(const struct msix *m, unsigned int v)
{
	return !m->enabled || m->function_masked || (m->table[v].ctrl & MSIX_ENTRY_MASKED);
}

static bool pending_locked(const struct msix *m, unsigned int v)
{
	return m->pba[v / 64] & (1ULL << (v % 64));
}

/* Pending as the PBA shows it: ours, or a message the backend holds for a masked vector. */
static bool pba_bit_locked(const struct msix *m, unsigned int v)
{
	if (pending_locked(m, v))
		return true;
	return masked_locked(m, v) && m->ops && m->ops->backend_pending &&
	       m->ops->backend_pending(m->opaque, v);
}

static void settled(const struct msix *m)
{
	if (m->ops && m->ops->settled)
		m->ops->settled(m->opaque);
}

static void set_pending(struct msix *m, unsigned int v, bool on)
{
	if (on)
		m->pba[v / 64] |= 1ULL << (v % 64);
	else
		m->pba[v / 64] &= ~(1ULL << (v % 64));
}

static void deliver_locked(struct msix *m, unsigned int v)
{
	m->delivered++;
	if (m->ops && m->ops->deliver)
		m->ops->deliver(m->opaque, v, entry_msg(&m->table[v]));
}

struct vector_state {
	struct msix_msg msg;
	bool masked;
};

static struct vector_state change_begin(const struct msix *m, unsigned int v)
{
	return (struct vector_state){ entry_msg(&m->table[v]), masked_locked(m, v) };
}

static void change_end(struct msix *m, unsigned int v, struct vector_state old)
{
	struct msix_msg msg = entry_msg(&m->table[v]);
	bool masked = masked_locked(m, v);

	if ((msg.addr != old.msg.addr || msg.data != old.msg.data || masked != old.masked) &&
	    m->ops && m->ops->vector_changed)
		m->ops->vector_changed(m->opaque, v, msg, masked);
	if (!masked && pending_locked(m, v)) {
		set_pending(m, v, false);
		deliver_locked(m, v);
	}
}

/* The capability was written (config space hook, bus lock held). */
static void ctrl_written(void *opaque, unsigned int cap, unsigned int off, unsigned int len)
{
	struct msix *m = opaque;
	uint32_t ctrl = pci_config_get(m->cfg, cap + MSIX_CAP_CTRL, 2);
	struct vector_state old[MSIX_MAX_VECTORS];
	bool toggled;

	pthread_mutex_lock(&m->lock);
	for (unsigned int v = 0; v < m->nvectors; v++)
		old[v] = change_begin(m, v);
	toggled = m->enabled != !!(ctrl & MSIX_CTRL_ENABLE);
	m->enabled = ctrl & MSIX_CTRL_ENABLE;
	m->function_masked = ctrl & MSIX_CTRL_MASKALL;
	for (unsigned int v = 0; v < m->nvectors; v++)
		change_end(m, v, old[v]);
	pthread_mutex_unlock(&m->lock);
	/* Outside the lock: the listener may take device locks that nest outside it. */
	if (toggled && m->ops && m->ops->enable_changed)
		m->ops->enable_changed(m->opaque, ctrl & MSIX_CTRL_ENABLE);
	settled(m);
}

static bool region_fits(const struct pci_config *cfg, unsigned int bar, uint32_t off,
			uint32_t len)
{
	return bar < PCI_NUM_BARS && cfg->bars[bar].kind != PCI_BAR_UNUSED && !(off & 7) &&
	       off < cfg->bars[bar].size && len <= cfg->bars[bar].size - off;
}

int msix_init(struct msix *m, struct pci_config *cfg, unsigned int nvectors,
	      unsigned int table_bar, uint32_t table_off, unsigned int pba_bar, uint32_t pba_off,
	      const struct msix_ops *ops, void *opaque)
{
	uint32_t tlen = msix_table_bytes(nvectors), plen = msix_pba_bytes(nvectors);
	int cap;

	memset(m, 0, sizeof(*m));
	if (!nvectors || nvectors > MSIX_MAX_VECTORS || !region_fits(cfg, table_bar, table_off, tlen) ||
	    !region_fits(cfg, pba_bar, pba_off, plen))
		return -1;
	if (table_bar == pba_bar && table_off < pba_off + plen && pba_off < table_off + tlen)
		return -1;
	cap = pci_config_add_cap(cfg, PCI_CAP_ID_MSIX, MSIX_CAP_LEN, ctrl_written, m);
	if (cap < 0)
		return -1;
	pthread_mutex_init(&m->lock, NULL);
	m->cfg = cfg;
	m->cap = (unsigned int)cap;
	m->nvectors = nvectors;
	m->table_bar = table_bar;
	m->table_off = table_off;
	m->pba_bar = pba_bar;
	m->pba_off = pba_off;
	m->ops = ops;
	m->opaque = opaque;
	for (unsigned int v = 0; v < nvectors; v++)
		m->table[v].ctrl = MSIX_ENTRY_MASKED;	/* the reset state */
	pci_config_set(cfg, m->cap + MSIX_CAP_CTRL, 2, nvectors - 1);
	pci_config_set_wmask(cfg, m->cap + MSIX_CAP_CTRL, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	pci_config_set(cfg, m->cap + MSIX_CAP_TABLE, 4, table_off | table_bar);
	pci_config_set(cfg, m->cap + MSIX_CAP_PBA, 4, pba_off | pba_bar);
	return 0;
}

/*
 * The function's reset (a guest reboot): MSI-X off, every entry masked
 * with no message, nothing pending. The backend hears of each vector that
 * was live, as for a guest write, so its routes and irqfds go too.
 */
void msix_reset(struct msix *m)
{
	struct vector_state old[MSIX_MAX_VECTORS];

	pthread_mutex_lock(&m->lock);
	for (unsigned int v = 0; v < m->nvectors; v++)
		old[v] = change_begin(m, v);
	m->enabled = m->function_masked = false;
	pci_config_set(m->cfg, m->cap + MSIX_CAP_CTRL, 2, m->nvectors - 1);
	memset(m->pba, 0, sizeof(m->pba));
	for (unsigned int v = 0; v < m->nvectors; v++) {
		m->table[v] = (struct msix_entry){ .ctrl = MSIX_ENTRY_MASKED };
		change_end(m, v, old[v]);
		/* Masked now: nothing the backend held may reach the next boot. */
		if (m->ops && m->ops->discard_pending)
			m->ops->discard_pending(m->opaque, v);
	}
	pthread_mutex_unlock(&m->lock);
	settled(m);
}

void msix_destroy(struct msix *m)
{
	if (m->cfg)
		pthread_mutex_destroy(&m->lock);
	m->cfg = NULL;
}

static uint32_t *entry_word(struct msix *m, uint32_t off)
{
	struct msix_entry *e = &m->table[off / MSIX_ENTRY_SIZE];

	switch (off % MSIX_ENTRY_SIZE) {
	case MSIX_ENTRY_ADDR_LO: return &e->addr_lo;
	case MSIX_ENTRY_ADDR_HI: return &e->addr_hi;
	case MSIX_ENTRY_DATA: return &e->data;
	default: return &e->ctrl;
	}
}

/* One aligned dword of the table; @off < the table size. */
static void table_dword(struct msix *m, uint32_t off, uint8_t *data, bool is_write)
{
	unsigned int v = off / MSIX_ENTRY_SIZE;
	uint32_t *word = entry_word(m, off), value;
	struct vector_state old;

	if (!is_write) {
		memcpy(data, word, 4);
		return;
	}
	memcpy(&value, data, 4);
	old = change_begin(m, v);
	switch (off % MSIX_ENTRY_SIZE) {
	case MSIX_ENTRY_ADDR_LO:
		value &= ~3U;	/* dword-aligned message address */
		break;
	case MSIX_ENTRY_CTRL:
		value &= MSIX_ENTRY_MASKED;	/* the rest is reserved */
		break;
	}
	*word = value;
	change_end(m, v, old);
}

static void table_access(struct msix *m, uint32_t off, uint8_t *data, unsigned int len,
			 bool is_write)
{
	/* Aligned DWORD or QWORD only (§6.8.2); anything else is undefined: ignore it. */
	if ((len != 4 && len != 8) || (off & (len - 1))) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	table_dword(m, off, data, is_write);
	if (len == 8)
		table_dword(m, off + 4, data + 4, is_write);
}

static void pba_access(struct msix *m, uint32_t off, uint8_t *data, unsigned int len,
		       bool is_write)
{
	uint64_t word;

	/* Read-only; writes are ignored as the spec allows. */
	if (is_write)
		return;
	if ((len != 4 && len != 8) || (off & (len - 1))) {
		memset(data, 0, len);
		return;
	}
	word = 0;
	for (unsigned int bit = 0; bit < 64 && off / 8 * 64 + bit < m->nvectors; bit++)
		if (pba_bit_locked(m, off / 8 * 64 + bit))
			word |= 1ULL << bit;
	word >>= off % 8 ? 32 : 0;
	memcpy(data, &word, len);	/* little-endian host (arm64, x86_64) */
}

static bool in_region(uint64_t offset, unsigned int len, uint32_t start, uint32_t size)
{
	return offset >= start && offset - start < size && len <= size - (offset - start);
}

bool msix_bar_access(struct msix *m, unsigned int bar, uint64_t offset, uint8_t *data,
		     unsigned int len, bool is_write)
{
	bool hit = true;

	pthread_mutex_lock(&m->lock);
	if (bar == m->table_bar &&
	    in_region(offset, len, m->table_off, msix_table_bytes(m->nvectors)))
		table_access(m, (uint32_t)(offset - m->table_off), data, len, is_write);
	else if (bar == m->pba_bar &&
		 in_region(offset, len, m->pba_off, msix_pba_bytes(m->nvectors)))
		pba_access(m, (uint32_t)(offset - m->pba_off), data, len, is_write);
	else
		hit = false;
	pthread_mutex_unlock(&m->lock);
	if (hit && is_write)
		settled(m);
	return hit;
}

bool msix_fire(struct msix *m, unsigned int vector)
{
	bool delivered = false;

	if (vector >= m->nvectors)
		return false;
	pthread_mutex_lock(&m->lock);
	if (masked_locked(m, vector)) {
		set_pending(m, vector, true);
		m->pended++;
		m->pended_vec[vector]++;
	} else {
		deliver_locked(m, vector);
		delivered = true;
	}
	pthread_mutex_unlock(&m->lock);
	return delivered;
}

struct msix_vector_info msix_vector_info(struct msix *m, unsigned int vector)
{
	struct msix_vector_info info = { .masked = true };

	pthread_mutex_lock(&m->lock);
	if (vector < m->nvectors) {
		info.msg = entry_msg(&m->table[vector]);
		info.masked = masked_locked(m, vector);
		info.pending = pba_bit_locked(m, vector);
	}
	pthread_mutex_unlock(&m->lock);
	return info;
}

bool msix_enabled(struct msix *m)
{
	bool enabled;

	pthread_mutex_lock(&m->lock);
	enabled = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return enabled;
}
