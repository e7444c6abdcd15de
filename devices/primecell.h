/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_PRIMECELL_H
#define TINYVMM_PRIMECELL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * What the ARM PrimeCell peripherals (PL011, PL031) share: a 4 KiB frame of
 * 32-bit registers on APB, ending in the eight identification registers
 * that Linux's AMBA bus reads (as 32-bit words) before it binds a driver:
 * PeriphID0-3 at 0xfe0-0xfec, PCellID0-3 (always 0d f0 05 b1) at 0xff0-0xffc.
 */
#define PRIMECELL_MMIO_SIZE	0x1000
#define PRIMECELL_ID_BASE	0xfe0

/*
 * The register a guest access reaches, as APB decodes it: reads of 1, 2 or 4
 * bytes inside one 32-bit word read that whole register (with its side
 * effects) and return the lanes asked for; writes of 1, 2 or 4 bytes at the
 * start of a word write the register with the value zero-extended. Anything
 * else (8 bytes, crossing a word, a narrow write into the middle of one,
 * outside the frame) reaches no register: false, and the access must read as
 * zeros and write nothing.
 */
bool primecell_decode(uint64_t offset, unsigned int len, bool is_write, uint32_t *reg);

/* The value of a write that primecell_decode() accepted (little-endian bytes). */
uint32_t primecell_write_value(const uint8_t *data, unsigned int len);

/* Fill a read that primecell_decode() accepted from the register's 32-bit value. */
void primecell_read_lanes(uint32_t value, uint64_t offset, uint8_t *data, unsigned int len);

/*
 * @reg is one of the eight ID registers: *@value is its byte from @periph_id
 * (PeriphID0-3; the PCellIDs are fixed) and true.
 */
bool primecell_id_read(const uint8_t periph_id[4], uint32_t reg, uint32_t *value);

#endif
