// SPDX-License-Identifier: MIT
#include "vmm/console/console_watch.h"

#include <string.h>
#include <unistd.h>

#include "lib/dev_lock.h"

int console_watch_init(struct console_watch *w, const struct console_match_config *cfg,
		       int wake_fd, struct tvm_error *err)
{
	memset(w, 0, sizeof(*w));
	if (console_match_init(&w->match, cfg, err))
		return -1;
	pthread_mutex_init(&w->match_lock, NULL);
	pthread_mutex_init(&w->stage_lock, NULL);
	w->wake_fd = wake_fd;
	return 0;
}

void console_watch_destroy(struct console_watch *w)
{
	console_match_free(&w->match);
	pthread_mutex_destroy(&w->match_lock);
	pthread_mutex_destroy(&w->stage_lock);
}

/* Call with match_lock held: staged bytes into the matcher. */
static enum console_match_kind drain_stage(struct console_watch *w)
{
	enum console_match_kind r;

	dev_lock(&w->stage_lock);
	r = console_match_feed(&w->match, w->stage, w->stage_len);
	w->stage_len = 0;
	w->wake_pending = false;
	dev_unlock(&w->stage_lock);
	return r;
}

/* Call with match_lock held: move the stage in, search. */
static enum console_match_kind search(struct console_watch *w)
{
	enum console_match_kind r = drain_stage(w);

	return r ? r : console_match_check(&w->match);
}

/* Call with match_lock held: a result goes to one caller only. */
static enum console_match_kind report_once(struct console_watch *w, enum console_match_kind r)
{
	if (w->reported)
		r = CONSOLE_MATCH_NONE;
	else if (r)
		w->reported = true;
	return r;
}

enum console_match_kind console_watch_check(struct console_watch *w)
{
	enum console_match_kind r;

	dev_lock(&w->match_lock);
	r = report_once(w, search(w));
	dev_unlock(&w->match_lock);
	return r;
}

enum console_match_kind console_watch_poll(struct console_watch *w, bool *pending)
{
	enum console_match_kind r;

	dev_lock(&w->match_lock);
	r = drain_stage(w);
	if (!r)
		r = console_match_check_bounded(&w->match);
	r = report_once(w, r);
	*pending = console_match_pending(&w->match);
	dev_unlock(&w->match_lock);
	return r;
}

/* Copy what fits; returns how much. Sets *wake on a burst's first bytes. */
static size_t stage_bytes(struct console_watch *w, const uint8_t *buf, size_t len, bool *wake)
{
	size_t n;

	dev_lock(&w->stage_lock);
	n = CONSOLE_WATCH_STAGE - w->stage_len;
	if (n > len)
		n = len;
	memcpy(w->stage + w->stage_len, buf, n);
	w->stage_len += n;
	*wake = n && !w->wake_pending;
	if (*wake)
		w->wake_pending = true;
	dev_unlock(&w->stage_lock);
	return n;
}

void console_watch_output(struct console_watch *w, const uint8_t *buf, size_t len)
{
	bool wake;

	while (len) {
		size_t n = stage_bytes(w, buf, len, &wake);

		/* Fails only with the counter saturated: then a wake-up is pending. */
		if (wake && !eventfd_signal(w->wake_fd))
			wake = false;
		buf += n;
		len -= n;
		if (!len)
			break;
		/*
		 * Stage full: the main loop is far behind; search here so no
		 * output is lost. The bytes staged next wake the main loop,
		 * which reports any result.
		 */
		dev_lock(&w->match_lock);
		search(w);
		dev_unlock(&w->match_lock);
	}
}
