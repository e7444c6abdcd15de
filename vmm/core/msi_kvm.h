/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_MSI_KVM_H
#define TINYVMM_MSI_KVM_H

#include <stdbool.h>

#include "vmm/arm64/gic.h"
#include "vmm/core/kvm.h"
#include "vmm/msi/msi.h"
#include "vmm/msi/msi_routes.h"

/*
 * The KVM ioctls behind vmm/msi/msi.c and vmm/msi/msi_routes.c (arm64 only). The
 * opaque argument of each is the struct kvm.
 */
extern const struct msi_kvm_ops msi_kvm_ops;

/* msi_routes_push_fn: KVM_SET_GSI_ROUTING with the whole table. */
int msi_kvm_set_routing(void *opaque, const struct kvm_irq_routing *table);

/* KVM_CAP_MSI_DEVID on the VM fd: ask after creating the ITS. */
bool msi_kvm_has_devid(struct kvm *kvm);

/* The mode this VM gets, from its vGIC (after gic_its_create was tried). */
enum msi_mode msi_kvm_mode(const struct gic *gic);

#endif
