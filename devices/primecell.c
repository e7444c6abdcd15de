// SPDX-License-Identifier: MIT
#include "devices/primecell.h"

/* PCellID0-3: the same for every PrimeCell (AMBA "component ID" 0xb105f00d). */
static const uint8_t pcell_id[4] = { 0x0d, 0xf0, 0x05, 0xb1 };

bool primecell_decode(uint64_t offset, unsigned int len, bool is_write, uint32_t *reg)
{
	unsigned int lane = (unsigned int)(offset & 3);

	if (offset >= PRIMECELL_MMIO_SIZE || (len != 1 && len != 2 && len != 4))
		return false;
	if (is_write ? lane != 0 : lane + len > 4)
		return false;
	*reg = (uint32_t)(offset - lane);
	return true;
}

uint32_t primecell_write_value(const uint8_t *data, unsigned int len)
{
	uint32_t value = 0;

	for (unsigned int i = 0; i < len && i < 4; i++)
		value |= (uint32_t)data[i] << (8 * i);
	return value;
}

void primecell_read_lanes(uint32_t value, uint64_t offset, uint8_t *data, unsigned int len)
{
	unsigned int lane = (unsigned int)(offset & 3);

	for (unsigned int i = 0; i < len; i++)
		data[i] = lane + i < 4 ? (uint8_t)(value >> (8 * (lane + i))) : 0;
}

bool primecell_id_read(const uint8_t periph_id[4], uint32_t reg, uint32_t *value)
{
	unsigned int i;

	if (reg < PRIMECELL_ID_BASE || reg >= PRIMECELL_MMIO_SIZE || (reg & 3))
		return false;
	i = (reg - PRIMECELL_ID_BASE) / 4;
	*value = i < 4 ? periph_id[i] : pcell_id[i - 4];
	return true;
}
