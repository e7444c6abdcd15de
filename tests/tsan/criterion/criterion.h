/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for <criterion/criterion.h> in the ThreadSanitizer build only:
 * Criterion cannot start under TSan (its inheritable arena needs address
 * space TSan reserves; Criterion issue #274). It runs the same test files,
 * each test in a forked child with its suite's .fini and a timeout, and
 * prints Criterion's synthesis line. Only what the threaded tests use.
 */
#ifndef TINYVMM_TSAN_CRITERION_H
#define TINYVMM_TSAN_CRITERION_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct cr_options {
	void (*init)(void);
	void (*fini)(void);
	unsigned int timeout;
};

struct cr_test {
	const char *suite, *name;
	void (*fn)(void);
	struct cr_options opts;
	struct cr_test *next;
};

extern struct cr_test *cr_tests;
extern struct cr_options cr_suite_opts;

void cr_fail_here(const char *file, int line, const char *what);
void cr_skip_here(void);

#define Test(suite, name, ...)							\
	static void suite##_##name(void);					\
	static struct cr_test suite##_##name##_entry = {			\
		#suite, #name, suite##_##name, { __VA_ARGS__ }, NULL };	\
	__attribute__((constructor)) static void suite##_##name##_reg(void)	\
	{									\
		suite##_##name##_entry.next = cr_tests;				\
		cr_tests = &suite##_##name##_entry;				\
	}									\
	static void suite##_##name(void)

#define TestSuite(suite, ...)							\
	__attribute__((constructor)) static void suite##_suite_reg(void)	\
	{									\
		cr_suite_opts = (struct cr_options){ __VA_ARGS__ };		\
	}

/* The message arguments are accepted and ignored: the line number says which. */
#define cr_assert(e, ...) do { if (!(e)) cr_fail_here(__FILE__, __LINE__, #e); } while (0)
#define cr_assert_not(e, ...) cr_assert(!(e))
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b))
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b))
#define cr_assert_lt(a, b, ...) cr_assert((a) < (b))
#define cr_assert_leq(a, b, ...) cr_assert((a) <= (b))
#define cr_assert_arr_eq(a, b, n, ...) cr_assert(memcmp((a), (b), (n)) == 0)
#define cr_skip_test(...) cr_skip_here()
/* Informational lines go to stderr, as Criterion's --verbose shows them. */
#define cr_log_info(...) do { fprintf(stderr, "[----] " __VA_ARGS__); fputc('\n', stderr); } while (0)

#endif
