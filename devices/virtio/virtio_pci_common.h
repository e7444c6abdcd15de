/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VIRTIO_PCI_COMMON_H
#define TINYVMM_VIRTIO_PCI_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtio_pci.h"

/* A guest access to the common configuration structure, @off from its start. */
void virtio_pci_common_access(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			      unsigned int len, bool is_write);

/* Every vector register back to NO_VECTOR (device reset, init). */
void virtio_pci_reset_vectors(struct virtio_pci *vp);

#endif
