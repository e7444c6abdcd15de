/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CONSOLE_WATCH_H
#define TINYVMM_CONSOLE_WATCH_H

#include <pthread.h>

#include "vmm/console/console_match.h"

/*
 * The console matcher between threads. vCPU threads hand guest output to
 * console_watch_output(), which only copies it into a staging buffer and,
 * on the first bytes of a burst, wakes the main loop through @wake_fd. The
 * main loop's console_watch_check() moves the burst into the matcher and
 * searches once, so regexec() never runs on a vCPU thread (except when
 * the main loop has fallen CONSOLE_WATCH_STAGE bytes behind, which would
 * otherwise lose output) and the matcher costs the console a memcpy.
 * Results are only ever reported to the main loop.
 *
 * Lock order: match_lock, then stage_lock.
 */
#define CONSOLE_WATCH_STAGE	16384

struct console_watch {
	pthread_mutex_t match_lock;
	struct console_match match;
	pthread_mutex_t stage_lock;
	uint8_t stage[CONSOLE_WATCH_STAGE];
	size_t stage_len;
	bool wake_pending;	/* @wake_fd written since the last check */
	bool reported;		/* the match result went to a caller (match_lock) */
	int wake_fd;		/* eventfd, owned by the caller */
};

int console_watch_init(struct console_watch *w, const struct console_match_config *cfg,
		       int wake_fd, struct tvm_error *err);
void console_watch_destroy(struct console_watch *w);

/* vCPU side: stage output; searches only when the stage is full. */
void console_watch_output(struct console_watch *w, const uint8_t *buf, size_t len);

/*
 * Main loop side: search the bytes staged since the last call. Returns a
 * match result once, on the first call that sees it (CONSOLE_MATCH_NONE
 * after that); the result itself stays in @match.
 */
enum console_match_kind console_watch_check(struct console_watch *w);

/*
 * The same, for each burst: the search may be deferred to bound its work
 * (console_match_check_bounded()); then *@pending is true and the caller
 * calls console_watch_check() once output pauses.
 */
enum console_match_kind console_watch_poll(struct console_watch *w, bool *pending);

#endif
