/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_PCI_HOST_H
#define TINYVMM_PCI_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/mmio_bus.h"
#include "devices/pci/pci_config.h"

/*
 * A generic ECAM PCI host bridge ("pci-host-ecam-generic"): bus 0 only,
 * 32 device slots, function 0 only. It decodes the ECAM window to a
 * function's configuration space and sends accesses in its MMIO windows to
 * the function whose enabled BAR covers them. One lock serialises config
 * accesses (BAR moves, capability hooks) and the BAR lookup; the BAR
 * handlers run outside it and lock their own state.
 */
#define PCI_HOST_SLOTS		32
#define PCI_ECAM_BUS_SIZE	(1ULL << 20)	/* 32 devices x 8 functions x 4 KiB */

/* @offset is inside BAR @bar; @len is 1, 2, 4 or 8. */
typedef void (*pci_bar_access_fn)(void *opaque, unsigned int bar, uint64_t offset,
				  uint8_t *data, unsigned int len, bool is_write);

struct pci_host_slot {
	struct pci_config *cfg;		/* NULL: empty slot */
	pci_bar_access_fn bar_access;
	void *opaque;
};

struct pci_host;

struct pci_window {
	struct pci_host *host;
	uint64_t base, size;		/* size 0: no such window */
};

enum { PCI_WINDOW_MMIO32, PCI_WINDOW_MMIO64, PCI_NUM_WINDOWS };

struct pci_host {
	pthread_mutex_t lock;
	uint64_t ecam_base;
	struct pci_window windows[PCI_NUM_WINDOWS];
	struct pci_host_slot slots[PCI_HOST_SLOTS];
	unsigned long unclaimed;	/* window accesses no BAR decoded */
};

void pci_host_init(struct pci_host *host, uint64_t ecam_base, uint64_t mmio32_base,
		   uint64_t mmio32_size, uint64_t mmio64_base, uint64_t mmio64_size);
void pci_host_destroy(struct pci_host *host);

/* Plug a function into @slot (before the guest runs); -1 if taken or invalid. */
int pci_host_add(struct pci_host *host, unsigned int slot, struct pci_config *cfg,
		 pci_bar_access_fn bar_access, void *opaque);

/* Register the ECAM window and the MMIO windows on @bus. */
int pci_host_register(struct pci_host *host, struct mmio_bus *bus);

/* The PCI requester ID of @slot's function 0 (bus 0): the ITS device ID. */
static inline uint32_t pci_host_requester_id(unsigned int slot)
{
	return slot << 3;
}

/* mmio_handler_fn for the ECAM window (@opaque: the host). */
void pci_host_ecam_access(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
			  bool is_write);

/* mmio_handler_fn for an MMIO window (@opaque: its struct pci_window). */
void pci_host_window_access(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
			    bool is_write);

#endif
