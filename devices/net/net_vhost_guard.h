/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_NET_VHOST_GUARD_H
#define TINYVMM_NET_VHOST_GUARD_H

#include <stdint.h>

#include "vhost/vhost_workers.h"

/*
 * The vhost spin watchdog (net_vhost_watchdog.h) wired to a virtio-net
 * device: its samples come from each pair's vhost worker's /proc stat file
 * (opened at start-up, before seccomp and --user) and VHOST_GET_VRING_BASE;
 * the vhost monitor thread runs it; a spinning pair's backend is detached
 * and the device marked DEVICE_NEEDS_RESET (counted: vhost_stalls).
 */
struct virtio_net;

/* With net_vhost_open(): the state and the monitor's wake-up eventfd. */
int net_vhost_guard_open(struct virtio_net *net);
/*
 * Pair @pair's worker, @id (net_vhost.c found it). None found: the pair is
 * not watched, which is what tinyvmm did before the watchdog.
 */
void net_vhost_guard_watch_worker(struct virtio_net *net, unsigned int pair,
				  enum vhost_workers_kind kind, int id);
void net_vhost_guard_close(struct virtio_net *net);
/* For the monitor's watch set; -1 without a guard. */
int net_vhost_guard_wake_fd(const struct virtio_net *net);
/* vhost_start() / vhost_stop() (transport lock held): sample only while running. */
void net_vhost_guard_arm(struct virtio_net *net);
void net_vhost_guard_disarm(struct virtio_net *net);
/* The monitor's epoll_wait timeout: -1 while no device runs on vhost. */
int net_vhost_guard_timeout_ms(struct virtio_net *net);
/* The monitor, after each wake-up: sample if due, stop a spinning pair. */
void net_vhost_guard_run(struct virtio_net *net);

#endif
