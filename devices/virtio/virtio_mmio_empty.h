/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VIRTIO_MMIO_EMPTY_H
#define TINYVMM_VIRTIO_MMIO_EMPTY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * virtio-mmio transports with no device behind them, as QEMU's virt board
 * has 31 of: MagicValue, Version and VendorID answer, DeviceID reads 0 (the
 * driver then skips the transport, virtio 1.2 §4.2.3.1.1), everything else
 * reads 0 and writes are ignored. One handler serves a run of adjacent
 * transports of @slot_size bytes each.
 */
struct virtio_mmio_empty {
	uint64_t slot_size;
	uint32_t version;	/* 2 modern, 1 legacy: what the board's transports speak */
};

/* MMIO handler (struct mmio_bus signature); @opaque is the struct virtio_mmio_empty. */
void virtio_mmio_empty_access(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
			      bool is_write);

#endif
