/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_NET_POLL_H
#define TINYVMM_NET_POLL_H

#include <stdint.h>

/*
 * How long the Tier 2 worker spins for more work before it sleeps
 * (--worker-poll-us). The window adapts, as KVM's halt polling does: when
 * work came after the worker went idle but sooner than the limit, it grows
 * (a longer poll would have caught it); when work came later than the
 * limit, it halves, so an idle guest costs a few ever shorter polls, one
 * per wake-up, and then none at all.
 */
struct net_poll {
	uint64_t max_ns;	/* --worker-poll-us; 0: never poll */
	uint64_t window_ns;	/* the next poll's length, 0 to max_ns */
};

/* Tests only (the CLI stops at 1000): polls that run until work comes. */
#define NET_POLL_ENDLESS_US	UINT32_MAX

/* The window a growing poll starts from, and below which it stops. */
#define NET_POLL_START_NS	10000ULL
#define NET_POLL_MIN_NS		1000ULL

void net_poll_init(struct net_poll *p, unsigned int max_us);
/* The length of the next poll; 0: sleep at once. */
uint64_t net_poll_window(const struct net_poll *p);
/* Work came @idle_ns after the worker went idle (polled, then slept). */
void net_poll_woke(struct net_poll *p, uint64_t idle_ns);

#endif
