/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_PATTERN_H
#define GUEST_TEST_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/*
 * The byte at stream offset @pos of the test pattern. Not periodic at any
 * small power of two, so dropped, duplicated or reordered segments show up.
 */
static inline uint8_t pattern_byte(uint64_t pos)
{
	uint32_t x = (uint32_t)(pos >> 2) * 2654435761u;

	return (uint8_t)(x >> (8 * (pos & 3)));
}

static inline void pattern_fill(uint8_t *buf, size_t len, uint64_t pos)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(pos + i);
}

/* Index of the first wrong byte, or @len if all match. */
static inline size_t pattern_check(const uint8_t *buf, size_t len, uint64_t pos)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern_byte(pos + i))
			return i;
	return len;
}

#define NETTEST_PORT 5201

#endif
