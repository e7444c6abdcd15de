/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_ETHTOOL_H
#define GUEST_TEST_ETHTOOL_H

#include <stdint.h>

#define ETHQ_MAX 16	/* queues per direction the counters cover */

/* Per-queue driver counters: rx_queue_N_<what> and tx_queue_N_<what>. */
struct ethq_counters {
	uint64_t rx[ETHQ_MAX], tx[ETHQ_MAX];
};

/* SIOCETHTOOL on @ifname with the ethtool command @cmd. */
int eth_ioctl(const char *ifname, void *cmd);

/* Read @ifname's per-queue "bytes" or "packets" counters (ethtool -S). */
int eth_queue_counters(const char *ifname, const char *what, struct ethq_counters *c);

#endif
