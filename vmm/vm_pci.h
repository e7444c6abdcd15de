/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VM_PCI_H
#define TINYVMM_VM_PCI_H

#include "fdt/fdt.h"
#include "lib/util.h"
#include "vmm/msi.h"

struct vm;

/*
 * --transport pci: virtio-net as a virtio-pci function on an ECAM host
 * bridge, its MSI-X vectors delivered by the mode this host gets (vmm/msi.h).
 */

/* After gic_create, before the vCPUs: the vITS on GICv3 (else INTx), the v2m frame on GICv2. */
int vm_pci_prepare(struct vm *vm, struct tvm_error *err);

/* The PCI host bridge and its MSI controller for the device tree. */
void vm_pci_fdt(const struct vm *vm, struct fdt_pci *pci);

/* After virtio_net_init and gic_finalize: the function, its vectors, the routes, the bus. */
int vm_pci_add_net(struct vm *vm, struct tvm_error *err);

enum msi_mode vm_pci_msi_mode(const struct vm *vm);

/* For the banner: "virtio-pci, MSI-X via ITS (3 vectors)", or "virtio-pci, INTx (...)". */
void vm_pci_describe(const struct vm *vm, char *buf, size_t size);

struct json;
/*
 * network.pci in --report-json: null on virtio-mmio; per MSI-X vector the
 * queues the driver gave it (as of the last DRIVER_OK) and what tinyvmm can
 * count. Messages vhost sends through a vector's irqfd never pass through
 * tinyvmm and KVM exposes no per-irqfd count: they are not in these numbers.
 */
void vm_pci_write_json(struct json *j, const struct vm *vm);

/* The exit line on stderr (unless --quiet): call before the device is destroyed. */
void vm_pci_report(const struct vm *vm);

void vm_pci_destroy(struct vm *vm);

#endif
