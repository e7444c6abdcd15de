// SPDX-License-Identifier: MIT
/*
 * The vhost-net spin watchdog (devices/net/net_vhost_watchdog.c) driven
 * period by period with a fake worker clock and fake ring positions: a
 * worker busy without moving a ring (or moving it by fewer than
 * VHOST_WD_MIN_MOVED descriptors a period) is stopped after
 * VHOST_WD_STALL_TICKS periods; a busy worker that moves a ring, an idle worker whose ring is
 * stuck (backpressure, a guest that never kicks), a new session or a
 * worker that cannot be read are not.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "devices/net/net_vhost_watchdog.h"

#define HZ	100
#define NPAIRS	2

struct fake {
	uint64_t ticks[NPAIRS];
	uint16_t pos[NPAIRS][2];
	bool no_worker[NPAIRS];
	bool no_pos;
	unsigned int pos_reads;
};

static struct fake fake;
static struct vhost_watchdog wd;
static uint64_t now;

static int fake_ticks(void *ctx, unsigned int pair, uint64_t *ticks)
{
	struct fake *f = ctx;

	if (f->no_worker[pair])
		return -1;
	*ticks = f->ticks[pair];
	return 0;
}

static int fake_pos(void *ctx, unsigned int pair, unsigned int ring, uint16_t *pos)
{
	struct fake *f = ctx;

	f->pos_reads++;
	if (f->no_pos)
		return -1;
	*pos = f->pos[pair][ring];
	return 0;
}

static void setup(void)
{
	struct vhost_wd_source src = { .worker_ticks = fake_ticks, .ring_pos = fake_pos,
				       .ctx = &fake, .ticks_per_sec = HZ };

	fake = (struct fake){ 0 };
	now = 1000000;
	vhost_wd_init(&wd, NPAIRS, &src);
	vhost_wd_arm(&wd);
	/* The first call after arm() only takes the baseline. */
	cr_assert_eq(vhost_wd_timeout_ms(&wd, now), 0);
	cr_assert_eq(vhost_wd_tick(&wd, now), 0);
}

TestSuite(vhost_watchdog, .init = setup);

/* One period: pair 0's worker used @pct % of a core, its TX moved by @tx_step. */
static uint32_t period(unsigned int pct, uint16_t tx_step)
{
	now += VHOST_WD_PERIOD_MS;
	fake.ticks[0] += (uint64_t)HZ * pct / 100;
	fake.pos[0][1] = (uint16_t)(fake.pos[0][1] + tx_step);
	return vhost_wd_tick(&wd, now);
}

Test(vhost_watchdog, spin_without_progress_is_stopped)
{
	/* A first busy period records the positions; then STALL_TICKS without a move. */
	cr_assert_eq(period(100, 0), 0);
	for (unsigned int i = 1; i < VHOST_WD_STALL_TICKS; i++)
		cr_assert_eq(period(100, 0), 0, "period %u", i);
	cr_assert_eq(period(100, 0), 1u << 0, "pair 0 spins, pair 1 is idle");
	/* Its state starts over: a second verdict needs a new run of busy periods. */
	cr_assert_eq(period(100, 0), 0);
}

Test(vhost_watchdog, busy_worker_moving_the_ring_is_traffic)
{
	for (unsigned int i = 0; i < 10; i++)
		cr_assert_eq(period(100, VHOST_WD_MIN_MOVED), 0, "period %u", i);
	/* RX moving alone is progress too. */
	for (unsigned int i = 0; i < 10; i++) {
		fake.pos[0][0] = (uint16_t)(fake.pos[0][0] + VHOST_WD_MIN_MOVED);
		cr_assert_eq(period(100, 0), 0, "period %u", i);
	}
	/* Across the 16-bit wrap too. */
	fake.pos[0][1] = 0xfff0;
	for (unsigned int i = 0; i < 10; i++)
		cr_assert_eq(period(100, 2 * VHOST_WD_MIN_MOVED), 0, "period %u", i);
}

/*
 * The spin on TX while frames trickle into RX (broadcasts on the TAP's
 * bridge: the guest does not even need to ask for them). A worker at a
 * whole core that moves a descriptor a second is not carrying traffic.
 */
Test(vhost_watchdog, a_trickle_of_rx_does_not_hide_the_spin)
{
	cr_assert_eq(period(100, 0), 0);
	for (unsigned int i = 1; i < VHOST_WD_STALL_TICKS; i++) {
		fake.pos[0][0]++;
		cr_assert_eq(period(100, 0), 0, "period %u", i);
	}
	fake.pos[0][0]++;
	cr_assert_eq(period(100, 0), 1u << 0, "RX moving 1 a second hid the TX spin");
}

Test(vhost_watchdog, progress_threshold_is_min_moved_per_period)
{
	cr_assert_eq(period(100, 0), 0);
	for (unsigned int i = 0; i < 10; i++)
		cr_assert_eq(period(100, VHOST_WD_MIN_MOVED), 0, "period %u", i);
	for (unsigned int i = 1; i < VHOST_WD_STALL_TICKS; i++)
		cr_assert_eq(period(100, VHOST_WD_MIN_MOVED - 1), 0, "period %u", i);
	cr_assert_eq(period(100, VHOST_WD_MIN_MOVED - 1), 1u << 0);
}

Test(vhost_watchdog, stuck_ring_idle_worker_is_backpressure)
{
	/*
	 * The TAP full (vhost waits for EPOLLOUT), or a guest that made a
	 * chain available and never kicked: the ring does not move and the
	 * worker sleeps. Never a verdict, and vhost is not even asked.
	 */
	for (unsigned int i = 0; i < 20; i++)
		cr_assert_eq(period(5, 0), 0, "period %u", i);
	cr_assert_eq(fake.pos_reads, 0);
}

Test(vhost_watchdog, an_idle_period_restarts_the_count)
{
	for (unsigned int round = 0; round < 5; round++) {
		for (unsigned int i = 0; i < VHOST_WD_STALL_TICKS; i++)
			cr_assert_eq(period(100, 0), 0);
		cr_assert_eq(period(10, 0), 0, "an idle period in between");
	}
}

Test(vhost_watchdog, busy_threshold_is_half_a_core)
{
	for (unsigned int i = 0; i < VHOST_WD_STALL_TICKS; i++)
		cr_assert_eq(period(VHOST_WD_BUSY_PERCENT - 1, 0), 0);
	for (unsigned int i = 0; i < 10; i++)
		cr_assert_eq(period(VHOST_WD_BUSY_PERCENT - 1, 0), 0);
	cr_assert_eq(period(VHOST_WD_BUSY_PERCENT, 0), 0);
	for (unsigned int i = 1; i < VHOST_WD_STALL_TICKS; i++)
		cr_assert_eq(period(VHOST_WD_BUSY_PERCENT, 0), 0);
	cr_assert_eq(period(VHOST_WD_BUSY_PERCENT, 0), 1u);
}

Test(vhost_watchdog, only_the_spinning_pair_is_named)
{
	uint32_t got = 0;

	for (unsigned int i = 0; i <= VHOST_WD_STALL_TICKS; i++) {
		now += VHOST_WD_PERIOD_MS;
		fake.ticks[0] += HZ;		/* pair 0: real traffic */
		fake.pos[0][1] += VHOST_WD_MIN_MOVED;
		fake.ticks[1] += HZ;		/* pair 1: spinning */
		got = vhost_wd_tick(&wd, now);
	}
	cr_assert_eq(got, 1u << 1);
}

Test(vhost_watchdog, samples_come_once_a_period)
{
	cr_assert_eq(vhost_wd_timeout_ms(&wd, now), VHOST_WD_PERIOD_MS);
	cr_assert_eq(vhost_wd_timeout_ms(&wd, now + 400), VHOST_WD_PERIOD_MS - 400);
	/* Early wake-ups (call or error eventfds) take no sample. */
	for (unsigned int i = 0; i < 50; i++) {
		fake.ticks[0] += HZ;
		cr_assert_eq(vhost_wd_tick(&wd, now + 10 * i), 0);
	}
	cr_assert_eq(fake.pos_reads, 0);
}

Test(vhost_watchdog, disarmed_it_sleeps_and_judges_nothing)
{
	vhost_wd_disarm(&wd);
	cr_assert_eq(vhost_wd_timeout_ms(&wd, now), -1);
	for (unsigned int i = 0; i < 10; i++)
		cr_assert_eq(period(100, 0), 0);
	cr_assert_eq(fake.pos_reads, 0);
}

Test(vhost_watchdog, a_new_session_forgets_the_old_one)
{
	for (unsigned int i = 0; i < VHOST_WD_STALL_TICKS; i++)
		cr_assert_eq(period(100, 0), 0);
	/* The guest reset the device and started it again. */
	vhost_wd_disarm(&wd);
	vhost_wd_arm(&wd);
	cr_assert_eq(vhost_wd_timeout_ms(&wd, now), 0, "a new session is sampled at once");
	cr_assert_eq(vhost_wd_tick(&wd, now), 0);
	for (unsigned int i = 0; i < VHOST_WD_STALL_TICKS; i++)
		cr_assert_eq(period(100, 0), 0, "period %u of the new session", i);
	cr_assert_eq(period(100, 0), 1u);
}

Test(vhost_watchdog, unknown_worker_or_position_is_no_verdict)
{
	fake.no_worker[0] = true;
	for (unsigned int i = 0; i < 10; i++)
		cr_assert_eq(period(100, 0), 0);
	fake.no_worker[0] = false;
	fake.no_pos = true;
	for (unsigned int i = 0; i < 10; i++)
		cr_assert_eq(period(100, 0), 0);
}

Test(vhost_watchdog, worker_clock_going_back_is_no_verdict)
{
	for (unsigned int i = 0; i < VHOST_WD_STALL_TICKS; i++)
		cr_assert_eq(period(100, 0), 0);
	fake.ticks[0] = 0;	/* another thread behind the same id */
	cr_assert_eq(period(0, 0), 0);
	cr_assert_eq(period(100, 0), 0, "the count started over");
}

Test(vhost_watchdog, parses_proc_stat)
{
	uint64_t t = 0;
	char line[512];

	snprintf(line, sizeof(line),
		 "4242 (vhost-4200) R 2 0 0 0 -1 2129984 0 0 0 0 %d %d 0 0 20 0 1 0 123 0 0\n",
		 1234, 567);
	cr_assert_eq(vhost_wd_parse_stat(line, &t), 0);
	cr_assert_eq(t, 1234 + 567);
	/* A name with ") " in it: the last ')' closes it. */
	cr_assert_eq(vhost_wd_parse_stat("7 (a) b) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0\n", &t), 0);
	cr_assert_eq(t, 11);
	cr_assert_eq(vhost_wd_parse_stat("7 (x) S 1 1", &t), -1);
	cr_assert_eq(vhost_wd_parse_stat("no name", &t), -1);
	cr_assert_eq(vhost_wd_parse_stat("", &t), -1);
}
