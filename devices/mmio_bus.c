// SPDX-License-Identifier: MIT
#include "devices/mmio_bus.h"

#include <string.h>

static bool overlaps(const struct mmio_region *r, uint64_t base, uint64_t size)
{
	return base < r->base + r->size && r->base < base + size;
}

int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size,
		      mmio_handler_fn handler, void *opaque, const char *name)
{
	if (bus->count == MMIO_BUS_MAX_REGIONS || size == 0 || base + size < base)
		return -1;
	for (unsigned int i = 0; i < bus->count; i++)
		if (overlaps(&bus->regions[i], base, size))
			return -1;
	bus->regions[bus->count++] = (struct mmio_region){
		.base = base, .size = size, .handler = handler,
		.opaque = opaque, .name = name,
	};
	return 0;
}

bool mmio_bus_access(struct mmio_bus *bus, uint64_t addr, uint8_t *data,
		     unsigned int len, bool is_write)
{
	for (unsigned int i = 0; i < bus->count; i++) {
		struct mmio_region *r = &bus->regions[i];

		/* The whole access must fit in the region; len is at most 8. */
		if (addr >= r->base && addr - r->base < r->size &&
		    len <= r->size - (addr - r->base)) {
			r->handler(r->opaque, addr - r->base, data, len, is_write);
			return true;
		}
	}
	__atomic_add_fetch(&bus->unhandled, 1, __ATOMIC_RELAXED);
	if (!is_write)
		memset(data, 0, len);
	return false;
}
