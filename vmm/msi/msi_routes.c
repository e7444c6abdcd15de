// SPDX-License-Identifier: MIT
/*
 * GSI routing bookkeeping (Documentation/virt/kvm/api.rst,
 * KVM_SET_GSI_ROUTING). On arm64 an irqchip route's pin is the SPI number
 * (INTID - 32), the same numbering KVM's default table uses. A change the
 * kernel refuses is rolled back, so our copy always matches KVM's.
 */
#include "vmm/msi/msi_routes.h"

#include <stdlib.h>
#include <string.h>

#include "lib/dev_lock.h"

int msi_routes_init(struct msi_routes *r, unsigned int nr_spis, msi_routes_push_fn push,
		    void *opaque)
{
	size_t n = nr_spis + (size_t)MSI_ROUTES_MAX;

	memset(r, 0, sizeof(*r));
	r->table = calloc(1, sizeof(*r->table) + n * sizeof(r->table->entries[0]));
	if (!r->table)
		return -1;
	pthread_mutex_init(&r->lock, NULL);
	r->nr_spis = nr_spis;
	r->push = push;
	r->opaque = opaque;
	return 0;
}

void msi_routes_destroy(struct msi_routes *r)
{
	if (!r->table)
		return;
	free(r->table);
	r->table = NULL;
	pthread_mutex_destroy(&r->lock);
}

static void msi_entry(struct kvm_irq_routing_entry *e, unsigned int gsi,
		      const struct msi_route_msg *m)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->flags = m->has_devid ? KVM_MSI_VALID_DEVID : 0;
	e->u.msi.address_lo = (uint32_t)m->addr;
	e->u.msi.address_hi = (uint32_t)(m->addr >> 32);
	e->u.msi.data = m->data;
	if (m->has_devid)
		e->u.msi.devid = m->devid;
}

void msi_routes_build(const struct msi_routes *r, struct kvm_irq_routing *table)
{
	unsigned int n = 0;

	for (unsigned int spi = 0; spi < r->nr_spis; spi++, n++) {
		struct kvm_irq_routing_entry *e = &table->entries[n];

		memset(e, 0, sizeof(*e));
		e->gsi = spi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = 0;
		e->u.irqchip.pin = spi;
	}
	for (unsigned int i = 0; i < MSI_ROUTES_MAX; i++)
		if (r->used[i])
			msi_entry(&table->entries[n++], r->nr_spis + i, &r->msi[i]);
	table->nr = n;
	table->flags = 0;
}

static int push_locked(struct msi_routes *r)
{
	msi_routes_build(r, r->table);
	r->pushes++;
	return r->push ? r->push(r->opaque, r->table) : 0;
}

int msi_routes_add(struct msi_routes *r, const struct msi_route_msg *msg)
{
	int gsi = -1;

	dev_lock(&r->lock);
	for (unsigned int i = 0; i < MSI_ROUTES_MAX; i++) {
		if (r->used[i])
			continue;
		r->used[i] = true;
		r->msi[i] = *msg;
		if (push_locked(r))
			r->used[i] = false;
		else
			gsi = (int)(r->nr_spis + i);
		break;
	}
	dev_unlock(&r->lock);
	return gsi;
}

/* The MSI slot of @gsi, or -1 if @gsi is no MSI route of ours. */
static int slot_of(const struct msi_routes *r, unsigned int gsi)
{
	if (gsi < r->nr_spis || gsi - r->nr_spis >= MSI_ROUTES_MAX || !r->used[gsi - r->nr_spis])
		return -1;
	return (int)(gsi - r->nr_spis);
}

static bool same_msg(const struct msi_route_msg *a, const struct msi_route_msg *b)
{
	return a->addr == b->addr && a->data == b->data && a->has_devid == b->has_devid &&
	       (!a->has_devid || a->devid == b->devid);
}

int msi_routes_set(struct msi_routes *r, unsigned int gsi, const struct msi_route_msg *msg)
{
	int i, ret = 0;
	struct msi_route_msg old;

	dev_lock(&r->lock);
	i = slot_of(r, gsi);
	if (i < 0) {
		ret = -1;
	} else if (!same_msg(&r->msi[i], msg)) {
		old = r->msi[i];
		r->msi[i] = *msg;
		ret = push_locked(r);
		if (ret)
			r->msi[i] = old;
	}
	dev_unlock(&r->lock);
	return ret ? -1 : 0;
}

int msi_routes_remove(struct msi_routes *r, unsigned int gsi)
{
	int i, ret = -1;

	dev_lock(&r->lock);
	i = slot_of(r, gsi);
	if (i >= 0) {
		r->used[i] = false;
		ret = push_locked(r);
		if (ret)
			r->used[i] = true;
	}
	dev_unlock(&r->lock);
	return ret ? -1 : 0;
}
