/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_NET_USER_H
#define TINYVMM_NET_USER_H

#include "devices/net/virtio_net.h"

/* Tier 2: tinyvmm's own data path, one worker thread per queue pair. */
extern const struct net_backend_ops net_user_backend;

/* One pair's worker (tests drive these directly). */
int net_user_start_pair(struct net_queue_pair *pair);
void net_user_stop_pair(struct net_queue_pair *pair);
/* A consistent-per-counter copy of a pair's counters while its worker runs. */
void net_pair_stats_read(const struct net_queue_pair *pair, struct net_pair_stats *out);
/*
 * Deliver pair->rx_frame (rx_frame_len bytes) into the RX ring: 1 delivered
 * or dropped, 0 not enough buffers posted, -1 ring broken. The worker's own
 * step, exposed so tests/fuzz/fuzz_net_rx.c can drive it without a TAP.
 */
int net_rx_deliver(struct net_queue_pair *pair);

#endif
