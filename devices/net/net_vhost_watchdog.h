/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_NET_VHOST_WATCHDOG_H
#define TINYVMM_NET_VHOST_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The vhost-net spin watchdog (Tiers 1A/1B). vhost-net retries a TX chain
 * the TAP refuses with EAGAIN, ENOMEM or ENOBUFS for as long as the TAP
 * says it is writable: a guest whose chain can never be sent (a 16 MiB
 * descriptor with a zeroed vnet header: tun asks for one 16 MiB linear
 * skb, which always fails) pins the host core of the pair's vhost worker
 * until the guest resets the device. docs/vhost-net.md has the code path.
 *
 * tinyvmm cannot see the chain (vhost reads the ring itself), so it
 * watches the symptom, from values the guest cannot forge: a pair whose
 * worker used at least VHOST_WD_BUSY_PERCENT of a core over each of
 * VHOST_WD_STALL_TICKS periods in a row while its rings' positions in
 * vhost (last_avail_idx, VHOST_GET_VRING_BASE) moved by fewer than
 * VHOST_WD_MIN_MOVED descriptors a period is spinning (half a core for
 * under 64 descriptors is 8 ms a descriptor: no traffic costs that, and a
 * trickle of broadcasts into RX cannot hide a TX spin). Its
 * backend is then detached and the device put in DEVICE_NEEDS_RESET, as
 * for a ring vhost itself gave up on; the guest's reset starts it afresh.
 * The ring indices in guest memory are not used: the guest can write both.
 *
 * Cost: none while no device runs on vhost (the monitor sleeps without a
 * timeout); while one does, one wake-up per period and one pread of the
 * worker's /proc stat per pair; the ioctls only while a worker is busy.
 */
#define VHOST_WD_PERIOD_MS	1000
#define VHOST_WD_STALL_TICKS	3
#define VHOST_WD_BUSY_PERCENT	50
#define VHOST_WD_MIN_MOVED	64	/* descriptors a period, both rings */
#define VHOST_WD_MAX_PAIRS	16

/* Where the samples come from: /proc and vhost in tinyvmm, fakes in tests. */
struct vhost_wd_source {
	/* CPU time @pair's worker has used, in clock ticks; -1 if unknown. */
	int (*worker_ticks)(void *ctx, unsigned int pair, uint64_t *ticks);
	/* vhost's next-available index of @ring (0 RX, 1 TX) of @pair; -1 on failure. */
	int (*ring_pos)(void *ctx, unsigned int pair, unsigned int ring, uint16_t *pos);
	void *ctx;
	long ticks_per_sec;	/* of worker_ticks (sysconf(_SC_CLK_TCK)) */
};

struct vhost_wd_pair {
	bool primed;		/* ticks holds an earlier sample */
	bool have_pos;		/* pos holds the last busy period's positions */
	uint64_t ticks;
	uint16_t pos[2];
	unsigned int stuck;	/* busy periods in a row without progress */
};

struct vhost_watchdog {
	struct vhost_wd_source src;
	unsigned int npairs;
	bool armed;		/* a device runs on vhost (atomic) */
	uint64_t generation;	/* +1 at every arm and disarm (atomic) */
	uint64_t seen_generation;	/* the one the samples below belong to */
	uint64_t last_ms;	/* time of the last sample */
	struct vhost_wd_pair pairs[VHOST_WD_MAX_PAIRS];
};

void vhost_wd_init(struct vhost_watchdog *wd, unsigned int npairs, const struct vhost_wd_source *src);
/* The device started (or stopped) on vhost: samples from before are void. */
void vhost_wd_arm(struct vhost_watchdog *wd);
void vhost_wd_disarm(struct vhost_watchdog *wd);
uint64_t vhost_wd_generation(const struct vhost_watchdog *wd);
/* How long the monitor may sleep: -1 when disarmed, else until the next period. */
int vhost_wd_timeout_ms(const struct vhost_watchdog *wd, uint64_t now_ms);
/*
 * Take the samples if a period has passed (@now_ms: CLOCK_MONOTONIC).
 * Returns a bit per pair found spinning (its state starts over).
 */
uint32_t vhost_wd_tick(struct vhost_watchdog *wd, uint64_t now_ms);

/*
 * CPU ticks (utime + stime) from the text of a /proc/<pid>/stat file; -1
 * if it does not parse. The name field may hold spaces and parentheses.
 */
int vhost_wd_parse_stat(const char *text, uint64_t *ticks);

#endif
