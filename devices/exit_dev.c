// SPDX-License-Identifier: MIT
#include "devices/exit_dev.h"

#include <string.h>

void exit_dev_init(struct exit_dev *dev, const struct exit_dev_ops *ops)
{
	memset(dev, 0, sizeof(*dev));
	dev->ops = *ops;
}

void exit_dev_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		   bool is_write)
{
	struct exit_dev *dev = opaque;
	uint32_t v;

	if (!is_write || offset != EXIT_DEV_STATUS || len != 4) {
		__atomic_add_fetch(&dev->ignored, 1, __ATOMIC_RELAXED);
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	/* MMIO data is in the guest's byte order: little-endian. */
	v = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
	    (uint32_t)data[3] << 24;
	dev->ops.request_exit(dev->ops.opaque, v & 0xff, v);
}
