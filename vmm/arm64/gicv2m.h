/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_GICV2M_H
#define TINYVMM_GICV2M_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A GICv2m MSI frame ("arm,gic-v2m-frame"): on a GICv2 host it turns an
 * MSI into an SPI. The guest learns the SPI range from MSI_TYPER and points
 * its devices' MSIs at MSI_SETSPI_NS with the SPI's INTID as data. tinyvmm
 * never needs the write to happen: an MSI-X vector whose message decodes
 * to one of our SPIs gets an irqfd on that SPI (gicv2m_msi_spi()). A CPU
 * write to MSI_SETSPI_NS still raises the SPI, as the hardware does.
 */
#define GICV2M_FRAME_SIZE	0x1000
#define GICV2M_MSI_TYPER	0x008
#define GICV2M_MSI_SETSPI_NS	0x040
#define GICV2M_MSI_IIDR		0xfcc
#define GICV2M_INTID_MASK	0x3ff	/* MSI_SETSPI_NS: the INTID is in bits 9:0 */
#define GICV2M_IIDR_VALUE	0	/* no implementer: matches none of Linux's quirks */

struct gicv2m {
	uint64_t base;
	unsigned int first_spi;	/* SPI numbers (INTID - 32) */
	unsigned int nr_spis;
	void (*raise_spi)(void *opaque, unsigned int spi);
	void *opaque;
	unsigned long ignored_writes;	/* writes outside MSI_SETSPI_NS or its range */
};

void gicv2m_init(struct gicv2m *f, uint64_t base, unsigned int first_spi, unsigned int nr_spis,
		 void (*raise_spi)(void *opaque, unsigned int spi), void *opaque);

/* mmio_handler_fn for the frame (@opaque: the struct gicv2m). */
void gicv2m_access(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		   bool is_write);

/* The SPI an MSI (@addr, @data) raises through this frame; false if none. */
bool gicv2m_msi_spi(const struct gicv2m *f, uint64_t addr, uint32_t data, unsigned int *spi);

#endif
