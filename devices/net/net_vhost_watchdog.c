// SPDX-License-Identifier: MIT
/* The vhost-net spin watchdog: the judgement (see net_vhost_watchdog.h). */
#include <stdlib.h>
#include <string.h>

#include "devices/net/net_vhost_watchdog.h"

void vhost_wd_init(struct vhost_watchdog *wd, unsigned int npairs, const struct vhost_wd_source *src)
{
	*wd = (struct vhost_watchdog){ .src = *src };
	wd->npairs = npairs < VHOST_WD_MAX_PAIRS ? npairs : VHOST_WD_MAX_PAIRS;
}

void vhost_wd_arm(struct vhost_watchdog *wd)
{
	__atomic_add_fetch(&wd->generation, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&wd->armed, true, __ATOMIC_SEQ_CST);
}

void vhost_wd_disarm(struct vhost_watchdog *wd)
{
	__atomic_store_n(&wd->armed, false, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&wd->generation, 1, __ATOMIC_SEQ_CST);
}

uint64_t vhost_wd_generation(const struct vhost_watchdog *wd)
{
	return __atomic_load_n(&wd->generation, __ATOMIC_SEQ_CST);
}

int vhost_wd_timeout_ms(const struct vhost_watchdog *wd, uint64_t now_ms)
{
	uint64_t due = wd->last_ms + VHOST_WD_PERIOD_MS;

	if (!__atomic_load_n(&wd->armed, __ATOMIC_SEQ_CST))
		return -1;
	/* A new session (or none sampled yet): sample at once. */
	if (vhost_wd_generation(wd) != wd->seen_generation)
		return 0;
	return due <= now_ms ? 0 : (int)(due - now_ms);
}

/* Worker time over @elapsed_ms against VHOST_WD_BUSY_PERCENT of a core. */
static bool busy(const struct vhost_watchdog *wd, uint64_t used_ticks, uint64_t elapsed_ms)
{
	return used_ticks * 1000 * 100 >=
	       (uint64_t)VHOST_WD_BUSY_PERCENT * (uint64_t)wd->src.ticks_per_sec * elapsed_ms;
}

/* Both rings' positions; false if vhost would not say. */
static bool read_pos(const struct vhost_watchdog *wd, unsigned int pair, uint16_t pos[2])
{
	for (unsigned int r = 0; r < 2; r++)
		if (wd->src.ring_pos(wd->src.ctx, pair, r, &pos[r]))
			return false;
	return true;
}

/* Descriptors both rings consumed between two readings (16-bit indices). */
static unsigned int moved(const uint16_t before[2], const uint16_t after[2])
{
	return (uint16_t)(after[0] - before[0]) + (unsigned int)(uint16_t)(after[1] - before[1]);
}

/* One period of @pair; true if this was its VHOST_WD_STALL_TICKS'th busy one without progress. */
static bool sample_pair(struct vhost_watchdog *wd, unsigned int pair, uint64_t elapsed_ms)
{
	struct vhost_wd_pair *p = &wd->pairs[pair];
	uint64_t ticks;
	uint16_t pos[2];
	bool was_primed = p->primed;

	if (wd->src.worker_ticks(wd->src.ctx, pair, &ticks)) {
		*p = (struct vhost_wd_pair){ 0 };	/* no worker to judge */
		return false;
	}
	p->primed = true;
	if (!was_primed || ticks < p->ticks || !busy(wd, ticks - p->ticks, elapsed_ms)) {
		/* Idle (or waiting for the TAP, or for a kick that never comes): fine. */
		p->ticks = ticks;
		p->have_pos = false;
		p->stuck = 0;
		return false;
	}
	p->ticks = ticks;
	if (!read_pos(wd, pair, pos)) {
		p->have_pos = false;
		p->stuck = 0;
		return false;
	}
	/*
	 * Busy and moving is traffic; busy and (nearly) still is a spin. A
	 * few descriptors a period do not count: frames trickling into RX
	 * (broadcasts) would otherwise hide a TX spin for ever.
	 */
	if (p->have_pos && moved(p->pos, pos) < VHOST_WD_MIN_MOVED)
		p->stuck++;
	else
		p->stuck = 0;
	memcpy(p->pos, pos, sizeof(pos));
	p->have_pos = true;
	if (p->stuck < VHOST_WD_STALL_TICKS)
		return false;
	*p = (struct vhost_wd_pair){ 0 };
	return true;
}

uint32_t vhost_wd_tick(struct vhost_watchdog *wd, uint64_t now_ms)
{
	uint64_t gen = vhost_wd_generation(wd), elapsed;
	uint32_t spinning = 0;

	if (!__atomic_load_n(&wd->armed, __ATOMIC_SEQ_CST))
		return 0;
	if (gen != wd->seen_generation) {
		/* Samples of an earlier session say nothing about this one. */
		memset(wd->pairs, 0, sizeof(wd->pairs));
		wd->seen_generation = gen;
		wd->last_ms = now_ms;
		for (unsigned int i = 0; i < wd->npairs; i++)
			sample_pair(wd, i, 0);
		return 0;
	}
	if (now_ms < wd->last_ms + VHOST_WD_PERIOD_MS)
		return 0;
	elapsed = now_ms - wd->last_ms;
	wd->last_ms = now_ms;
	for (unsigned int i = 0; i < wd->npairs; i++)
		if (sample_pair(wd, i, elapsed))
			spinning |= 1u << i;
	return spinning;
}

int vhost_wd_parse_stat(const char *text, uint64_t *ticks)
{
	/* The name is "(...)" and may contain ") ": the last one closes it. */
	const char *p = strrchr(text, ')');
	unsigned long long utime, stime;
	char *end;

	if (!p)
		return -1;
	p++;
	/* After the name: state (field 3), then fields 4..13, then utime (14), stime (15). */
	for (unsigned int field = 3; field <= 13; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -1;
		while (*p && *p != ' ')
			p++;
	}
	utime = strtoull(p, &end, 10);
	if (end == p)
		return -1;
	p = end;
	stime = strtoull(p, &end, 10);
	if (end == p)
		return -1;
	*ticks = utime + stime;
	return 0;
}
