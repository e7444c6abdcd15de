// SPDX-License-Identifier: MIT
/* The runner behind tests/tsan/criterion/criterion.h (ThreadSanitizer build). */
#include <criterion/criterion.h>

#include <signal.h>

#define CR_SKIPPED 77

struct cr_test *cr_tests;
struct cr_options cr_suite_opts;

void cr_fail_here(const char *file, int line, const char *what)
{
	fprintf(stderr, "[----] %s:%d: Assertion Failed: %s\n", file, line, what);
	_exit(1);
}

void cr_skip_here(void)
{
	_exit(CR_SKIPPED);
}

/* 0 passed, 1 failed, 2 skipped. */
static int run_one(const struct cr_test *t)
{
	unsigned int timeout = t->opts.timeout ? t->opts.timeout : cr_suite_opts.timeout;
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 1;
	if (pid == 0) {
		alarm(timeout ? timeout : 60);
		if (cr_suite_opts.init)
			cr_suite_opts.init();
		t->fn();
		if (cr_suite_opts.fini)
			cr_suite_opts.fini();
		/* TSan's exit code (66 by default) says whether it saw a race. */
		exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == CR_SKIPPED)
		return 2;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "[FAIL] %s::%s: %s %d\n", t->suite, t->name,
		WIFSIGNALED(status) ? "killed by signal" : "exit status",
		WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return 1;
}

int main(void)
{
	unsigned int counts[3] = { 0 }, n = 0;

	for (const struct cr_test *t = cr_tests; t; t = t->next, n++)
		counts[run_one(t)]++;
	printf("[====] Synthesis: Tested: %u | Passing: %u | Failing: %u | Crashing: 0 | Skipped: %u\n",
	       n - counts[2], counts[0], counts[1], counts[2]);
	return counts[1] ? 1 : 0;
}
