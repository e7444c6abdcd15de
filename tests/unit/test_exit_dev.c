// SPDX-License-Identifier: MIT
/* The --exit-device register, with hostile accesses, through the MMIO bus. */
#include <criterion/criterion.h>
#include <string.h>

#include "devices/exit_dev.h"
#include "devices/mmio_bus.h"
#include "vmm/arm64/layout.h"

static struct mmio_bus bus;
static struct exit_dev dev;
static unsigned int requests, last_status;
static uint32_t last_written;

static void request_exit(void *opaque, unsigned int status, uint32_t written)
{
	cr_assert_eq(opaque, &dev);
	requests++;
	last_status = status;
	last_written = written;
}

static void setup(void)
{
	struct exit_dev_ops ops = { .request_exit = request_exit, .opaque = &dev };

	memset(&bus, 0, sizeof(bus));
	requests = 0;
	exit_dev_init(&dev, &ops);
	cr_assert_eq(mmio_bus_register(&bus, LAYOUT_EXIT_DEVICE_BASE, LAYOUT_EXIT_DEVICE_SIZE,
				       exit_dev_mmio, &dev, "exit"), 0);
}

TestSuite(exit_dev, .init = setup);

static void write32(uint64_t offset, uint32_t v)
{
	uint8_t data[4] = { v, v >> 8, v >> 16, v >> 24 };

	mmio_bus_access(&bus, LAYOUT_EXIT_DEVICE_BASE + offset, data, 4, true);
}

Test(exit_dev, status_write_ends_the_run_mod_256)
{
	static const uint32_t values[] = { 0, 1, 42, 255, 256, 0x1ff, 0xdeadbeef };

	for (unsigned int i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		write32(EXIT_DEV_STATUS, values[i]);
		cr_assert_eq(requests, i + 1);
		cr_assert_eq(last_status, values[i] & 0xff, "wrote 0x%x", values[i]);
		cr_assert_eq(last_written, values[i]);
	}
	cr_assert_eq(dev.ignored, 0);
}

Test(exit_dev, other_widths_are_ignored)
{
	uint8_t data[8] = { 7, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned int widths[] = { 1, 2, 8 };

	for (unsigned int i = 0; i < 3; i++)
		mmio_bus_access(&bus, LAYOUT_EXIT_DEVICE_BASE, data, widths[i], true);
	cr_assert_eq(requests, 0);
	cr_assert_eq(dev.ignored, 3);
}

Test(exit_dev, other_offsets_are_ignored)
{
	static const uint64_t offsets[] = { 1, 2, 3, 4, 8, 0x100, LAYOUT_EXIT_DEVICE_SIZE - 4 };

	for (unsigned int i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
		write32(offsets[i], 3);
	cr_assert_eq(requests, 0);
	cr_assert_eq(dev.ignored, sizeof(offsets) / sizeof(offsets[0]));
}

Test(exit_dev, reads_return_zero_and_do_nothing)
{
	uint8_t data[8];

	for (uint64_t off = 0; off < 16; off += 4) {
		memset(data, 0xaa, sizeof(data));
		mmio_bus_access(&bus, LAYOUT_EXIT_DEVICE_BASE + off, data, 8, false);
		for (int i = 0; i < 8; i++)
			cr_assert_eq(data[i], 0);
	}
	cr_assert_eq(requests, 0);
	cr_assert_eq(dev.ignored, 4);
}

Test(exit_dev, access_straddling_the_end_never_reaches_it)
{
	uint8_t data[8] = { 1 };

	/* The bus refuses an access that does not fit the region. */
	mmio_bus_access(&bus, LAYOUT_EXIT_DEVICE_BASE + LAYOUT_EXIT_DEVICE_SIZE - 2, data, 4, true);
	mmio_bus_access(&bus, LAYOUT_EXIT_DEVICE_BASE + LAYOUT_EXIT_DEVICE_SIZE, data, 4, true);
	cr_assert_eq(requests, 0);
	cr_assert_eq(dev.ignored, 0);
	cr_assert_eq(bus.unhandled, 2);
}
