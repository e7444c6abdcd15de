// SPDX-License-Identifier: MIT
/* MSI-X: capability, table and PBA accesses, masking and pending semantics. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "devices/pci/msix.h"

#define NVEC		5
#define TABLE_OFF	0x2000
#define PBA_OFF		0x3000

struct backend {
	unsigned int changes, deliveries;
	unsigned int last_vector;
	struct msix_msg last_msg;
	bool last_masked;
	unsigned int delivered_vec[32];
};

static struct pci_config cfg;
static struct msix mx;
static struct backend be;
static int cap;

static void on_changed(void *opaque, unsigned int v, struct msix_msg msg, bool masked)
{
	struct backend *b = opaque;

	b->changes++;
	b->last_vector = v;
	b->last_msg = msg;
	b->last_masked = masked;
}

static void on_deliver(void *opaque, unsigned int v, struct msix_msg msg)
{
	struct backend *b = opaque;

	if (b->deliveries < 32)
		b->delivered_vec[b->deliveries] = v;
	b->deliveries++;
	b->last_msg = msg;
}

static const struct msix_ops ops = { .vector_changed = on_changed, .deliver = on_deliver };

static void setup(void)
{
	struct pci_config_ids ids = { .vendor = 0x1af4, .device = 0x1041 };

	memset(&be, 0, sizeof(be));
	pci_config_init(&cfg, &ids, NULL, NULL);
	cr_assert_eq(pci_config_add_bar(&cfg, 1, PCI_BAR_MEM32, 0x10000, false), 0);
	cr_assert_eq(msix_init(&mx, &cfg, NVEC, 1, TABLE_OFF, 1, PBA_OFF, &ops, &be), 0);
	cap = (int)mx.cap;
}

static void teardown(void)
{
	msix_destroy(&mx);
}

TestSuite(msix, .init = setup, .fini = teardown);

static uint32_t rd32(uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	cr_assert(msix_bar_access(&mx, 1, off, (uint8_t *)&v, 4, false));
	return v;
}

static void wr32(uint32_t off, uint32_t v)
{
	cr_assert(msix_bar_access(&mx, 1, off, (uint8_t *)&v, 4, true));
}

static uint32_t entry(unsigned int v, unsigned int field)
{
	return TABLE_OFF + v * MSIX_ENTRY_SIZE + field;
}

static void program(unsigned int v, uint64_t addr, uint32_t data)
{
	wr32(entry(v, MSIX_ENTRY_ADDR_LO), (uint32_t)addr);
	wr32(entry(v, MSIX_ENTRY_ADDR_HI), (uint32_t)(addr >> 32));
	wr32(entry(v, MSIX_ENTRY_DATA), data);
}

static void set_ctrl(uint16_t ctrl)
{
	pci_config_write(&cfg, (unsigned int)cap + MSIX_CAP_CTRL, 2, ctrl);
}

Test(msix, capability_registers)
{
	cr_assert_eq(cap, 0x40);
	cr_assert_eq(pci_config_read(&cfg, PCI_CFG_CAP_PTR, 1), 0x40);
	cr_assert_eq(pci_config_read(&cfg, 0x40, 1), PCI_CAP_ID_MSIX);
	cr_assert_eq(pci_config_read(&cfg, 0x42, 2), NVEC - 1, "table size N-1, disabled");
	cr_assert_eq(pci_config_read(&cfg, 0x44, 4), TABLE_OFF | 1);
	cr_assert_eq(pci_config_read(&cfg, 0x48, 4), PBA_OFF | 1);
	/* Only Enable and Function Mask are writable. */
	set_ctrl(0xffff);
	cr_assert_eq(pci_config_read(&cfg, 0x42, 2), 0xc000 | (NVEC - 1));
	cr_assert(msix_enabled(&mx));
	pci_config_write(&cfg, 0x44, 4, 0);
	cr_assert_eq(pci_config_read(&cfg, 0x44, 4), TABLE_OFF | 1);
}

Test(msix, bad_layouts_rejected)
{
	struct msix m2;
	struct pci_config c2;
	struct pci_config_ids ids = { 0 };

	pci_config_init(&c2, &ids, NULL, NULL);
	cr_assert_eq(pci_config_add_bar(&c2, 0, PCI_BAR_MEM32, 0x10000, false), 0);
	cr_assert_eq(msix_init(&m2, &c2, 0, 0, 0, 0, 0x1000, &ops, &be), -1, "no vectors");
	cr_assert_eq(msix_init(&m2, &c2, MSIX_MAX_VECTORS + 1, 0, 0, 0, 0x8000, &ops, &be), -1);
	cr_assert_eq(msix_init(&m2, &c2, 4, 2, 0, 0, 0x1000, &ops, &be), -1, "no BAR 2");
	cr_assert_eq(msix_init(&m2, &c2, 4, 0, 0xfff8, 0, 0, &ops, &be), -1, "table past BAR end");
	cr_assert_eq(msix_init(&m2, &c2, 4, 0, 0x1004, 0, 0, &ops, &be), -1, "unaligned");
	cr_assert_eq(msix_init(&m2, &c2, 4, 0, 0x1000, 0, 0x1038, &ops, &be), -1, "overlap");
	cr_assert_eq(msix_init(&m2, &c2, 4, 0, 0x1000, 0, 0x1040, &ops, &be), 0);
	msix_destroy(&m2);
}

Test(msix, table_reset_state_and_fields)
{
	for (unsigned int v = 0; v < NVEC; v++) {
		cr_assert_eq(rd32(entry(v, MSIX_ENTRY_CTRL)), MSIX_ENTRY_MASKED);
		cr_assert_eq(rd32(entry(v, MSIX_ENTRY_DATA)), 0);
	}
	program(2, 0x0000000108090043ULL, 0x1234);
	cr_assert_eq(rd32(entry(2, MSIX_ENTRY_ADDR_LO)), 0x08090040, "bits 1:0 read 0");
	cr_assert_eq(rd32(entry(2, MSIX_ENTRY_ADDR_HI)), 1);
	cr_assert_eq(rd32(entry(2, MSIX_ENTRY_DATA)), 0x1234);
	wr32(entry(2, MSIX_ENTRY_CTRL), 0xfffffffe);
	cr_assert_eq(rd32(entry(2, MSIX_ENTRY_CTRL)), 0, "reserved bits read 0");
	cr_assert_eq(msix_vector_info(&mx, 2).msg.addr, 0x108090040ULL);
	cr_assert_eq(be.last_vector, 2);
	cr_assert_eq(be.last_msg.data, 0x1234);
}

Test(msix, qword_and_bad_accesses)
{
	uint64_t q = 0x0000000508090040ULL, r = 0;
	uint16_t h = 0xffff;
	uint8_t b[8];

	cr_assert(msix_bar_access(&mx, 1, entry(1, 0), (uint8_t *)&q, 8, true));
	cr_assert(msix_bar_access(&mx, 1, entry(1, 0), (uint8_t *)&r, 8, false));
	cr_assert_eq(r, q);
	q = 0x0000000000000077ULL;	/* data 0x77, vector control 0: unmask */
	cr_assert(msix_bar_access(&mx, 1, entry(1, 8), (uint8_t *)&q, 8, true));
	cr_assert_eq(rd32(entry(1, MSIX_ENTRY_DATA)), 0x77);
	cr_assert_eq(rd32(entry(1, MSIX_ENTRY_CTRL)), 0);
	/* Sub-dword and misaligned accesses: ignored, read 0. */
	cr_assert(msix_bar_access(&mx, 1, entry(0, 8), (uint8_t *)&h, 2, true));
	cr_assert_eq(rd32(entry(0, MSIX_ENTRY_DATA)), 0);
	cr_assert(msix_bar_access(&mx, 1, entry(0, 4), (uint8_t *)&q, 8, true), "misaligned qword");
	cr_assert_eq(rd32(entry(0, MSIX_ENTRY_ADDR_HI)), 0);
	memset(b, 0xaa, 8);
	cr_assert(msix_bar_access(&mx, 1, entry(0, 1), b, 1, false));
	cr_assert_eq(b[0], 0);
	/* Outside table and PBA, other BARs: not MSI-X. */
	cr_assert_not(msix_bar_access(&mx, 1, entry(NVEC, 0), b, 4, false));
	cr_assert_not(msix_bar_access(&mx, 1, TABLE_OFF - 4, b, 4, false));
	cr_assert_not(msix_bar_access(&mx, 1, TABLE_OFF - 4, b, 8, false), "straddles the start");
	cr_assert_not(msix_bar_access(&mx, 0, TABLE_OFF, b, 4, false));
	cr_assert_not(msix_bar_access(&mx, 1, PBA_OFF + 8, b, 4, false));
	cr_assert_not(msix_bar_access(&mx, 1, UINT64_MAX - 2, b, 4, false));
}

Test(msix, disabled_or_masked_sets_pending)
{
	uint64_t pba = 0;

	program(0, 0x8090040, 40);
	wr32(entry(0, MSIX_ENTRY_CTRL), 0);	/* unmasked, but MSI-X disabled */
	cr_assert(msix_vector_info(&mx, 0).masked);
	cr_assert_not(msix_fire(&mx, 0));
	cr_assert(msix_vector_info(&mx, 0).pending);
	cr_assert(msix_bar_access(&mx, 1, PBA_OFF, (uint8_t *)&pba, 8, false));
	cr_assert_eq(pba, 1);
	cr_assert_eq(be.deliveries, 0);
	/* Enabling unmasks it: the pending vector goes out, the bit clears. */
	be.changes = 0;
	set_ctrl(MSIX_CTRL_ENABLE);
	cr_assert_eq(be.deliveries, 1);
	cr_assert_eq(be.delivered_vec[0], 0);
	cr_assert_eq(be.last_msg.data, 40);
	cr_assert_not(msix_vector_info(&mx, 0).pending);
	cr_assert_eq(be.changes, 1, "only vector 0 changed its effective mask");
	cr_assert_not(be.last_masked);
	/* Unmasked: delivered at once. */
	cr_assert(msix_fire(&mx, 0));
	cr_assert_eq(be.deliveries, 2);
	cr_assert_not(msix_vector_info(&mx, 0).pending);
}

Test(msix, per_vector_mask)
{
	set_ctrl(MSIX_CTRL_ENABLE);
	program(3, 0x8090040, 43);
	cr_assert_not(msix_fire(&mx, 3), "masked by default");
	cr_assert_not(msix_fire(&mx, 3), "twice: still one pending bit");
	cr_assert(msix_vector_info(&mx, 3).pending);
	cr_assert_eq(rd32(PBA_OFF), 1U << 3);
	wr32(entry(3, MSIX_ENTRY_CTRL), 0);
	cr_assert_eq(be.deliveries, 1, "pending delivered once on unmask");
	cr_assert_eq(rd32(PBA_OFF), 0);
	cr_assert_eq(mx.pended, 2);
	/* Masking again: vector_changed says masked, a fire pends. */
	wr32(entry(3, MSIX_ENTRY_CTRL), 1);
	cr_assert(be.last_masked);
	cr_assert_eq(be.last_vector, 3);
	cr_assert_not(msix_fire(&mx, 3));
	cr_assert_eq(be.deliveries, 1);
	/* Masking an already-masked vector changes nothing. */
	be.changes = 0;
	wr32(entry(3, MSIX_ENTRY_CTRL), 1);
	cr_assert_eq(be.changes, 0);
}

Test(msix, function_mask)
{
	set_ctrl(MSIX_CTRL_ENABLE);
	for (unsigned int v = 0; v < NVEC; v++) {
		program(v, 0x8090040, 100 + v);
		wr32(entry(v, MSIX_ENTRY_CTRL), 0);
	}
	set_ctrl(MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	for (unsigned int v = 0; v < NVEC; v++)
		cr_assert(msix_vector_info(&mx, v).masked);
	cr_assert_not(msix_fire(&mx, 1));
	cr_assert_not(msix_fire(&mx, 4));
	/* Vector 4 also masked on its own: stays pending after the function unmask. */
	wr32(entry(4, MSIX_ENTRY_CTRL), 1);
	cr_assert_eq(rd32(PBA_OFF), (1U << 1) | (1U << 4));
	set_ctrl(MSIX_CTRL_ENABLE);
	cr_assert_eq(be.deliveries, 1);
	cr_assert_eq(be.delivered_vec[0], 1);
	cr_assert_eq(rd32(PBA_OFF), 1U << 4);
	wr32(entry(4, MSIX_ENTRY_CTRL), 0);
	cr_assert_eq(be.deliveries, 2);
	cr_assert_eq(be.delivered_vec[1], 4);
	cr_assert_eq(rd32(PBA_OFF), 0);
}

Test(msix, message_change_tells_backend)
{
	set_ctrl(MSIX_CTRL_ENABLE);
	be.changes = 0;
	wr32(entry(2, MSIX_ENTRY_DATA), 7);
	cr_assert_eq(be.changes, 1);
	cr_assert_eq(be.last_vector, 2);
	cr_assert_eq(be.last_msg.data, 7);
	cr_assert(be.last_masked);
	wr32(entry(2, MSIX_ENTRY_DATA), 7);
	cr_assert_eq(be.changes, 1, "same value: no update");
}

Test(msix, pba_read_only_and_out_of_range_vectors)
{
	uint32_t ones = 0xffffffff;

	cr_assert_not(msix_fire(&mx, NVEC));
	cr_assert_not(msix_fire(&mx, 1000));
	cr_assert(msix_vector_info(&mx, NVEC).masked);
	cr_assert_not(msix_vector_info(&mx, NVEC).pending);
	cr_assert(msix_bar_access(&mx, 1, PBA_OFF, (uint8_t *)&ones, 4, true));
	cr_assert_eq(rd32(PBA_OFF), 0);
	cr_assert_eq(rd32(PBA_OFF + 4), 0);
}

/* The device fires from its own thread while the driver masks and unmasks. */
static void *fire_loop(void *arg)
{
	for (unsigned int i = 0; i < 20000; i++)
		msix_fire(&mx, i % NVEC);
	return arg;
}

static void check_unmasked_delivery(void *opaque, unsigned int v, struct msix_msg msg)
{
	struct backend *b = opaque;

	/* Called under the MSI-X lock: the state cannot change under us. */
	cr_assert(mx.enabled && !mx.function_masked && !(mx.table[v].ctrl & MSIX_ENTRY_MASKED));
	b->deliveries++;
}

Test(msix, concurrent_fire_and_mask)
{
	static const struct msix_ops checking = { .vector_changed = on_changed,
						  .deliver = check_unmasked_delivery };
	pthread_t t;

	mx.ops = &checking;
	set_ctrl(MSIX_CTRL_ENABLE);
	cr_assert_eq(pthread_create(&t, NULL, fire_loop, NULL), 0);
	for (unsigned int i = 0; i < 2000; i++) {
		wr32(entry(i % NVEC, MSIX_ENTRY_CTRL), i & 1);
		if (i % 7 == 0)
			set_ctrl(MSIX_CTRL_ENABLE | (i & 8 ? MSIX_CTRL_MASKALL : 0));
	}
	pthread_join(t, NULL);
	set_ctrl(MSIX_CTRL_ENABLE);
	for (unsigned int v = 0; v < NVEC; v++)
		wr32(entry(v, MSIX_ENTRY_CTRL), 0);
	/* Everything that fired while masked went out at the unmask. */
	cr_assert_eq(rd32(PBA_OFF), 0);
	cr_assert_geq(be.deliveries, 1);
}

/* A backend holding messages of its own (vhost's signals in a vector's eventfd). */
struct held {
	bool pending[NVEC];
	unsigned int discards, settles, settled_locked, deliveries;
	unsigned int masked_at_discard;
	struct msix *m;
};

static struct held held;

static void held_changed(void *opaque, unsigned int v, struct msix_msg msg, bool masked)
{
	struct held *h = opaque;

	/* Like msi.c: an unmasked vector's irqfd consumes what was waiting. */
	if (!masked)
		h->pending[v] = false;
}

static void held_deliver(void *opaque, unsigned int v, struct msix_msg msg)
{
	struct held *h = opaque;

	h->deliveries++;
}

static bool held_pending(void *opaque, unsigned int v)
{
	struct held *h = opaque;

	return h->pending[v];
}

static void held_discard(void *opaque, unsigned int v)
{
	struct held *h = opaque;

	h->discards++;
	h->masked_at_discard += h->m->table[v].ctrl & MSIX_ENTRY_MASKED;
	h->pending[v] = false;
}

static void held_settled(void *opaque)
{
	struct held *h = opaque;

	h->settles++;
	if (pthread_mutex_trylock(&h->m->lock) == 0)
		pthread_mutex_unlock(&h->m->lock);
	else
		h->settled_locked++;
}

static const struct msix_ops held_ops = {
	.vector_changed = held_changed, .deliver = held_deliver, .settled = held_settled,
	.backend_pending = held_pending, .discard_pending = held_discard,
};

static void use_held_backend(void)
{
	msix_destroy(&mx);
	memset(&held, 0, sizeof(held));
	held.m = &mx;
	pci_config_init(&cfg, &(struct pci_config_ids){ .vendor = 0x1af4 }, NULL, NULL);
	cr_assert_eq(pci_config_add_bar(&cfg, 1, PCI_BAR_MEM32, 0x10000, false), 0);
	cr_assert_eq(msix_init(&mx, &cfg, NVEC, 1, TABLE_OFF, 1, PBA_OFF, &held_ops, &held), 0);
	cap = (int)mx.cap;
}

/* §6.8.2.10: the PBA shows every message waiting on a masked vector, the backend's too. */
Test(msix, pba_shows_what_the_backend_holds)
{
	use_held_backend();
	set_ctrl(MSIX_CTRL_ENABLE);
	program(1, 0x8090040, 41);
	program(3, 0x8090040, 43);
	held.pending[3] = true;	/* vhost signalled masked vector 3 */
	cr_assert_eq(rd32(PBA_OFF), 1U << 3, "vhost's pending vector not in the PBA");
	cr_assert(msix_vector_info(&mx, 3).pending);
	cr_assert_not(msix_fire(&mx, 1));
	cr_assert_eq(rd32(PBA_OFF), (1U << 3) | (1U << 1), "both kinds at once");
	/* Unmasked: the backend sent it (its irqfd took it), the bit goes. */
	wr32(entry(3, MSIX_ENTRY_CTRL), 0);
	cr_assert_eq(rd32(PBA_OFF), 1U << 1);
	/* Unmasked vectors never read pending, whatever the backend says. */
	held.pending[3] = true;
	cr_assert_eq(rd32(PBA_OFF), 1U << 1);
}

/*
 * A power-on reset masks every vector and then drops what the backend
 * held for it: the next boot's first unmask must not deliver the last
 * boot's interrupt.
 */
Test(msix, reset_discards_what_the_backend_holds)
{
	use_held_backend();
	set_ctrl(MSIX_CTRL_ENABLE);
	for (unsigned int v = 0; v < NVEC; v++)
		program(v, 0x8090040, 40 + v);
	held.pending[0] = held.pending[4] = true;
	msix_reset(&mx);
	cr_assert_eq(held.discards, NVEC, "the backend's messages were not dropped");
	cr_assert_eq(held.masked_at_discard, NVEC, "dropped before the vector was masked");
	cr_assert_not(held.pending[0] || held.pending[4]);
	cr_assert_eq(rd32(PBA_OFF), 0);
	/* The next boot unmasks: nothing goes out. */
	set_ctrl(MSIX_CTRL_ENABLE);
	program(0, 0x8090040, 40);
	wr32(entry(0, MSIX_ENTRY_CTRL), 0);
	cr_assert_eq(held.deliveries, 0);
}

/* settled: after each guest write and the reset, never under the MSI-X lock. */
Test(msix, settled_after_writes_without_the_lock)
{
	use_held_backend();
	set_ctrl(MSIX_CTRL_ENABLE);
	cr_assert_eq(held.settles, 1);
	program(2, 0x8090040, 42);
	cr_assert_eq(held.settles, 4);
	rd32(entry(2, MSIX_ENTRY_DATA));
	cr_assert_eq(held.settles, 4, "reads change nothing");
	msix_reset(&mx);
	cr_assert_eq(held.settles, 5);
	cr_assert_eq(held.settled_locked, 0, "called with the MSI-X lock held");
}
