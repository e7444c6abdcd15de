/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_NET_VHOST_H
#define TINYVMM_NET_VHOST_H

#include "devices/net/virtio_net.h"

/* Open one vhost-net instance and its call and error eventfds per pair. */
int net_vhost_open(struct virtio_net *net, struct tvm_error *err);
/* Features this host's vhost-net offers. */
uint64_t net_vhost_features(const struct virtio_net *net);
/* Tiers 1A/1B: at DRIVER_OK every pair's rings go to its vhost-net instance. */
extern const struct net_backend_ops net_vhost_backend;
/*
 * The monitor thread: reports vhost's ring errors (device -> NEEDS_RESET)
 * and turns call eventfds into interrupts when they are not KVM's (relay
 * mode, or pci where they fall back to call_fd: INTx, a masked or absent
 * vector). Which of the two is decided here, once: start it only after
 * the transport attaches; before, it fails (EINVAL). -1 sets errno.
 */
int net_vhost_monitor_start(struct virtio_net *net);
void net_vhost_monitor_stop(struct virtio_net *net);
void net_vhost_close(struct virtio_net *net);

#endif
