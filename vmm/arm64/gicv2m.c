// SPDX-License-Identifier: MIT
/*
 * GICv2m frame registers (ARM Server Base System Architecture, appendix on
 * GICv2m; Linux drivers/irqchip/irq-gic-v2m.c reads MSI_TYPER and IIDR).
 * MSI_TYPER[25:16] is the first INTID, [9:0] the number of SPIs.
 */
#include "vmm/arm64/gicv2m.h"

#include <string.h>

#define GIC_SPI_INTID_BASE 32

void gicv2m_init(struct gicv2m *f, uint64_t base, unsigned int first_spi, unsigned int nr_spis,
		 void (*raise_spi)(void *opaque, unsigned int spi), void *opaque)
{
	memset(f, 0, sizeof(*f));
	f->base = base;
	f->first_spi = first_spi;
	f->nr_spis = nr_spis;
	f->raise_spi = raise_spi;
	f->opaque = opaque;
}

/* @value as written to MSI_SETSPI_NS: the SPI it names, if it is one of ours. */
static bool spi_of(const struct gicv2m *f, uint32_t value, unsigned int *spi)
{
	uint32_t intid = value & GICV2M_INTID_MASK;

	if (intid < GIC_SPI_INTID_BASE + f->first_spi ||
	    intid - GIC_SPI_INTID_BASE - f->first_spi >= f->nr_spis)
		return false;
	*spi = intid - GIC_SPI_INTID_BASE;
	return true;
}

bool gicv2m_msi_spi(const struct gicv2m *f, uint64_t addr, uint32_t data, unsigned int *spi)
{
	return addr == f->base + GICV2M_MSI_SETSPI_NS && spi_of(f, data, spi);
}

static uint32_t read_reg(const struct gicv2m *f, uint64_t offset)
{
	switch (offset) {
	case GICV2M_MSI_TYPER:
		return (GIC_SPI_INTID_BASE + f->first_spi) << 16 | f->nr_spis;
	case GICV2M_MSI_IIDR:
		return GICV2M_IIDR_VALUE;
	default:
		return 0;
	}
}

void gicv2m_access(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		   bool is_write)
{
	struct gicv2m *f = opaque;
	uint32_t value = 0;
	unsigned int spi;

	if (!is_write) {
		/* 32-bit registers; other sizes and offsets read 0. */
		if (len == 4 && !(offset & 3))
			value = read_reg(f, offset);
		memset(data, 0, len);
		memcpy(data, &value, len < 4 ? len : 4);
		return;
	}
	if (offset != GICV2M_MSI_SETSPI_NS || (len != 2 && len != 4)) {
		__atomic_add_fetch(&f->ignored_writes, 1, __ATOMIC_RELAXED);
		return;
	}
	memcpy(&value, data, len);
	if (!spi_of(f, value, &spi)) {
		__atomic_add_fetch(&f->ignored_writes, 1, __ATOMIC_RELAXED);
		return;
	}
	if (f->raise_spi)
		f->raise_spi(f->opaque, spi);
}
