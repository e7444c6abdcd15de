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

/* A guest reboot, vCPUs stopped: virtio reset and the PCI function's power-on state. */
void vm_pci_reset(struct vm *vm);
void vm_pci_destroy(struct vm *vm);

#endif
