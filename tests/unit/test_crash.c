// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "vmm/crash.h"

/* Run @body in a child with the crash handler installed; its stderr into @out. */
static int run_child(void (*body)(void), char *out, size_t size)
{
	int p[2], status;
	ssize_t n, total = 0;
	pid_t pid;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		crash_handler_install();
		body();
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], out + total, size - 1 - (size_t)total)) > 0)
		total += n;
	out[total] = '\0';
	close(p[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void raise_sigill(void)
{
	prctl(PR_SET_NAME, "vcpu7", 0, 0, 0);
	raise(SIGILL);	/* one the sanitizers leave to us */
}

/* A child that crashes with the handler installed: it must say so and die of the signal. */
Test(crash, fatal_signal_is_reported_then_kept)
{
	char out[4096] = "";
	int status = run_child(raise_sigill, out, sizeof(out));

	cr_assert(WIFSIGNALED(status), "the child exited instead of dying of the signal");
	cr_assert_eq(WTERMSIG(status), SIGILL, "exit status must stay 128 + the signal");
	cr_assert_not_null(strstr(out, "tinyvmm: fatal signal ILL in thread vcpu7"), "got: %s", out);
	cr_assert_not_null(strstr(out, "backtrace"), "got: %s", out);
}

static int __attribute__((noinline)) recurse(int depth)
{
	volatile char pad[1024];

	pad[0] = (char)depth;
	if (depth > (1 << 30))
		return 0;
	return recurse(depth + 1) + pad[0];
}

static void *overflow_stack(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "deep", 0, 0, 0);
	return (void *)(long)recurse(0);
}

static void overflow_in_a_thread(void)
{
	pthread_t t;

	if (tvm_thread_start(&t, overflow_stack, NULL) == 0)
		pthread_join(t, NULL);
}

/*
 * A thread that overflows its stack has no stack left for the handler: the
 * alternate signal stack every tinyvmm thread gets must let it report.
 */
Test(crash, stack_overflow_in_a_thread_is_reported)
{
	char out[4096] = "";
	int status = run_child(overflow_in_a_thread, out, sizeof(out));

#ifdef __SANITIZE_ADDRESS__
	/* ASan takes SIGSEGV itself and reports the overflow its own way. */
	cr_assert(WIFSIGNALED(status) || WEXITSTATUS(status) != 0, "the overflow went unnoticed");
#else
	cr_assert(WIFSIGNALED(status), "the child exited instead of dying of the signal");
	cr_assert_eq(WTERMSIG(status), SIGSEGV);
	cr_assert_not_null(strstr(out, "tinyvmm: fatal signal SEGV in thread deep"), "got: %s", out);
#endif
}
