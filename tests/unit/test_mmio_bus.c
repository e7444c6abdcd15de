// SPDX-License-Identifier: MIT
/* MMIO bus: region registration and access dispatch. */
#include <criterion/criterion.h>
#include <string.h>

#include "devices/mmio_bus.h"

struct rec {
	unsigned int calls;
	uint64_t offset;
	unsigned int len;
	bool is_write;
	uint8_t written[8];
	uint8_t fill;	/* value returned on reads */
};

static struct mmio_bus bus;
static struct rec ra, rb;

static void handler(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		    bool is_write)
{
	struct rec *r = opaque;

	r->calls++;
	r->offset = offset;
	r->len = len;
	r->is_write = is_write;
	if (is_write)
		memcpy(r->written, data, len);
	else
		memset(data, r->fill, len);
}

static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	ra.fill = 0xa1;
	rb.fill = 0xb2;
}

TestSuite(mmio_bus, .init = setup);

Test(mmio_bus, register_and_overlap_rejection)
{
	cr_assert_eq(mmio_bus_register(&bus, 0x1000, 0x100, handler, &ra, "a"), 0);
	cr_assert_eq(bus.count, 1);
	cr_assert_str_eq(bus.regions[0].name, "a");
	/* Identical, inside, straddling start, straddling end, covering. */
	cr_assert_eq(mmio_bus_register(&bus, 0x1000, 0x100, handler, &rb, "b"), -1);
	cr_assert_eq(mmio_bus_register(&bus, 0x1010, 0x10, handler, &rb, "b"), -1);
	cr_assert_eq(mmio_bus_register(&bus, 0x0f00, 0x101, handler, &rb, "b"), -1);
	cr_assert_eq(mmio_bus_register(&bus, 0x10ff, 0x10, handler, &rb, "b"), -1);
	cr_assert_eq(mmio_bus_register(&bus, 0x0000, 0x10000, handler, &rb, "b"), -1);
	cr_assert_eq(bus.count, 1);
	/* Adjacent on both sides is fine. */
	cr_assert_eq(mmio_bus_register(&bus, 0x0f00, 0x100, handler, &rb, "below"), 0);
	cr_assert_eq(mmio_bus_register(&bus, 0x1100, 0x100, handler, &rb, "above"), 0);
	cr_assert_eq(bus.count, 3);
}

Test(mmio_bus, degenerate_regions_rejected)
{
	cr_assert_eq(mmio_bus_register(&bus, 0x1000, 0, handler, &ra, "empty"), -1);
	cr_assert_eq(mmio_bus_register(&bus, UINT64_MAX - 0xff, 0x200, handler, &ra, "wrap"), -1);
	cr_assert_eq(bus.count, 0);
}

Test(mmio_bus, full_bus)
{
	for (unsigned int i = 0; i < MMIO_BUS_MAX_REGIONS; i++)
		cr_assert_eq(mmio_bus_register(&bus, 0x10000 + i * 0x1000ULL, 0x1000, handler,
					       &ra, "r"), 0, "region %u", i);
	cr_assert_eq(bus.count, MMIO_BUS_MAX_REGIONS);
	cr_assert_eq(mmio_bus_register(&bus, 0x900000, 0x1000, handler, &ra, "extra"), -1);
	cr_assert_eq(bus.count, MMIO_BUS_MAX_REGIONS);
}

Test(mmio_bus, dispatch_with_offset)
{
	uint8_t d[8];

	cr_assert_eq(mmio_bus_register(&bus, 0x09000000, 0x1000, handler, &ra, "uart"), 0);
	cr_assert_eq(mmio_bus_register(&bus, 0x0a000000, 0x200, handler, &rb, "virtio"), 0);

	memset(d, 0, sizeof(d));
	cr_assert(mmio_bus_access(&bus, 0x09000005, d, 1, false));
	cr_assert_eq(ra.calls, 1);
	cr_assert_eq(ra.offset, 5);
	cr_assert_eq(ra.len, 1);
	cr_assert_not(ra.is_write);
	cr_assert_eq(d[0], 0xa1);
	cr_assert_eq(rb.calls, 0);

	memcpy(d, "\x11\x22\x33\x44", 4);
	cr_assert(mmio_bus_access(&bus, 0x0a000070, d, 4, true));
	cr_assert_eq(rb.calls, 1);
	cr_assert_eq(rb.offset, 0x70);
	cr_assert_eq(rb.len, 4);
	cr_assert(rb.is_write);
	cr_assert_arr_eq(rb.written, "\x11\x22\x33\x44", 4);
	cr_assert_eq(ra.calls, 1);

	/* First and last bytes of a region. */
	cr_assert(mmio_bus_access(&bus, 0x0a000000, d, 8, false));
	cr_assert_eq(rb.offset, 0);
	cr_assert(mmio_bus_access(&bus, 0x0a0001f8, d, 8, false));
	cr_assert_eq(rb.offset, 0x1f8);
	cr_assert(mmio_bus_access(&bus, 0x09000fff, d, 1, true));
	cr_assert_eq(ra.offset, 0xfff);
	cr_assert_eq(bus.unhandled, 0);
}

Test(mmio_bus, straddling_access_not_dispatched)
{
	uint8_t d[8];

	cr_assert_eq(mmio_bus_register(&bus, 0x1000, 0x100, handler, &ra, "a"), 0);
	cr_assert_eq(mmio_bus_register(&bus, 0x1100, 0x100, handler, &rb, "b"), 0);
	memset(d, 0xff, sizeof(d));
	cr_assert_not(mmio_bus_access(&bus, 0x10fc, d, 8, false));
	cr_assert_eq(ra.calls + rb.calls, 0);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(d[i], 0);
	cr_assert_eq(bus.unhandled, 1);
	cr_assert_not(mmio_bus_access(&bus, 0x11ff, d, 2, true));
	cr_assert_eq(ra.calls + rb.calls, 0);
	cr_assert_eq(bus.unhandled, 2);
}

Test(mmio_bus, unclaimed_access)
{
	uint8_t d[8];

	cr_assert_eq(mmio_bus_register(&bus, 0x1000, 0x100, handler, &ra, "a"), 0);
	memset(d, 0xff, sizeof(d));
	cr_assert_not(mmio_bus_access(&bus, 0x2000, d, 4, false));
	cr_assert_eq(d[0] | d[1] | d[2] | d[3], 0, "unclaimed read is zero-filled");
	cr_assert_eq(d[4], 0xff, "only len bytes are filled");
	cr_assert_eq(bus.unhandled, 1);

	memset(d, 0x5a, sizeof(d));
	cr_assert_not(mmio_bus_access(&bus, 0x0fff, d, 1, true));
	cr_assert_eq(d[0], 0x5a, "unclaimed write leaves the buffer alone");
	cr_assert_eq(bus.unhandled, 2);
	cr_assert_not(mmio_bus_access(&bus, UINT64_MAX - 3, d, 8, false));
	cr_assert_eq(bus.unhandled, 3);
	cr_assert_eq(ra.calls, 0);
}

Test(mmio_bus, empty_bus)
{
	uint8_t d[2] = { 1, 2 };

	cr_assert_not(mmio_bus_access(&bus, 0, d, 2, false));
	cr_assert_eq(d[0] | d[1], 0);
	cr_assert_eq(bus.unhandled, 1);
}

Test(mmio_bus, region_at_top_of_address_space)
{
	uint8_t d[8];

	cr_assert_eq(mmio_bus_register(&bus, UINT64_MAX - 0xfff, 0xfff, handler, &ra, "top"), 0);
	cr_assert(mmio_bus_access(&bus, UINT64_MAX - 7, d, 7, false));
	cr_assert_eq(ra.offset, 0xff8);
	cr_assert_not(mmio_bus_access(&bus, UINT64_MAX - 7, d, 8, false));
}
