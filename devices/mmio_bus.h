/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_MMIO_BUS_H
#define TINYVMM_MMIO_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Emulated MMIO regions, looked up on every trapped guest access. Regions
 * are registered before any vCPU runs and never change afterwards, so the
 * lookup needs no lock; devices lock their own state.
 */
typedef void (*mmio_handler_fn)(void *opaque, uint64_t offset, uint8_t *data,
				unsigned int len, bool is_write);

struct mmio_region {
	uint64_t base;
	uint64_t size;
	mmio_handler_fn handler;
	void *opaque;
	const char *name;
};

#define MMIO_BUS_MAX_REGIONS 40

struct mmio_bus {
	struct mmio_region regions[MMIO_BUS_MAX_REGIONS];
	unsigned int count;
	unsigned long unhandled;	/* accesses that hit no region */
};

/* Returns -1 if the bus is full or the region overlaps another. */
int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size,
		      mmio_handler_fn handler, void *opaque, const char *name);

/*
 * Route one access. Unclaimed reads return zeros and writes are dropped, the
 * way an unpopulated bus behaves; returns false for those.
 */
bool mmio_bus_access(struct mmio_bus *bus, uint64_t addr, uint8_t *data,
		     unsigned int len, bool is_write);

#endif
