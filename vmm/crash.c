// SPDX-License-Identifier: MIT
/*
 * A last word before dying: tinyvmm is often run unattended (CI), where a
 * bare "exit 139" says nothing. Only async-signal-safe calls below, apart
 * from backtrace(), which glibc documents as usable once warmed up.
 */
#include "vmm/crash.h"

#include <execinfo.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lib/util.h"
#include "vmm/console/console.h"

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

/* Append @s to @buf at *@off (no stdio in a signal handler). */
static void put(char *buf, size_t size, size_t *off, const char *s)
{
	while (*s && *off + 1 < size)
		buf[(*off)++] = *s++;
}

static void put_hex(char *buf, size_t size, size_t *off, uintptr_t v)
{
	char hex[2 + 2 * sizeof(v) + 1] = "0x";
	int n = 2;

	for (int shift = (int)(8 * sizeof(v)) - 4; shift >= 0; shift -= 4)
		hex[n++] = "0123456789abcdef"[(v >> shift) & 0xf];
	hex[n] = '\0';
	put(buf, size, off, hex);
}

static void put_dec(char *buf, size_t size, size_t *off, long v)
{
	char digits[24];
	int n = 0;

	if (v < 0) {
		put(buf, size, off, "-");
		v = -v;
	}
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(digits));
	while (n--) {
		char c[2] = { digits[n], '\0' };

		put(buf, size, off, c);
	}
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	char line[256], thread[17] = "?";
	void *frames[32];
	size_t off = 0;
	int n;

	(void)uc;
	prctl(PR_GET_NAME, thread, 0, 0, 0);
	put(line, sizeof(line), &off, "\ntinyvmm: fatal signal ");
	put(line, sizeof(line), &off, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	put(line, sizeof(line), &off, " in thread ");
	put(line, sizeof(line), &off, thread);
	if (si->si_code == SI_USER || si->si_code == SI_TKILL) {
		/* Sent by someone (kill): there is no faulting address. */
		put(line, sizeof(line), &off, ", sent by pid ");
		put_dec(line, sizeof(line), &off, (long)si->si_pid);
	} else {
		put(line, sizeof(line), &off, ", address ");
		put_hex(line, sizeof(line), &off, (uintptr_t)si->si_addr);
	}
	put(line, sizeof(line), &off, "; please report it with this backtrace:\n");
	if (write(STDERR_FILENO, line, off) < 0)
		off = 0;
	n = backtrace(frames, 32);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
	console_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

void crash_handler_install(void)
{
	struct sigaction sa = { .sa_sigaction = on_fatal,
				.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK };
	void *warm[1];

	/* The main thread's; tvm_thread_start() gives every other thread one. */
	tvm_altstack_alloc();
	/* The first backtrace() may allocate: do it now, not in the handler. */
	backtrace(warm, 1);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
}
