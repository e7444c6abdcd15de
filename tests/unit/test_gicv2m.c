// SPDX-License-Identifier: MIT
/* GICv2m frame: MSI_TYPER/IIDR decode, MSI_SETSPI_NS, MSI -> SPI mapping. */
#include <criterion/criterion.h>
#include <string.h>

#include "bus_access.h"
#include "devices/mmio_bus.h"
#include "vmm/arm64/gicv2m.h"
#include "vmm/arm64/layout.h"

static struct gicv2m frame;
static struct mmio_bus bus;	/* the frame on it, as the guest sees it */
static unsigned int raised[8], nraised;

static void raise_spi(void *opaque, unsigned int spi)
{
	if (nraised < 8)
		raised[nraised] = spi;
	nraised++;
}

static void setup(void)
{
	nraised = 0;
	gicv2m_init(&frame, LAYOUT_GICV2M_BASE, LAYOUT_GICV2M_FIRST_SPI, LAYOUT_GICV2M_NR_SPIS,
		    raise_spi, NULL);
	memset(&bus, 0, sizeof(bus));
	cr_assert_eq(mmio_bus_register(&bus, LAYOUT_GICV2M_BASE, LAYOUT_GICV2M_SIZE,
				       gicv2m_access, &frame, "gicv2m"), 0);
}

TestSuite(gicv2m, .init = setup);

static uint32_t rd(uint64_t off, unsigned int len)
{
	return bus_rd(&bus, LAYOUT_GICV2M_BASE + off, len);
}

static void wr(uint64_t off, unsigned int len, uint32_t v)
{
	bus_wr(&bus, LAYOUT_GICV2M_BASE + off, len, v);
}

Test(gicv2m, typer_as_linux_decodes_it)
{
	uint32_t typer = rd(GICV2M_MSI_TYPER, 4);

	/* irq-gic-v2m.c: base = (typer >> 16) & 0x3ff is an INTID (>= 32), num = typer & 0x3ff. */
	cr_assert_eq((typer >> 16) & 0x3ff, 32 + LAYOUT_GICV2M_FIRST_SPI);
	cr_assert_eq(typer & 0x3ff, LAYOUT_GICV2M_NR_SPIS);
	cr_assert_eq(typer, (96U << 16) | 32U);
	cr_assert_eq(rd(GICV2M_MSI_IIDR, 4), GICV2M_IIDR_VALUE);
	/* Anything else reads 0, whatever the size. */
	cr_assert_eq(rd(0x000, 4), 0);
	cr_assert_eq(rd(GICV2M_MSI_SETSPI_NS, 4), 0);
	cr_assert_eq(rd(GICV2M_MSI_TYPER, 2), 0);
	cr_assert_eq(rd(GICV2M_MSI_TYPER + 1, 4), 0);
	cr_assert_eq(rd(0xffc, 4), 0);
}

Test(gicv2m, setspi_raises_only_its_spis)
{
	wr(GICV2M_MSI_SETSPI_NS, 4, 96);
	wr(GICV2M_MSI_SETSPI_NS, 4, 127);
	wr(GICV2M_MSI_SETSPI_NS, 2, 100);
	cr_assert_eq(nraised, 3);
	cr_assert_eq(raised[0], 64);
	cr_assert_eq(raised[1], 95);
	cr_assert_eq(raised[2], 68);
	/* Out of range, wrong size or offset: ignored and counted. */
	wr(GICV2M_MSI_SETSPI_NS, 4, 95);
	wr(GICV2M_MSI_SETSPI_NS, 4, 128);
	wr(GICV2M_MSI_SETSPI_NS, 4, 33);	/* the UART's INTID */
	wr(GICV2M_MSI_SETSPI_NS, 1, 96);
	wr(GICV2M_MSI_TYPER, 4, 96);
	wr(GICV2M_MSI_SETSPI_NS + 4, 4, 96);
	cr_assert_eq(nraised, 3);
	cr_assert_eq(frame.ignored_writes, 6);
	/* Bits above 9:0 are not part of the INTID. */
	wr(GICV2M_MSI_SETSPI_NS, 4, 0xfffffc00U | 97);
	cr_assert_eq(nraised, 4);
	cr_assert_eq(raised[3], 65);
	/* TYPER did not change. */
	cr_assert_eq(rd(GICV2M_MSI_TYPER, 4), (96U << 16) | 32U);
}

Test(gicv2m, msi_to_spi)
{
	unsigned int spi = 0;

	cr_assert(gicv2m_msi_spi(&frame, LAYOUT_GICV2M_BASE + GICV2M_MSI_SETSPI_NS, 96, &spi));
	cr_assert_eq(spi, 64);
	cr_assert(gicv2m_msi_spi(&frame, LAYOUT_GICV2M_BASE + 0x40, 127, &spi));
	cr_assert_eq(spi, 95);
	cr_assert_not(gicv2m_msi_spi(&frame, LAYOUT_GICV2M_BASE + 0x40, 128, &spi));
	cr_assert_not(gicv2m_msi_spi(&frame, LAYOUT_GICV2M_BASE + 0x40, 48, &spi));
	cr_assert_not(gicv2m_msi_spi(&frame, LAYOUT_GICV2M_BASE, 96, &spi));
	cr_assert_not(gicv2m_msi_spi(&frame, LAYOUT_GICV2M_BASE + 0x40 + (1ULL << 32), 96, &spi));
}

Test(gicv2m, through_the_mmio_bus)
{
	uint8_t b[4];

	cr_assert(mmio_bus_access(&bus, LAYOUT_GICV2M_BASE + GICV2M_MSI_TYPER, b, 4, false));
	cr_assert_eq(b[2], 96);
	memcpy(b, &(uint32_t){ 99 }, 4);
	cr_assert(mmio_bus_access(&bus, LAYOUT_GICV2M_BASE + GICV2M_MSI_SETSPI_NS, b, 4, true));
	cr_assert_eq(nraised, 1);
	cr_assert_eq(raised[0], 67);
}
