/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_PCIDEV_H
#define GUEST_TEST_PCIDEV_H

#include <stddef.h>

#define PCI_VIRTIO_DRIVER_DIR "/sys/bus/pci/drivers/virtio-pci"

/*
 * The PCI function ("0000:00:01.0") that network interface @ifname sits on
 * through virtio-pci: the parent of /sys/class/net/IF/device, bound to the
 * virtio-pci driver. Returns 0 and fills @buf, or -1 (not on virtio-pci,
 * e.g. virtio-mmio).
 */
int pci_function_of(const char *ifname, char *buf, size_t size);

#endif
