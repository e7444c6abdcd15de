/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_NET_IRQFD_H
#define TINYVMM_NET_IRQFD_H

#include <stdbool.h>

#include "devices/net/virtio_net.h"

/*
 * Which eventfd vhost-net signals when a ring has used buffers (its
 * VHOST_SET_VRING_CALL fd). On a transport with per-queue irqfds
 * (virtio-pci with MSI-X) and --vhost-irq direct it is the irqfd of the
 * MSI-X vector the driver gave the queue, so a completion reaches the guest
 * with no userspace work; queues sharing a vector share its eventfd. When
 * the queue has no vector (NO_VECTOR, MSI-X off, INTx-only host) or with
 * --vhost-irq relay it is the pair's own call_fd, which the monitor thread
 * turns into virtio_dev_interrupt(). On virtio-mmio it is always call_fd
 * (in direct mode that fd is itself an irqfd on the device's SPI).
 */

/* The fd ring @ring (0 RX, 1 TX) of pair @pair should signal now. vdev->lock held. */
int net_irqfd_target(struct virtio_net *net, unsigned int pair, unsigned int ring);

/* Whether the monitor thread must watch the pairs' call_fd (relay or fallback). */
bool net_irqfd_watch_call_fds(const struct virtio_net *net);

/* Give ring @ring of pair @pair the call fd @fd (VHOST_SET_VRING_CALL); -1 on failure. */
typedef int (*net_irqfd_set_call_fn)(struct virtio_net *net, unsigned int pair,
				     unsigned int ring, int fd);

/*
 * The transport's irqfds changed (the driver reassigned a vector, turned
 * MSI-X on or off): re-point every running ring whose target moved, with
 * the ring live, and signal the new target once so that a completion left
 * on the old fd (a vector irqfd detached when MSI-X went off) is not lost;
 * a spare interrupt is harmless to a virtio driver. vdev->lock held.
 * Returns how many rings moved.
 */
unsigned int net_irqfd_follow(struct virtio_net *net, net_irqfd_set_call_fn set_call);

#endif
