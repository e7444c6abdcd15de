/* SPDX-License-Identifier: MIT */
/* The PCI tests' bus: one virtio-pci function behind tinyvmm's host bridge. */
#ifndef TINYVMM_TEST_PCI_FIXTURE_H
#define TINYVMM_TEST_PCI_FIXTURE_H

#include <criterion/criterion.h>
#include <string.h>

#include "devices/mmio_bus.h"
#include "devices/pci/pci_host.h"
#include "devices/virtio/virtio_pci.h"
#include "vmm/arm64/layout.h"

/* A fresh host bridge at tinyvmm's ECAM/MMIO windows on @bus, @vp at @slot. */
static inline void pci_fixture_plug(struct pci_host *host, struct mmio_bus *bus,
				    unsigned int slot, struct virtio_pci *vp)
{
	memset(bus, 0, sizeof(*bus));
	pci_host_init(host, LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_MMIO32_BASE, LAYOUT_PCI_MMIO32_SIZE,
		      0, 0);
	cr_assert_eq(pci_host_add(host, slot, &vp->cfg, virtio_pci_bar_access, vp), 0);
	cr_assert_eq(pci_host_register(host, bus), 0);
}

/* The ECAM address of config register @reg of the function at @slot (bus 0, fn 0). */
static inline uint64_t pci_fixture_ecam(unsigned int slot, unsigned int reg)
{
	return LAYOUT_PCI_ECAM_BASE + ((uint64_t)slot << 15) + reg;
}

#endif
