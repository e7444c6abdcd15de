/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_NET_VHOST_H
#define TINYVMM_NET_VHOST_H

#include "devices/virtio_net.h"

/* Open one vhost-net instance and two call eventfds per queue pair. */
int net_vhost_open(struct virtio_net *net, struct tvm_error *err);
/* Features this host's vhost-net offers. */
uint64_t net_vhost_features(const struct virtio_net *net);
/* At DRIVER_OK: hand every pair's rings to its vhost-net instance. */
int net_vhost_start(struct virtio_net *net, struct tvm_error *err);
void net_vhost_stop(struct virtio_net *net);
/* NET_IRQ_RELAY: the thread that turns call eventfds into interrupts. */
int net_vhost_relay_start(struct virtio_net *net);
void net_vhost_relay_stop(struct virtio_net *net);
void net_vhost_close(struct virtio_net *net);

#endif
