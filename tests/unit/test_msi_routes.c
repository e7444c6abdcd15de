// SPDX-License-Identifier: MIT
/* GSI routing table: the default SPI routes survive every MSI add/set/remove. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/arm64/layout.h"
#include "vmm/msi/msi_routes.h"

#define NR_SPIS LAYOUT_GIC_NR_SPIS

struct kvm_fake {
	unsigned int pushes;
	bool fail;
	struct kvm_irq_routing *last;	/* copy of the last accepted table */
};

static struct kvm_fake kvm;
static struct msi_routes routes;

static int fake_push(void *opaque, const struct kvm_irq_routing *t)
{
	struct kvm_fake *k = opaque;
	size_t bytes = sizeof(*t) + t->nr * sizeof(t->entries[0]);

	k->pushes++;
	if (k->fail)
		return -1;
	free(k->last);
	k->last = malloc(bytes);
	cr_assert_not_null(k->last);
	memcpy(k->last, t, bytes);
	return 0;
}

static void setup(void)
{
	memset(&kvm, 0, sizeof(kvm));
	cr_assert_eq(msi_routes_init(&routes, NR_SPIS, fake_push, &kvm), 0);
}

static void teardown(void)
{
	msi_routes_destroy(&routes);
	free(kvm.last);
}

TestSuite(msi_routes, .init = setup, .fini = teardown);

/* What KVM holds must be: every SPI route, then exactly @n MSI routes. */
static void check_table(unsigned int n)
{
	const struct kvm_irq_routing *t = kvm.last;

	cr_assert_not_null(t);
	cr_assert_eq(t->nr, NR_SPIS + n);
	cr_assert_eq(t->flags, 0);
	for (unsigned int i = 0; i < NR_SPIS; i++) {
		cr_assert_eq(t->entries[i].gsi, i);
		cr_assert_eq(t->entries[i].type, KVM_IRQ_ROUTING_IRQCHIP);
		cr_assert_eq(t->entries[i].u.irqchip.irqchip, 0);
		cr_assert_eq(t->entries[i].u.irqchip.pin, i, "GSI n -> SPI n");
	}
	for (unsigned int i = NR_SPIS; i < t->nr; i++) {
		cr_assert_eq(t->entries[i].type, KVM_IRQ_ROUTING_MSI);
		cr_assert_geq(t->entries[i].gsi, NR_SPIS);
	}
}

static const struct kvm_irq_routing_entry *find_gsi(unsigned int gsi)
{
	for (unsigned int i = 0; i < kvm.last->nr; i++)
		if (kvm.last->entries[i].gsi == gsi)
			return &kvm.last->entries[i];
	return NULL;
}

static struct msi_route_msg its_msg(uint32_t event, uint32_t devid)
{
	return (struct msi_route_msg){ .addr = LAYOUT_GIC_ITS_BASE + 0x10040, .data = event,
				       .has_devid = true, .devid = devid };
}

Test(msi_routes, add_keeps_defaults_and_fills_msi_entry)
{
	struct msi_route_msg m = its_msg(5, 0x18);
	const struct kvm_irq_routing_entry *e;
	int gsi = msi_routes_add(&routes, &m);

	cr_assert_eq(gsi, NR_SPIS, "first MSI GSI right after the SPIs");
	check_table(1);
	e = find_gsi((unsigned int)gsi);
	cr_assert_not_null(e);
	cr_assert_eq(e->flags, KVM_MSI_VALID_DEVID);
	cr_assert_eq(e->u.msi.address_lo, (uint32_t)(LAYOUT_GIC_ITS_BASE + 0x10040));
	cr_assert_eq(e->u.msi.address_hi, 0);
	cr_assert_eq(e->u.msi.data, 5);
	cr_assert_eq(e->u.msi.devid, 0x18);
}

Test(msi_routes, set_remove_and_reuse)
{
	struct msi_route_msg a = its_msg(0, 0x18), b = its_msg(1, 0x18), c = its_msg(2, 0x20);
	int ga = msi_routes_add(&routes, &a), gb = msi_routes_add(&routes, &b), gc;

	cr_assert_eq(gb, ga + 1);
	check_table(2);
	b.data = 9;
	b.addr = 0x100000000ULL | 0x40;
	cr_assert_eq(msi_routes_set(&routes, (unsigned int)gb, &b), 0);
	check_table(2);
	cr_assert_eq(find_gsi((unsigned int)gb)->u.msi.data, 9);
	cr_assert_eq(find_gsi((unsigned int)gb)->u.msi.address_hi, 1);
	/* Same message again: nothing pushed. */
	kvm.pushes = 0;
	cr_assert_eq(msi_routes_set(&routes, (unsigned int)gb, &b), 0);
	cr_assert_eq(kvm.pushes, 0);
	cr_assert_eq(msi_routes_remove(&routes, (unsigned int)ga), 0);
	check_table(1);
	cr_assert_null(find_gsi((unsigned int)ga));
	gc = msi_routes_add(&routes, &c);
	cr_assert_eq(gc, ga, "freed GSI reused");
	check_table(2);
	/* Not ours: SPI GSIs, unknown or freed MSI GSIs. */
	cr_assert_eq(msi_routes_set(&routes, 3, &a), -1);
	cr_assert_eq(msi_routes_remove(&routes, 3), -1);
	cr_assert_eq(msi_routes_remove(&routes, NR_SPIS + 77), -1);
	cr_assert_eq(msi_routes_remove(&routes, 0xffffffffU), -1);
	check_table(2);
}

Test(msi_routes, no_devid_without_the_capability)
{
	struct msi_route_msg m = { .addr = 0x8090040, .data = 3 };
	int gsi = msi_routes_add(&routes, &m);

	cr_assert_eq(find_gsi((unsigned int)gsi)->flags, 0);
	cr_assert_eq(find_gsi((unsigned int)gsi)->u.msi.devid, 0);
}

Test(msi_routes, refused_push_is_rolled_back)
{
	struct msi_route_msg a = its_msg(0, 8), b = its_msg(1, 8);
	int ga = msi_routes_add(&routes, &a);

	kvm.fail = true;
	cr_assert_eq(msi_routes_add(&routes, &b), -1);
	cr_assert_eq(msi_routes_set(&routes, (unsigned int)ga, &b), -1);
	cr_assert_eq(msi_routes_remove(&routes, (unsigned int)ga), -1);
	kvm.fail = false;
	/* Our copy still matches what KVM accepted last: one route, data 0. */
	kvm.pushes = 0;
	cr_assert_eq(msi_routes_set(&routes, (unsigned int)ga, &a), 0);
	cr_assert_eq(kvm.pushes, 0, "unchanged, so the failed set left it as it was");
	cr_assert_eq(msi_routes_add(&routes, &b), ga + 1);
	check_table(2);
}

Test(msi_routes, table_full)
{
	struct msi_route_msg m = its_msg(0, 8);

	for (unsigned int i = 0; i < MSI_ROUTES_MAX; i++)
		cr_assert_eq(msi_routes_add(&routes, &m), (int)(NR_SPIS + i));
	cr_assert_eq(msi_routes_add(&routes, &m), -1);
	check_table(MSI_ROUTES_MAX);
}
