/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CONSOLE_MATCH_H
#define TINYVMM_CONSOLE_MATCH_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

/*
 * --expect and --fail-on: POSIX extended regular expressions matched
 * against the guest's console output as one byte stream, wherever the
 * guest's writes happened to split it. The stream goes through a sliding
 * window; any match of at most CONSOLE_MATCH_MAX_LEN bytes is found.
 *
 * What the patterns see: every byte the guest wrote except NUL and CR (so
 * `$` matches at the end of a line whether the guest ends lines with "\n"
 * or "\r\n"). REG_NEWLINE is on: `^` and `$` match at line boundaries and
 * `.` does not cross a newline. `$` matches only once the newline itself
 * has arrived. Bytes are bytes (C locale).
 *
 * No locking here: the caller serialises (console_watch.c).
 */
#define CONSOLE_MATCH_MAX_LEN	4096
#define CONSOLE_MATCH_WINDOW	(2 * CONSOLE_MATCH_MAX_LEN)
/* What a pattern may cost to compile (console_match_regex_cost()). */
#define CONSOLE_MATCH_MAX_COPIES	32768	/* copies of its parts */
#define CONSOLE_MATCH_MAX_OPTIONAL	512	/* of those, ones that may match nothing */
#define CONSOLE_MATCH_MAX_PATTERN	512	/* bytes */
#define CONSOLE_MATCH_MAX_FAIL	16	/* --fail-on patterns, defaults included */
#define CONSOLE_MATCH_LINE_MAX	160	/* bytes of the matched line kept for messages */
/* console_match_check_bounded(): old bytes rescanned per new byte, at most. */
#define CONSOLE_MATCH_RESCAN	4

enum console_match_kind {
	CONSOLE_MATCH_NONE = 0,
	CONSOLE_MATCH_EXPECT,	/* --expect matched: success */
	CONSOLE_MATCH_FAIL,	/* a --fail-on pattern matched: failure */
};

struct console_pattern {
	regex_t re;
	const char *text;	/* as the user gave it */
	bool is_default;	/* one of the defaults that come with --expect */
};

struct console_match_config {
	const char *expect;		/* NULL: none */
	const char *const *fail_on;	/* the user's --fail-on patterns */
	unsigned int nfail_on;
	bool default_fail_on;		/* add the Linux panic/oops patterns */
};

struct console_match {
	struct console_pattern expect;
	bool has_expect;
	struct console_pattern fail[CONSOLE_MATCH_MAX_FAIL];
	unsigned int nfail;
	char window[CONSOLE_MATCH_WINDOW + 1];	/* NUL-terminated for regexec */
	size_t len;
	size_t unchecked;	/* bytes at the end of the window not yet searched */
	bool window_at_bol;	/* window[0] starts a line */
	bool multiline;		/* some pattern may match across a newline */
	uint64_t work;		/* bytes handed to regexec(), summed over the patterns */
	/* The result, once there is one; feeding stops then. */
	enum console_match_kind result;
	const struct console_pattern *matched;
	size_t matched_at;	/* window offset where the match starts */
	bool line_done;		/* the matched line's newline has arrived */
	char matched_line[CONSOLE_MATCH_LINE_MAX + 1];	/* printable copy */
};

/* The patterns --expect brings unless --no-default-fail-on. */
extern const char *const console_match_default_fail[];
extern const unsigned int console_match_ndefault_fail;

/*
 * Compile @pattern once to see that it is valid; @option ("--expect")
 * names it in the error.
 */
/*
 * What regcomp() would spend on @pattern: the copies of its parts it builds
 * (a repetition copies what it repeats), how many of them may match nothing
 * (its closures grow with their square), the first quantifier stacked on
 * another and the first back-reference (each points at it; NULL if none). Patterns over the bounds
 * are refused before regcomp() can exhaust memory or time.
 */
struct console_regex_cost {
	size_t copies;
	size_t optional;
	const char *stacked;
	const char *backref;
};

struct console_regex_cost console_match_regex_cost(const char *pattern);
int console_match_validate(const char *option, const char *pattern, struct tvm_error *err);

int console_match_init(struct console_match *m, const struct console_match_config *cfg,
		       struct tvm_error *err);
void console_match_free(struct console_match *m);

/* Start a new stream (no output seen, no result); the patterns stay. */
void console_match_reset(struct console_match *m);

/* True if there is anything to match at all. */
static inline bool console_match_active(const struct console_match *m)
{
	return m->has_expect || m->nfail;
}

/*
 * Append guest output. When the window is full it is searched before the
 * oldest bytes go, so nothing is skipped; returns the result so far. After
 * a match, output only goes on to complete @matched_line.
 */
enum console_match_kind console_match_feed(struct console_match *m, const uint8_t *buf,
					   size_t len);

/*
 * Search what arrived since the last search (with enough context before
 * it for a match of CONSOLE_MATCH_MAX_LEN). Where several patterns match,
 * the one matching earliest in the stream wins; a --fail-on pattern wins
 * a tie. Returns the result so far.
 */
enum console_match_kind console_match_check(struct console_match *m);

/*
 * The same for one burst, but deferred (CONSOLE_MATCH_NONE, the bytes kept
 * unsearched) while it would rescan more than CONSOLE_MATCH_RESCAN old
 * bytes per new one: the caller calls console_match_check() once output
 * pauses (console_match_pending()). Bounds the search work per burst.
 */
enum console_match_kind console_match_check_bounded(struct console_match *m);

/* Bytes fed and not searched yet (while there is no result). */
static inline bool console_match_pending(const struct console_match *m)
{
	return !m->result && m->unchecked;
}

/*
 * Can a match of @pattern (POSIX ERE, REG_NEWLINE, C locale) contain a
 * newline? If none can, a search starts at the line the new bytes are in.
 */
bool console_match_may_span_lines(const char *pattern);

#endif
