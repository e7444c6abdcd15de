// SPDX-License-Identifier: MIT
#include "devices/net/net_poll.h"

void net_poll_init(struct net_poll *p, unsigned int max_us)
{
	p->max_ns = (uint64_t)max_us * 1000;
	/* Start polling only once wake-ups show it would pay. */
	p->window_ns = 0;
	if (max_us == NET_POLL_ENDLESS_US)
		p->max_ns = p->window_ns = UINT64_MAX;
}

uint64_t net_poll_window(const struct net_poll *p)
{
	return p->window_ns;
}

void net_poll_woke(struct net_poll *p, uint64_t idle_ns)
{
	uint64_t start = p->max_ns < NET_POLL_START_NS ? p->max_ns : NET_POLL_START_NS;

	if (!p->max_ns)
		return;
	if (idle_ns >= p->max_ns) {
		/* Longer than any poll may be: an idle guest, stop polling for it. */
		p->window_ns /= 2;
		if (p->window_ns < NET_POLL_MIN_NS)
			p->window_ns = 0;
		return;
	}
	if (idle_ns <= p->window_ns)
		return;	/* the poll was long enough (it found the work) */
	p->window_ns = p->window_ns ? 2 * p->window_ns : start;
	if (p->window_ns > p->max_ns)
		p->window_ns = p->max_ns;
}
