/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_MSI_ROUTES_H
#define TINYVMM_MSI_ROUTES_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The VM's whole GSI routing table. KVM_SET_GSI_ROUTING replaces the table
 * KVM has, so every push carries the default irqchip routes (GSI n -> SPI
 * n, which the existing SPI irqfds of virtio-mmio and the UART rely on)
 * followed by the MSI routes, which get GSIs from nr_spis up. The push
 * itself is a callback: KVM in vmm/core/msi_kvm.c, a recorder in the tests.
 * Push only after the vGIC is initialised (KVM sets its defaults then).
 */
#define MSI_ROUTES_MAX		128	/* MSI routes, on top of the SPI routes */

struct msi_route_msg {
	uint64_t addr;
	uint32_t data;
	bool has_devid;		/* KVM_MSI_VALID_DEVID: the ITS needs the device ID */
	uint32_t devid;
};

typedef int (*msi_routes_push_fn)(void *opaque, const struct kvm_irq_routing *table);

struct msi_routes {
	pthread_mutex_t lock;
	unsigned int nr_spis;
	bool used[MSI_ROUTES_MAX];
	struct msi_route_msg msi[MSI_ROUTES_MAX];	/* GSI nr_spis + index */
	struct kvm_irq_routing *table;	/* scratch, sized for every route */
	msi_routes_push_fn push;
	void *opaque;
	unsigned long pushes;
};

int msi_routes_init(struct msi_routes *r, unsigned int nr_spis, msi_routes_push_fn push,
		    void *opaque);
void msi_routes_destroy(struct msi_routes *r);

/* A new MSI route: its GSI, or -1 (table full, or KVM refused it). */
int msi_routes_add(struct msi_routes *r, const struct msi_route_msg *msg);

/* Change GSI @gsi's message (no push if unchanged); -1 if KVM refused it. */
int msi_routes_set(struct msi_routes *r, unsigned int gsi, const struct msi_route_msg *msg);

int msi_routes_remove(struct msi_routes *r, unsigned int gsi);

/* Fill @table (room for nr_spis + MSI_ROUTES_MAX entries); lock held or not running. */
void msi_routes_build(const struct msi_routes *r, struct kvm_irq_routing *table);

#endif
