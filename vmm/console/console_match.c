// SPDX-License-Identifier: MIT
/*
 * The console matcher behind --expect and --fail-on (console_match.h).
 * regexec() wants a NUL-terminated string, so the stream is kept in a
 * window of CONSOLE_MATCH_WINDOW bytes: a search covers the bytes that
 * arrived since the last one plus the CONSOLE_MATCH_MAX_LEN - 1 before
 * them, and when the window fills it is searched, then cut down to its
 * last CONSOLE_MATCH_MAX_LEN - 1 bytes. A match of up to
 * CONSOLE_MATCH_MAX_LEN bytes therefore always lies inside one search.
 */
#include "vmm/console/console_match.h"

#include <stdlib.h>
#include <string.h>

const char *const console_match_default_fail[] = {
	"Kernel panic - not syncing",
	"Internal error: Oops",
	"BUG: ",
};
const unsigned int console_match_ndefault_fail =
	sizeof(console_match_default_fail) / sizeof(console_match_default_fail[0]);

#define REGEX_FLAGS (REG_EXTENDED | REG_NEWLINE)

static int too_costly(const char *option, const char *pattern, struct tvm_error *err)
{
	struct console_regex_cost cost = console_match_regex_cost(pattern);
	size_t len = strlen(pattern);

	if (len > CONSOLE_MATCH_MAX_PATTERN)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"%s: the regular expression is %zu bytes long; at most %d. Shorten it, or split a --fail-on list into several patterns",
				option, len, CONSOLE_MATCH_MAX_PATTERN);
	if (cost.backref)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"%s '%s': back-references ('%.2s') are not supported: glibc's search for them is exponential in the text (a 4 KiB window took over a minute), and the main thread that searches also stops tinyvmm. Write the repeated text out",
				option, pattern, cost.backref);
	if (cost.stacked)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"%s '%s': the quantifier '%c' at offset %td repeats a repetition. Repeat each part once, e.g. 'a+' rather than 'a++'",
				option, pattern, *cost.stacked, cost.stacked - pattern);
	if (cost.copies > CONSOLE_MATCH_MAX_COPIES)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"%s '%s': the regular expression compiles to over %d copies of its parts. Keep {n} counts and nested repetitions small",
				option, pattern, CONSOLE_MATCH_MAX_COPIES);
	if (cost.optional > CONSOLE_MATCH_MAX_OPTIONAL)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"%s '%s': the regular expression has over %d optional parts (copies made by *, ? or {m,n}); compiling takes time growing with their square. Use fewer or smaller optional repetitions",
				option, pattern, CONSOLE_MATCH_MAX_OPTIONAL);
	return 0;
}

static int compile(regex_t *re, const char *option, const char *pattern,
		   struct tvm_error *err)
{
	char why[160];
	int r;

	if (too_costly(option, pattern, err))
		return -1;
	r = regcomp(re, pattern, REGEX_FLAGS);
	if (r) {
		regerror(r, re, why, sizeof(why));
		regfree(re);
		return tvm_fail(err, TVM_EXIT_USAGE,
				"%s '%s': invalid regular expression: %s. Write a POSIX extended regular expression (grep -E syntax)",
				option, pattern, why);
	}
	return 0;
}

int console_match_validate(const char *option, const char *pattern, struct tvm_error *err)
{
	regex_t re;
	bool matches_empty;

	if (compile(&re, option, pattern, err))
		return -1;
	matches_empty = regexec(&re, "", 0, NULL, 0) == 0;
	regfree(&re);
	/* It would match before the guest says anything: surely a mistake. */
	if (matches_empty)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"%s '%s' matches the empty string, so it matches any output at once. Give the text to wait for",
				option, pattern);
	return 0;
}

/*
 * "Can this pattern match a newline" (console_match_may_span_lines()), for
 * regcomp(REG_EXTENDED | REG_NEWLINE) in the C locale, atom by atom: with
 * REG_NEWLINE neither "." nor a non-matching list [^...] matches a newline,
 * and anchors consume nothing, so a match crosses a line only through an
 * atom that is a newline itself, a matching list holding one ([\n],
 * [[:space:]], [[:cntrl:]], a range across 0x0a), or GNU's \s and \W.
 * Where the syntax is beyond this reading (a multi-character collating
 * element), the answer is yes: that only costs search time.
 */

/* The bracket-expression element at @p: [:class:], [=c=], [.c.] or one byte. */
struct bracket_elem {
	int lo;			/* the byte it stands for; -1: a class or a name */
	bool has_newline;	/* the element itself may match a newline */
	const char *next;
};

static struct bracket_elem bracket_elem(const char *p)
{
	struct bracket_elem e = { .lo = (unsigned char)*p, .next = p + 1 };
	const char *end;

	if (p[0] == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
		char kind = p[1], close[3] = { kind, ']', '\0' };

		end = strstr(p + 2, close);
		if (!end)	/* regcomp refused it already; be safe */
			return (struct bracket_elem){ .lo = -1, .has_newline = true, .next = p + strlen(p) };
		e.next = end + 2;
		if (kind == ':') {
			e.lo = -1;
			e.has_newline = !strncmp(p + 2, "space:", 6) || !strncmp(p + 2, "cntrl:", 6);
		} else if (end == p + 3) {
			e.lo = (unsigned char)p[2];	/* [=c=] or [.c.]: the byte c */
		} else {
			e.lo = -1;
			e.has_newline = true;	/* a named element: could be <newline> */
		}
	}
	if (e.lo == '\n')
		e.has_newline = true;
	return e;
}

/*
 * The bracket expression at @p ('['): whether it matches a newline, and
 * where it ends. A range lo-hi holds the newline when lo <= 0x0a <= hi.
 */
static bool bracket_has_newline(const char *p, const char **next)
{
	bool negated = false, found = false, first = true;

	p++;
	if (*p == '^') {
		negated = true;
		p++;
	}
	while (*p && (first || *p != ']')) {
		struct bracket_elem lo = bracket_elem(p), hi;

		first = false;
		p = lo.next;
		found |= lo.has_newline;
		if (p[0] == '-' && p[1] && p[1] != ']' && lo.lo >= 0) {
			hi = bracket_elem(p + 1);
			p = hi.next;
			found |= hi.lo < 0 ? hi.has_newline : lo.lo <= '\n' && '\n' <= hi.lo;
		}
	}
	*next = *p ? p + 1 : p;
	/* REG_NEWLINE: a non-matching list never matches a newline. */
	return found && !negated;
}

bool console_match_may_span_lines(const char *pattern)
{
	const char *p = pattern;

	while (*p) {
		if (*p == '[') {
			if (bracket_has_newline(p, &p))
				return true;
			continue;
		}
		if (*p == '\\' && p[1]) {
			/* GNU classes: \s (space) and \W (not a word byte) hold the newline. */
			if (p[1] == 's' || p[1] == 'W' || p[1] == '\n')
				return true;
			p += 2;
			continue;
		}
		if (*p == '\n')
			return true;
		p++;
	}
	return false;
}

/*
 * What compiling @pattern costs, estimated from its text: the copies of
 * its parts regcomp() builds, how many of them are optional, and the first
 * quantifier stacked on another. glibc expands a repetition by copying
 * what it repeats (a+ is aa*, a{2,5} is five a's), so a repetition of a
 * repetition multiplies (each '+' of "d+++..." doubles the tree: 100 bytes
 * ask for 2^100 nodes and regcomp() takes every byte of memory). And its
 * epsilon closures grow with the square of the optional copies in a row
 * (x{0,4096}: 0.8 s; (x*){4000}: 19 s and 1.2 GB). The walk keeps, per
 * group depth, the sequence so far and its last atom or group (what a
 * following quantifier repeats); counts saturate just above the limit, so
 * they are exact enough to refuse and never overflow. Stacked quantifiers
 * ("a+*", undefined in POSIX) are refused outright, and so are
 * back-references: they cost nothing to compile but make every search
 * exponential.
 */
#define REGEX_MAX_DEPTH 64
#define REGEX_SATURATED (CONSOLE_MATCH_MAX_COPIES + 1)

struct regex_part {
	size_t copies;		/* nodes regcomp() builds for it */
	size_t optional;	/* of those, the ones that may match nothing */
};

struct regex_level {
	struct regex_part total;	/* this group so far */
	struct regex_part last;		/* its last atom or group */
};

static size_t capped(size_t n)
{
	return n > REGEX_SATURATED ? REGEX_SATURATED : n;
}

static size_t capped_mul(size_t a, size_t b)
{
	if (b && a > REGEX_SATURATED / b + 1)
		return REGEX_SATURATED;
	return capped(a * b);
}

/* A quantifier at @p: its repeat counts {@min, @max}; false if it is none. */
static bool quantifier_at(const char *p, size_t *min, size_t *max, const char **next)
{
	unsigned long lo, hi;
	char *end;

	*next = p + 1;
	if (*p == '*' || *p == '?' || *p == '+') {
		*min = *p == '+';
		*max = *p == '?' ? 1 : *min + 1;	/* a* is one starred copy, a+ is aa* */
		return true;
	}
	/* glibc also takes {,n} for {0,n}. */
	if (*p != '{' || ((p[1] < '0' || p[1] > '9') && p[1] != ','))
		return false;
	lo = strtoul(p + 1, &end, 10);	/* 0 and end at the ',' for {,n} */
	hi = lo;
	if (*end == ',') {
		if (end[1] >= '0' && end[1] <= '9')
			hi = strtoul(end + 1, &end, 10);
		else {
			hi = lo + 1;	/* {m,}: m copies and a starred one */
			end++;
		}
	}
	if (*end != '}')
		return false;
	*next = end + 1;
	*min = capped(lo);
	*max = capped(hi > lo ? hi : lo);
	return true;
}

/* @last repeated {min, max} times: max copies, the max - min beyond min optional. */
static struct regex_part repeated(struct regex_part last, size_t min, size_t max)
{
	struct regex_part r = { .copies = capped_mul(last.copies, max ? max : 1) };

	r.optional = capped(capped_mul(last.copies, max - min) + capped_mul(last.optional, min));
	return r;
}

static void level_add(struct regex_level *l, struct regex_part part)
{
	l->total.copies = capped(l->total.copies + part.copies);
	l->total.optional = capped(l->total.optional + part.optional);
	l->last = part;
}

struct console_regex_cost console_match_regex_cost(const char *pattern)
{
	struct regex_level level[REGEX_MAX_DEPTH + 1] = { 0 };
	struct console_regex_cost cost = { 0 };
	const struct regex_part one = { 1, 0 };
	unsigned int depth = 0;
	const char *p = pattern, *next;
	bool after_quantifier = false;
	size_t min, max;

	while (*p) {
		struct regex_level *l = &level[depth];
		struct regex_part part = one;

		if (quantifier_at(p, &min, &max, &next)) {
			if (after_quantifier && !cost.stacked)
				cost.stacked = p;
			after_quantifier = true;
			part = repeated(l->last, min, max);
			l->total.copies -= l->last.copies;
			l->total.optional -= l->last.optional;
			level_add(l, part);
			p = next;
			continue;
		}
		after_quantifier = false;
		next = p + 1;
		if (*p == '(') {
			if (++depth > REGEX_MAX_DEPTH) {
				cost.copies = cost.optional = REGEX_SATURATED;
				return cost;
			}
			level[depth] = (struct regex_level){ 0 };
			p++;
			continue;
		} else if (*p == ')' && depth) {
			part = level[depth--].total;
			part.copies = capped(part.copies + 1);
			l = &level[depth];
		} else if (*p == '|') {
			l->last = (struct regex_part){ 0 };
			p++;
			continue;
		} else if (*p == '[') {
			bracket_has_newline(p, &next);
		} else if (*p == '\\' && p[1]) {
			if (p[1] >= '1' && p[1] <= '9' && !cost.backref)
				cost.backref = p;
			next = p + 2;
		}
		level_add(l, part);
		p = next;
	}
	for (; depth; depth--)	/* an unclosed group: regcomp() refuses it anyway */
		level_add(&level[depth - 1], level[depth].total);
	cost.copies = level[0].total.copies;
	cost.optional = level[0].total.optional;
	return cost;
}

static int add_fail(struct console_match *m, const char *pattern, bool is_default,
		    struct tvm_error *err)
{
	struct console_pattern *p = &m->fail[m->nfail];

	if (m->nfail == CONSOLE_MATCH_MAX_FAIL)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"too many --fail-on patterns (at most %u with the defaults). Join some with |",
				CONSOLE_MATCH_MAX_FAIL);
	if (compile(&p->re, "--fail-on", pattern, err))
		return -1;
	p->text = pattern;
	p->is_default = is_default;
	m->multiline |= console_match_may_span_lines(pattern);
	m->nfail++;
	return 0;
}

void console_match_reset(struct console_match *m)
{
	m->len = 0;
	m->unchecked = 0;
	m->window_at_bol = true;
	m->result = CONSOLE_MATCH_NONE;
	m->matched = NULL;
	m->matched_at = 0;
	m->line_done = false;
	m->matched_line[0] = '\0';
}

int console_match_init(struct console_match *m, const struct console_match_config *cfg,
		       struct tvm_error *err)
{
	memset(m, 0, sizeof(*m));
	console_match_reset(m);
	if (cfg->expect) {
		if (compile(&m->expect.re, "--expect", cfg->expect, err))
			return -1;
		m->expect.text = cfg->expect;
		m->has_expect = true;
		m->multiline = console_match_may_span_lines(cfg->expect);
	}
	for (unsigned int i = 0; cfg->default_fail_on && i < console_match_ndefault_fail; i++)
		if (add_fail(m, console_match_default_fail[i], true, err))
			goto fail;
	for (unsigned int i = 0; i < cfg->nfail_on; i++)
		if (add_fail(m, cfg->fail_on[i], false, err))
			goto fail;
	return 0;
fail:
	console_match_free(m);
	return -1;
}

void console_match_free(struct console_match *m)
{
	if (m->has_expect)
		regfree(&m->expect.re);
	for (unsigned int i = 0; i < m->nfail; i++)
		regfree(&m->fail[i].re);
	m->has_expect = false;
	m->nfail = 0;
}

/* The console line around window[pos], printable, for the stop message. */
static void copy_line(struct console_match *m, size_t pos)
{
	size_t start = pos, n = 0;

	while (start > 0 && m->window[start - 1] != '\n')
		start--;
	for (size_t i = start; i < m->len && m->window[i] != '\n' && n < CONSOLE_MATCH_LINE_MAX; i++) {
		unsigned char c = (unsigned char)m->window[i];

		m->matched_line[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	m->matched_line[n] = '\0';
}

/* Offset of @p's first match in @text (@len bytes), or -1. */
static long first_match(struct console_match *m, const struct console_pattern *p,
			const char *text, size_t len, int eflags)
{
	regmatch_t pm;

	m->work += len;
	if (regexec(&p->re, text, 1, &pm, eflags))
		return -1;
	return (long)pm.rm_so;
}

static void consider(struct console_match *m, const struct console_pattern *p,
		     enum console_match_kind kind, const char *text, size_t len, int eflags,
		     long *best)
{
	long at = first_match(m, p, text, len, eflags);

	/* Strictly earlier wins; fail patterns are tried first, so win ties. */
	if (at >= 0 && (*best < 0 || at < *best)) {
		*best = at;
		m->result = kind;
		m->matched = p;
	}
}

/*
 * Where a search must begin so that no match ending in the new bytes is
 * missed: CONSOLE_MATCH_MAX_LEN - 1 bytes back, or, when no pattern can
 * cross a line break, just the start of the line the new bytes begin in
 * (a search then costs about a line, not the window).
 */
static size_t search_start(const struct console_match *m, size_t new_start)
{
	size_t from = new_start > CONSOLE_MATCH_MAX_LEN - 1 ? new_start - (CONSOLE_MATCH_MAX_LEN - 1) : 0;
	const char *nl;

	if (m->multiline || new_start == from)
		return from;
	nl = memrchr(m->window + from, '\n', new_start - from);
	return nl ? (size_t)(nl - m->window) + 1 : from;
}

enum console_match_kind console_match_check(struct console_match *m)
{
	size_t new_start, from;
	long best = -1;
	int eflags;

	if (m->result || !m->unchecked)
		return m->result;
	new_start = m->len - m->unchecked;
	from = search_start(m, new_start);
	m->window[m->len] = '\0';
	/* The last line has not ended yet, and @from may be mid-line. */
	eflags = REG_NOTEOL;
	if (from ? m->window[from - 1] != '\n' : !m->window_at_bol)
		eflags |= REG_NOTBOL;
	for (unsigned int i = 0; i < m->nfail; i++)
		consider(m, &m->fail[i], CONSOLE_MATCH_FAIL, m->window + from, m->len - from,
			 eflags, &best);
	if (m->has_expect)
		consider(m, &m->expect, CONSOLE_MATCH_EXPECT, m->window + from, m->len - from,
			 eflags, &best);
	m->unchecked = 0;
	if (best >= 0) {
		m->matched_at = from + (size_t)best;
		m->line_done = memchr(m->window + m->matched_at, '\n', m->len - m->matched_at);
		copy_line(m, m->matched_at);
	}
	return m->result;
}

/*
 * A burst's search, unless it would mostly rescan old bytes: a search
 * covers the new bytes and up to CONSOLE_MATCH_MAX_LEN - 1 before them (or
 * the start of their line), so one-byte bursts into a long line would each
 * cost the whole line per pattern. Deferred until the new bytes are at
 * least 1/CONSOLE_MATCH_RESCAN of the rescan (or the window fills, or the
 * caller's timer calls console_match_check()), the work stays within
 * CONSOLE_MATCH_RESCAN + 1 bytes searched per byte of output per pattern.
 */
enum console_match_kind console_match_check_bounded(struct console_match *m)
{
	size_t new_start;

	if (m->result || !m->unchecked)
		return m->result;
	new_start = m->len - m->unchecked;
	if (new_start - search_start(m, new_start) > CONSOLE_MATCH_RESCAN * m->unchecked)
		return CONSOLE_MATCH_NONE;
	return console_match_check(m);
}

/* Search what is pending, then keep only the context the next search needs. */
static void make_room(struct console_match *m)
{
	size_t keep = CONSOLE_MATCH_MAX_LEN - 1, drop = m->len - keep;

	if (console_match_check(m))
		return;
	m->window_at_bol = m->window[drop - 1] == '\n';
	memmove(m->window, m->window + drop, keep);
	m->len = keep;
}

/* After the match: the rest of its line, for the stop message. */
static void complete_line(struct console_match *m, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && !m->line_done && m->len < CONSOLE_MATCH_WINDOW; i++) {
		if (buf[i] == '\0' || buf[i] == '\r')
			continue;
		m->window[m->len++] = (char)buf[i];
		m->line_done = buf[i] == '\n';
	}
	if (i)
		copy_line(m, m->matched_at);
}

enum console_match_kind console_match_feed(struct console_match *m, const uint8_t *buf,
					   size_t len)
{
	if (m->result) {
		complete_line(m, buf, len);
		return m->result;
	}
	for (size_t i = 0; i < len && !m->result; i++) {
		if (buf[i] == '\0' || buf[i] == '\r')
			continue;
		if (m->len == CONSOLE_MATCH_WINDOW) {
			make_room(m);
			if (m->result)
				break;
		}
		m->window[m->len++] = (char)buf[i];
		m->unchecked++;
	}
	return m->result;
}
