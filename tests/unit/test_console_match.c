// SPDX-License-Identifier: MIT
/* The --expect/--fail-on matcher: split input, the window, anchors, results. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "vmm/console/console_match.h"

static struct console_match m;

static void init(const char *expect, const char *const *fail, unsigned int nfail,
		 bool defaults)
{
	struct console_match_config cfg = {
		.expect = expect, .fail_on = fail, .nfail_on = nfail, .default_fail_on = defaults,
	};
	struct tvm_error err = { 0 };

	cr_assert_eq(console_match_init(&m, &cfg, &err), 0, "init: %s", err.msg);
}

static void fini(void)
{
	console_match_free(&m);
}

TestSuite(console_match, .fini = fini);

/*
 * Feed @s in pieces of @step bytes, searching after each piece (a burst),
 * all of it even after a match, as the guest goes on writing.
 */
static enum console_match_kind feed_in_steps(const char *s, size_t step)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i += step) {
		size_t n = len - i < step ? len - i : step;

		console_match_feed(&m, (const uint8_t *)s + i, n);
		console_match_check(&m);
	}
	return m.result;
}

Test(console_match, expect_split_across_every_boundary)
{
	const char *text = "booting...\r\nWelcome to the guest\r\nlogin: ";

	for (size_t step = 1; step <= strlen(text); step++) {
		init("Welcome to the guest", NULL, 0, false);
		cr_assert_eq(feed_in_steps(text, step), CONSOLE_MATCH_EXPECT, "step %zu", step);
		cr_assert_str_eq(m.matched_line, "Welcome to the guest");
		console_match_free(&m);
	}
	init("login: $", NULL, 0, false);	/* reopened for .fini */
}

Test(console_match, no_match_until_the_last_byte)
{
	init("ready", NULL, 0, false);
	cr_assert_eq(feed_in_steps("rea", 1), CONSOLE_MATCH_NONE);
	cr_assert_eq(feed_in_steps("d", 1), CONSOLE_MATCH_NONE);
	cr_assert_eq(feed_in_steps("y", 1), CONSOLE_MATCH_EXPECT);
}

Test(console_match, search_runs_only_on_check)
{
	init("ready", NULL, 0, false);
	cr_assert_eq(console_match_feed(&m, (const uint8_t *)"ready", 5), CONSOLE_MATCH_NONE);
	cr_assert_eq(m.unchecked, 5);
	cr_assert_eq(console_match_check(&m), CONSOLE_MATCH_EXPECT);
}

Test(console_match, nul_and_cr_are_not_seen)
{
	static const uint8_t out[] = { 'o', 0, 'k', '\r', '\r', '\n', 'x' };

	init("^ok$", NULL, 0, false);
	console_match_feed(&m, out, sizeof(out));
	cr_assert_eq(console_match_check(&m), CONSOLE_MATCH_EXPECT);
}

Test(console_match, dollar_needs_the_newline)
{
	init("done$", NULL, 0, false);
	cr_assert_eq(feed_in_steps("done", 4), CONSOLE_MATCH_NONE);
	cr_assert_eq(feed_in_steps("\r\n", 2), CONSOLE_MATCH_EXPECT);
}

Test(console_match, caret_only_at_line_starts)
{
	init("^login", NULL, 0, false);
	cr_assert_eq(feed_in_steps("no login\n", 3), CONSOLE_MATCH_NONE);
	cr_assert_eq(feed_in_steps("login", 2), CONSOLE_MATCH_EXPECT);
}

Test(console_match, dot_does_not_cross_lines)
{
	init("a.b", NULL, 0, false);
	cr_assert_eq(feed_in_steps("a\nb\n", 1), CONSOLE_MATCH_NONE);
}

Test(console_match, literal_newline_in_pattern_spans_lines)
{
	init("first\nsecond", NULL, 0, false);
	cr_assert_eq(feed_in_steps("first\r\nsecond", 3), CONSOLE_MATCH_EXPECT);
}

Test(console_match, defaults_fail_a_panic)
{
	init("login:", NULL, 0, true);
	cr_assert_eq(feed_in_steps("[    1.0] Kernel panic - not syncing: Attempted to kill init!\n", 7),
		     CONSOLE_MATCH_FAIL);
	cr_assert(m.matched->is_default);
	cr_assert_str_eq(m.matched->text, "Kernel panic - not syncing");
	/* Completed by the bursts after the match. */
	cr_assert_str_eq(m.matched_line, "[    1.0] Kernel panic - not syncing: Attempted to kill init!");
}

Test(console_match, defaults_off_without_the_flag)
{
	init("login:", NULL, 0, false);
	cr_assert_eq(feed_in_steps("Kernel panic - not syncing\nlogin:", 5), CONSOLE_MATCH_EXPECT);
}

Test(console_match, user_fail_on_and_earliest_wins)
{
	const char *fail[] = { "FAILED" };

	init("PASSED", fail, 1, false);
	/* Both in one burst: the earlier one decides. */
	cr_assert_eq(feed_in_steps("test 1 PASSED\ntest 2 FAILED\n", 64), CONSOLE_MATCH_EXPECT);
	console_match_free(&m);
	init("PASSED", fail, 1, false);
	cr_assert_eq(feed_in_steps("test 1 FAILED\ntest 2 PASSED\n", 64), CONSOLE_MATCH_FAIL);
	cr_assert_str_eq(m.matched->text, "FAILED");
	cr_assert_not(m.matched->is_default);
	cr_assert_str_eq(m.matched_line, "test 1 FAILED");
}

Test(console_match, fail_wins_a_tie)
{
	const char *fail[] = { "boot (ok|bad)" };

	init("boot ok", fail, 1, false);
	cr_assert_eq(feed_in_steps("boot ok\n", 8), CONSOLE_MATCH_FAIL);
}

Test(console_match, result_is_final)
{
	const char *fail[] = { "bad" };

	init("good", fail, 1, false);
	cr_assert_eq(feed_in_steps("good\n", 5), CONSOLE_MATCH_EXPECT);
	cr_assert_eq(feed_in_steps("bad\n", 4), CONSOLE_MATCH_EXPECT);
	cr_assert_eq(m.len, 5, "fed after the matched line ended");
}

Test(console_match, matched_line_is_completed_by_later_output)
{
	init("panic", NULL, 0, false);
	cr_assert_eq(feed_in_steps("[ 1.0] Kernel panic", 64), CONSOLE_MATCH_EXPECT);
	cr_assert_str_eq(m.matched_line, "[ 1.0] Kernel panic");
	feed_in_steps(" - not syncing: VFS\r\nnext line\n", 5);
	cr_assert_str_eq(m.matched_line, "[ 1.0] Kernel panic - not syncing: VFS");
	cr_assert_eq(m.result, CONSOLE_MATCH_EXPECT);
}

/* Much more output than the window, in bursts larger than the window. */
Test(console_match, match_straddling_the_window_refill)
{
	static char big[3 * CONSOLE_MATCH_WINDOW + 64];
	size_t at = CONSOLE_MATCH_WINDOW - 3;

	init("NEEDLE-[0-9]+!", NULL, 0, false);
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big + at, "NEEDLE-42!", 10);	/* crosses the first refill */
	console_match_feed(&m, (const uint8_t *)big, sizeof(big) - 1);
	cr_assert_eq(m.result, CONSOLE_MATCH_EXPECT, "found while refilling");
	cr_assert_leq(m.len, CONSOLE_MATCH_WINDOW);
}

Test(console_match, longest_guaranteed_match)
{
	static char big[4 * CONSOLE_MATCH_WINDOW + 1];	/* NUL-terminated */
	char pattern[32];

	/* A CONSOLE_MATCH_MAX_LEN-byte match ending anywhere is found. */
	snprintf(pattern, sizeof(pattern), "S y{%d}E", CONSOLE_MATCH_MAX_LEN - 3);
	for (size_t end = CONSOLE_MATCH_MAX_LEN; end < sizeof(big) - 1; end += 1531) {
		size_t start = end - CONSOLE_MATCH_MAX_LEN;

		init(pattern, NULL, 0, false);
		memset(big, 'x', sizeof(big) - 1);
		big[start] = 'S';
		big[start + 1] = ' ';
		memset(big + start + 2, 'y', CONSOLE_MATCH_MAX_LEN - 3);
		big[end - 1] = 'E';
		cr_assert_eq(feed_in_steps(big, 777), CONSOLE_MATCH_EXPECT, "match ending at %zu", end);
		console_match_free(&m);
	}
	init("x", NULL, 0, false);
}

Test(console_match, caret_after_window_refill_is_not_a_line_start)
{
	static char big[CONSOLE_MATCH_WINDOW + 1];

	init("^xy", NULL, 0, false);
	/* One line "yxyx..." far longer than the window: "^" must not match mid-line. */
	memset(big, 'y', sizeof(big) - 1);
	for (size_t i = 0; i < sizeof(big) - 1; i += 2)
		big[i + 1] = 'x';
	cr_assert_eq(feed_in_steps(big, 100), CONSOLE_MATCH_NONE);
	cr_assert_eq(feed_in_steps(big, sizeof(big) - 1), CONSOLE_MATCH_NONE);
}

Test(console_match, matched_line_is_printable)
{
	init("boom", NULL, 0, false);
	cr_assert_eq(feed_in_steps("\x1b[1mboom\tnow\x7f\n", 64), CONSOLE_MATCH_EXPECT);
	cr_assert_str_eq(m.matched_line, "?[1mboom?now?");
}

Test(console_match, bracket_pattern_spans_lines)
{
	init("end[[:space:]]+start", NULL, 0, false);
	cr_assert(m.multiline);
	cr_assert_eq(feed_in_steps("the end\r\n", 3), CONSOLE_MATCH_NONE);
	cr_assert_eq(feed_in_steps("start", 1), CONSOLE_MATCH_EXPECT);
}

Test(console_match, line_patterns_search_from_the_line_start)
{
	const char *fail[] = { "oops" };

	init("ready", fail, 1, false);
	cr_assert_not(m.multiline);
	cr_assert_eq(feed_in_steps("line one\nre", 64), CONSOLE_MATCH_NONE);
	/* The next burst still sees the start of its line. */
	cr_assert_eq(feed_in_steps("ady", 64), CONSOLE_MATCH_EXPECT);
}

Test(console_match, reset_starts_a_new_stream)
{
	init("^ready$", NULL, 0, false);
	cr_assert_eq(feed_in_steps("not ready\nready\n", 4), CONSOLE_MATCH_EXPECT);
	console_match_reset(&m);
	cr_assert_eq(m.result, CONSOLE_MATCH_NONE);
	cr_assert_eq(m.len, 0);
	cr_assert_eq(feed_in_steps("not ready", 4), CONSOLE_MATCH_NONE);
	cr_assert_eq(feed_in_steps("\nready\n", 4), CONSOLE_MATCH_EXPECT);
}

Test(console_match, invalid_and_empty_patterns)
{
	struct tvm_error err = { 0 };

	cr_assert_eq(console_match_validate("--expect", "ok", &err), 0);
	cr_assert_eq(console_match_validate("--expect", "(", &err), -1);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_not_null(strstr(err.msg, "--expect '(': invalid regular expression: "), "%s", err.msg);
	cr_assert_eq(console_match_validate("--fail-on", "(a|)", &err), -1);
	cr_assert_not_null(strstr(err.msg, "matches the empty string"), "%s", err.msg);
	init("x", NULL, 0, false);
}

/*
 * "Can this pattern match a newline", as regcomp(REG_EXTENDED | REG_NEWLINE)
 * reads it. (Before: any '[' said yes, so every burst searched 4 KiB back
 * per pattern.)
 */
Test(console_match, newline_classification_follows_the_ere)
{
	static const char *const no[] = {
		"login: $", "[0-9]+ ms", "^[[:alpha:]_]+=", "[^x]+end", "[^\n]", "a.*b",
		"[[:punct:]]", "[]a]", "[^]a]", "\\[ *[0-9.]+\\]", "[a-z]", "[\x0b-z]",
		"x\\n", "(ab)\\1", "\\w+\\S", "[.]", "[=a=]", "[\\s]", "[[.-.]a]",
	};
	static const char *const yes[] = {
		"a\nb", "end[[:space:]]+start", "[[:cntrl:]]", "[\n]", "[a\nb]", "[\x01-z]",
		"[\t-\r]", "x\\sy", "x\\Wy", "[[=\n=]]", "[[.\n.]]", "[[.newline.]]", "(a|\n)",
		"[]\n]", "[[.\t.]-\x0c]",
	};

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_assert_not(console_match_may_span_lines(no[i]), "pattern %zu: '%s'", i, no[i]);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_assert(console_match_may_span_lines(yes[i]), "pattern %zu: '%s'", i, yes[i]);
}

/* The classification against regexec() itself: each "no" never matches across "\n". */
Test(console_match, patterns_said_line_bound_never_match_a_newline)
{
	static const char *const no[] = { "[^x]+", "a.*b", "[a-z ]+", "[\x0b-z]+", "\\w+\\S*", "[=a=]" };
	const char *text = "a\nb";

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		regex_t re;
		regmatch_t pm;

		cr_assert_eq(regcomp(&re, no[i], REG_EXTENDED | REG_NEWLINE), 0);
		for (size_t from = 0; from < strlen(text); from++)
			if (!regexec(&re, text + from, 1, &pm, 0))
				cr_assert_not(memchr(text + from + pm.rm_so, '\n',
						     (size_t)(pm.rm_eo - pm.rm_so)), "'%s'", no[i]);
		regfree(&re);
	}
}

/*
 * One long line arriving a byte per burst, 16 patterns: the per-burst
 * searches hand regexec() at most CONSOLE_MATCH_RESCAN + 1 bytes per byte
 * of output per pattern, plus one window at the end. (Before: every burst
 * rescanned the line so far, up to 4 KiB, for every pattern: ~2000 times
 * more.) Work is counted in bytes searched, not time.
 */
Test(console_match, work_per_burst_is_bounded_on_a_long_line)
{
	static const char *const fail[] = {
		"[0-9]+ ms", "[^ ]+ failed", "a[bc]d", "e[fg]h", "i[jk]l", "m[no]p", "q[rs]t",
		"u[vw]x", "y[za]b", "c[de]f", "g[hi]j", "k[lm]n", "o[pq]r",
	};
	const size_t line = 6000;
	unsigned int npat;
	uint64_t bound;

	init("never[[:alpha:]]", fail, sizeof(fail) / sizeof(fail[0]), true);
	npat = m.nfail + 1;
	cr_assert_eq(npat, 17);
	cr_assert_not(m.multiline, "no pattern can match a newline");
	for (size_t i = 0; i < line; i++) {
		console_match_feed(&m, (const uint8_t *)"z", 1);
		console_match_check_bounded(&m);
	}
	console_match_check(&m);	/* what the caller's timer does once output pauses */
	cr_assert_eq(m.result, CONSOLE_MATCH_NONE);
	cr_assert_not(console_match_pending(&m));
	bound = ((CONSOLE_MATCH_RESCAN + 1) * line + CONSOLE_MATCH_WINDOW) * npat;
	cr_assert_leq(m.work, bound, "%llu bytes searched for %zu bytes of output (bound %llu)",
		      (unsigned long long)m.work, line, (unsigned long long)bound);
}

/* Deferred is not lost: the match is there as soon as the caller searches. */
Test(console_match, a_deferred_search_still_finds_the_match)
{
	char text[2100];

	init("needle", NULL, 0, false);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text + 2000, "needle", 6);
	for (size_t i = 0; i < 2006; i++) {
		console_match_feed(&m, (const uint8_t *)text + i, 1);
		console_match_check_bounded(&m);
	}
	cr_assert(console_match_pending(&m) || m.result == CONSOLE_MATCH_EXPECT);
	cr_assert_eq(console_match_check(&m), CONSOLE_MATCH_EXPECT);
	cr_assert_eq(m.matched_at, 2000);
}

/*
 * glibc's regcomp() copies what a repetition repeats, and a repetition of
 * a repetition multiplies: "d ++++..." (found by the cli fuzz target) asked
 * for 2^100 copies and ran out of memory. The estimate must be close for
 * ordinary patterns and refuse the explosive ones before regcomp().
 */
static size_t copies(const char *pattern)
{
	return console_match_regex_cost(pattern).copies;
}

static void refused(const char *pattern, const char *why)
{
	struct tvm_error err = { 0 };

	cr_assert_eq(console_match_validate("--expect", pattern, &err), -1, "%s", pattern);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_not_null(strstr(err.msg, why), "%s", err.msg);
}

Test(console_match, regex_copies_are_estimated_and_explosions_refused)
{
	char stacked[128] = "d ", long_one[CONSOLE_MATCH_MAX_PATTERN + 2];
	struct tvm_error err = { 0 };

	cr_assert_eq(copies("login:"), 6);
	cr_assert_eq(copies("a+"), 2);
	cr_assert_eq(copies("a{3,5}"), 5);
	cr_assert_eq(copies("(ab){3}"), 9);
	cr_assert_eq(copies("[a-z]{4}x|y"), 6);
	cr_assert_eq(copies("a\\+"), 2);
	cr_assert_eq(copies("x{32767}"), 32767);
	cr_assert_null(console_match_regex_cost("(ab*)*c+|d?").stacked);
	cr_assert_gt(copies("(.{64}){1024}"), CONSOLE_MATCH_MAX_COPIES);
	refused("(.{64}){1024}", "copies of its parts");
	memset(stacked + 2, '+', 100);
	cr_assert_gt(copies(stacked), CONSOLE_MATCH_MAX_COPIES);
	refused(stacked, "the quantifier '+' at offset 3 repeats a repetition");
	refused("ab*?", "'?' at offset 3");
	refused("x{2}{3}", "'{' at offset 4");
	memset(long_one, 'a', sizeof(long_one) - 1);
	long_one[sizeof(long_one) - 1] = '\0';
	refused(long_one, "513 bytes long; at most 512");
	long_one[CONSOLE_MATCH_MAX_PATTERN] = '\0';
	cr_assert_eq(console_match_validate("--fail-on", long_one, &err), 0, "%s", err.msg);
	cr_assert_eq(console_match_validate("--fail-on", "x{32767}", &err), 0, "%s", err.msg);
}

/*
 * regcomp()'s closures grow with the square of the optional copies:
 * "e{44,20929}" (the cli fuzz target's third find) took it over 14 s.
 */
Test(console_match, optional_copies_are_counted_and_bounded)
{
	struct tvm_error err = { 0 };

	cr_assert_eq(console_match_regex_cost("login:").optional, 0);
	cr_assert_eq(console_match_regex_cost("a*b?").optional, 2);
	cr_assert_eq(console_match_regex_cost("a+").optional, 1);
	cr_assert_eq(console_match_regex_cost("x{2,5}").optional, 3);
	cr_assert_eq(console_match_regex_cost("(ab?){3}").optional, 3);
	cr_assert_eq(console_match_regex_cost("(a|b*)c").optional, 1);
	refused("e{44,20929}", "over 512 optional parts");
	refused("x{0,4096}", "over 512 optional parts");
	refused("a4{,20929}", "over 512 optional parts");	/* glibc's {,n} */
	/* Cheap to compile, but (a*)\1b searched 4 KiB of 'a' for over a minute. */
	refused("(a*)\\1b", "back-references ('\\1') are not supported");
	cr_assert_eq(console_match_validate("--expect", "a\\.b\\\\1", &err), 0, "%s", err.msg);
	refused("(x*){1000}", "over 512 optional parts");
	cr_assert_eq(console_match_validate("--expect", "ax{0,512}", &err), 0, "%s", err.msg);
	cr_assert_eq(console_match_validate("--expect", "[0-9]{1,3}(\\.[0-9]{1,3}){3} login: .*$", &err), 0,
		     "%s", err.msg);
}
