/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_MSIX_H
#define TINYVMM_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/pci/pci_config.h"

/*
 * MSI-X (PCI Local Bus 3.0 §6.8.2): the capability in config space, the
 * vector table and the pending-bit array in memory BARs. A vector is
 * masked when its own mask bit, the function mask or a clear MSI-X Enable
 * says so; firing a masked vector sets its pending bit, and unmasking a
 * pending vector delivers it and clears the bit. The interrupt backend
 * (routes, irqfds) is told whenever a vector's message or mask changes.
 */
#define PCI_CAP_ID_MSIX		0x11
#define MSIX_CAP_LEN		12
#define MSIX_CAP_CTRL		2	/* message control, within the capability */
#define MSIX_CAP_TABLE		4	/* table offset | BIR */
#define MSIX_CAP_PBA		8	/* PBA offset | BIR */
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_MASKALL	0x4000
#define MSIX_CTRL_SIZE_MASK	0x07ff	/* table size - 1 */

#define MSIX_ENTRY_SIZE		16
#define MSIX_ENTRY_ADDR_LO	0
#define MSIX_ENTRY_ADDR_HI	4
#define MSIX_ENTRY_DATA		8
#define MSIX_ENTRY_CTRL		12
#define MSIX_ENTRY_MASKED	0x1

/* 2 per queue pair for 16 pairs, the control queue and config changes. */
#define MSIX_MAX_VECTORS	64

struct msix_msg {
	uint64_t addr;
	uint32_t data;
};

/*
 * Called with the MSI-X lock held (from a vCPU thread, or the thread that
 * fired): they must not call back into this msix.
 */
struct msix_ops {
	/* @vector's message or effective mask changed. */
	void (*vector_changed)(void *opaque, unsigned int vector, struct msix_msg msg,
			       bool masked);
	/* Send @vector's message now. */
	void (*deliver)(void *opaque, unsigned int vector, struct msix_msg msg);
	/*
	 * Optional, called WITHOUT the MSI-X lock (after the vectors'
	 * vector_changed calls): MSI-X Enable was turned on or off.
	 */
	void (*enable_changed)(void *opaque, bool enabled);
	/*
	 * Optional, WITHOUT the MSI-X lock: a guest write (table entry or
	 * message control) is done and its vector_changed calls with it; what
	 * they changed may now be acted on under locks that nest outside
	 * this one (a device's, to re-point its irqfds).
	 */
	void (*settled)(void *opaque);
	/*
	 * Optional: whether the backend holds a message for masked @vector
	 * that it sends at unmask (vhost signalled the vector's eventfd while
	 * it was masked). The PBA shows it as pending.
	 */
	bool (*backend_pending)(void *opaque, unsigned int vector);
	/* Optional: drop what the backend holds for @vector (msix_reset). */
	void (*discard_pending)(void *opaque, unsigned int vector);
};

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct msix {
	pthread_mutex_t lock;
	struct pci_config *cfg;
	unsigned int cap;		/* capability offset in config space */
	unsigned int nvectors;
	unsigned int table_bar, pba_bar;
	uint32_t table_off, pba_off;	/* inside their BARs */
	struct msix_entry table[MSIX_MAX_VECTORS];
	uint64_t pba[MSIX_MAX_VECTORS / 64];
	bool enabled, function_masked;	/* message control, as last written */
	const struct msix_ops *ops;
	void *opaque;
	unsigned long delivered, pended;	/* statistics */
	unsigned long pended_vec[MSIX_MAX_VECTORS];	/* pended, per vector */
};

static inline uint32_t msix_table_bytes(unsigned int nvectors)
{
	return nvectors * MSIX_ENTRY_SIZE;
}

static inline uint32_t msix_pba_bytes(unsigned int nvectors)
{
	return (nvectors + 63) / 64 * 8;
}

/*
 * Add the capability to @cfg with @nvectors vectors (1..MSIX_MAX_VECTORS),
 * the table at @table_off in BAR @table_bar and the PBA at @pba_off in BAR
 * @pba_bar (both 8-byte aligned, inside existing BARs, not overlapping).
 * Every vector starts masked. Returns -1 on a bad layout.
 */
int msix_init(struct msix *m, struct pci_config *cfg, unsigned int nvectors,
	      unsigned int table_bar, uint32_t table_off, unsigned int pba_bar, uint32_t pba_off,
	      const struct msix_ops *ops, void *opaque);
void msix_destroy(struct msix *m);
/*
 * Back to the reset state (MSI-X off, all masked, none pending, the
 * backend's pending messages discarded too); tells the backend.
 */
void msix_reset(struct msix *m);

/*
 * A guest access to BAR @bar at @offset: served and true if it falls in the
 * table or the PBA, false (nothing done) otherwise. Table entries take
 * aligned 32-bit and 64-bit accesses; other sizes read 0 and write nothing.
 */
bool msix_bar_access(struct msix *m, unsigned int bar, uint64_t offset, uint8_t *data,
		     unsigned int len, bool is_write);

/* The device signals @vector: delivered (true) or left pending (false). */
bool msix_fire(struct msix *m, unsigned int vector);

/* One vector's state, read at once; out-of-range vectors read masked, empty. */
struct msix_vector_info {
	struct msix_msg msg;
	bool masked, pending;	/* pending: as the PBA shows it */
};

struct msix_vector_info msix_vector_info(struct msix *m, unsigned int vector);
bool msix_enabled(struct msix *m);

#endif
