// SPDX-License-Identifier: MIT
/* Transports with no device (see virtio_mmio_empty.h). */
#include "devices/virtio/virtio_mmio_empty.h"

#include <string.h>

#include "devices/virtio/virtio_mmio.h"

static uint32_t read_reg(const struct virtio_mmio_empty *e, uint64_t reg)
{
	switch (reg) {
	case VIRTIO_MMIO_MAGIC_VALUE:	return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:	return e->version;
	case VIRTIO_MMIO_VENDOR_ID:	return VIRTIO_MMIO_VENDOR;
	default:			return 0;	/* DeviceID 0: nothing here */
	}
}

void virtio_mmio_empty_access(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
			      bool is_write)
{
	const struct virtio_mmio_empty *e = opaque;
	uint64_t reg = e->slot_size ? offset % e->slot_size : offset;
	uint32_t v;

	if (is_write)
		return;
	memset(data, 0, len);
	/* Registers are 32-bit, naturally aligned (§4.2.2); other reads see 0. */
	if (len != 4 || reg % 4)
		return;
	v = read_reg(e, reg);
	memcpy(data, &v, 4);
}
