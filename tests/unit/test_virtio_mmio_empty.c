// SPDX-License-Identifier: MIT
/* Transports with no device behind them answer as QEMU's do: magic, version, DeviceID 0. */
#include <criterion/criterion.h>
#include <string.h>

#include "devices/mmio_bus.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_mmio_empty.h"

#define BASE 0x0a000000ULL
#define SLOT 0x200ULL

static uint32_t rd(struct mmio_bus *bus, uint64_t addr, unsigned int len)
{
	uint8_t data[8];
	uint32_t v = 0;

	memset(data, 0xaa, sizeof(data));
	cr_assert(mmio_bus_access(bus, addr, data, len, false));
	memcpy(&v, data, len < 4 ? len : 4);
	return v;
}

static void wr(struct mmio_bus *bus, uint64_t addr, uint32_t v)
{
	uint8_t data[4];

	memcpy(data, &v, 4);
	cr_assert(mmio_bus_access(bus, addr, data, 4, true));
}

Test(virtio_mmio_empty, every_transport_of_the_run_says_no_device)
{
	struct virtio_mmio_empty e = { .slot_size = SLOT, .version = 2 };
	struct mmio_bus bus = { 0 };

	cr_assert_eq(mmio_bus_register(&bus, BASE, 31 * SLOT, virtio_mmio_empty_access, &e, "e"), 0);
	for (unsigned int n = 0; n < 31; n++) {
		uint64_t t = BASE + n * SLOT;

		cr_assert_eq(rd(&bus, t + VIRTIO_MMIO_MAGIC_VALUE, 4), VIRTIO_MMIO_MAGIC, "transport %u", n);
		cr_assert_eq(rd(&bus, t + VIRTIO_MMIO_VERSION, 4), 2);
		cr_assert_eq(rd(&bus, t + VIRTIO_MMIO_DEVICE_ID, 4), 0);
		cr_assert_eq(rd(&bus, t + VIRTIO_MMIO_VENDOR_ID, 4), VIRTIO_MMIO_VENDOR);
	}
	e.version = 1;
	cr_assert_eq(rd(&bus, BASE + 7 * SLOT + VIRTIO_MMIO_VERSION, 4), 1, "legacy transports");
}

/* Writes change nothing; odd widths and offsets read 0, never stale bytes. */
Test(virtio_mmio_empty, writes_ignored_odd_reads_zero)
{
	struct virtio_mmio_empty e = { .slot_size = SLOT, .version = 2 };
	struct mmio_bus bus = { 0 };

	cr_assert_eq(mmio_bus_register(&bus, BASE, 2 * SLOT, virtio_mmio_empty_access, &e, "e"), 0);
	wr(&bus, BASE + VIRTIO_MMIO_STATUS, 0xf);
	wr(&bus, BASE + VIRTIO_MMIO_DEVICE_ID, 1);
	cr_assert_eq(rd(&bus, BASE + VIRTIO_MMIO_STATUS, 4), 0);
	cr_assert_eq(rd(&bus, BASE + VIRTIO_MMIO_DEVICE_ID, 4), 0);
	cr_assert_eq(rd(&bus, BASE + VIRTIO_MMIO_MAGIC_VALUE, 2), 0, "16-bit read");
	cr_assert_eq(rd(&bus, BASE + VIRTIO_MMIO_MAGIC_VALUE + 1, 1), 0, "unaligned");
	cr_assert_eq(rd(&bus, BASE + SLOT + 0x1fc, 4), 0);
}
