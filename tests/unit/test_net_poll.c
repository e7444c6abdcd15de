// SPDX-License-Identifier: MIT
/* The Tier 2 worker's adaptive poll window (devices/net/net_poll.c). */
#include <criterion/criterion.h>

#include "devices/net/net_poll.h"

static struct net_poll p;

Test(net_poll, off_never_polls)
{
	net_poll_init(&p, 0);
	for (int i = 0; i < 10; i++)
		net_poll_woke(&p, 1);
	cr_assert_eq(net_poll_window(&p), 0);
}

/* Work that keeps coming after each poll ran out, but within the limit. */
Test(net_poll, starts_asleep_and_grows_on_short_idles_up_to_the_limit)
{
	uint64_t last = 0;

	net_poll_init(&p, 200);
	cr_assert_eq(net_poll_window(&p), 0, "no polling before wake-ups show it pays");
	net_poll_woke(&p, 5000);
	cr_assert_eq(net_poll_window(&p), NET_POLL_START_NS);
	for (int i = 0; i < 20; i++) {
		net_poll_woke(&p, 199000);
		cr_assert_geq(net_poll_window(&p), last);
		cr_assert_leq(net_poll_window(&p), 200000, "never past --worker-poll-us");
		last = net_poll_window(&p);
	}
	cr_assert_eq(last, 200000);
}

/* Work the poll would have caught anyway: no reason to poll longer. */
Test(net_poll, idles_within_the_window_keep_it)
{
	net_poll_init(&p, 100);
	net_poll_woke(&p, 5000);
	net_poll_woke(&p, 15000);
	cr_assert_eq(net_poll_window(&p), 2 * NET_POLL_START_NS);
	net_poll_woke(&p, 3000);
	net_poll_woke(&p, 20000);
	cr_assert_eq(net_poll_window(&p), 2 * NET_POLL_START_NS);
}

Test(net_poll, a_limit_below_the_start_is_the_window)
{
	net_poll_init(&p, 3);
	net_poll_woke(&p, 1000);
	cr_assert_eq(net_poll_window(&p), 3000);
}

/* An idle guest: each wake-up after more than the limit halves it, down to none. */
Test(net_poll, long_idles_halve_it_to_nothing)
{
	int wakes = 0;

	net_poll_init(&p, 1000);
	cr_assert_eq(p.window_ns, 0);
	net_poll_woke(&p, 10ULL * 1000 * 1000 * 1000);
	cr_assert_eq(net_poll_window(&p), 0, "an idle guest is not polled for");
	for (int i = 0; i < 10; i++)
		net_poll_woke(&p, 999000);
	cr_assert_eq(net_poll_window(&p), 1000000);
	while (net_poll_window(&p)) {
		uint64_t before = net_poll_window(&p);

		net_poll_woke(&p, 1000000);
		cr_assert_lt(net_poll_window(&p), before);
		cr_assert_lt(++wakes, 20, "the window never reached 0");
	}
	cr_assert_eq(wakes, 10, "1 ms halved until under NET_POLL_MIN_NS");
}

/* The tests' setting: a poll from the start that never runs out, whatever happens. */
Test(net_poll, endless_polls_never_shrink)
{
	net_poll_init(&p, NET_POLL_ENDLESS_US);
	cr_assert_eq(net_poll_window(&p), UINT64_MAX);
	net_poll_woke(&p, 10ULL * 1000 * 1000 * 1000);
	net_poll_woke(&p, 1);
	cr_assert_eq(net_poll_window(&p), UINT64_MAX);
}
