/* SPDX-License-Identifier: MIT */
/*
 * Guest accesses through an MMIO bus, or straight to one device's MMIO
 * handler (offsets outside its region too): little-endian values of 1-8 bytes.
 */
#ifndef TINYVMM_TEST_BUS_ACCESS_H
#define TINYVMM_TEST_BUS_ACCESS_H

#include <stdint.h>
#include <string.h>

#include "devices/mmio_bus.h"

/* A read of @len bytes at @addr; the first 4 bytes as a value. */
static inline uint32_t bus_rd(struct mmio_bus *bus, uint64_t addr, unsigned int len)
{
	uint8_t b[8] = { 0 };
	uint32_t v = 0;

	mmio_bus_access(bus, addr, b, len, false);
	memcpy(&v, b, len < 4 ? len : 4);
	return v;
}

/* A write of the low @len bytes of @v at @addr. */
static inline void bus_wr(struct mmio_bus *bus, uint64_t addr, unsigned int len, uint64_t v)
{
	uint8_t b[8];

	memcpy(b, &v, 8);
	mmio_bus_access(bus, addr, b, len, true);
}

/* A read of @len bytes at @off of one device; bytes it leaves unwritten read 0xcc. */
static inline uint32_t dev_rd(mmio_handler_fn handler, void *dev, uint64_t off, unsigned int len)
{
	uint8_t b[8];
	uint32_t v = 0;

	memset(b, 0xcc, sizeof(b));
	handler(dev, off, b, len, false);
	memcpy(&v, b, len < 4 ? len : 4);
	return v;
}

/* A write of the low @len bytes of @v at @off of one device. */
static inline void dev_wr(mmio_handler_fn handler, void *dev, uint64_t off, unsigned int len,
			  uint64_t v)
{
	uint8_t b[8];

	memcpy(b, &v, 8);
	handler(dev, off, b, len, true);
}

#endif
