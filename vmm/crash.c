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
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "lib/util.h"
#include "vmm/console/console.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1	/* si_code of a SIGSYS from SECCOMP_RET_TRAP (asm-generic/siginfo.h) */
#endif

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

/* Names of the calls a new code path is likely to need (the number is always printed). */
static const struct {
	long nr;
	const char *name;
} syscall_names[] = {
	{ __NR_ioctl, "ioctl" }, { __NR_openat, "openat" }, { __NR_mremap, "mremap" },
	{ __NR_mmap, "mmap" }, { __NR_mprotect, "mprotect" }, { __NR_clone, "clone" },
	{ __NR_execve, "execve" }, { __NR_socket, "socket" }, { __NR_connect, "connect" },
	{ __NR_sendto, "sendto" }, { __NR_sendmsg, "sendmsg" }, { __NR_prctl, "prctl" },
	{ __NR_tgkill, "tgkill" }, { __NR_kill, "kill" }, { __NR_unlinkat, "unlinkat" },
	{ __NR_renameat2, "renameat2" }, { __NR_mkdirat, "mkdirat" }, { __NR_ptrace, "ptrace" },
	{ __NR_statx, "statx" }, { __NR_pipe2, "pipe2" }, { __NR_dup3, "dup3" },
	{ __NR_eventfd2, "eventfd2" }, { __NR_fcntl, "fcntl" }, { __NR_mlock, "mlock" },
#ifdef __NR_open
	{ __NR_open, "open" },
#endif
};

static const char *syscall_name(long nr)
{
	for (size_t i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
		if (syscall_names[i].nr == nr)
			return syscall_names[i].name;
	return NULL;
}

/* Arguments 0 and 1 of the refused call: the kernel rolled the registers back to them. */
static void syscall_args(const void *uc, uintptr_t *a0, uintptr_t *a1)
{
	const ucontext_t *ctx = uc;

#if defined(__aarch64__)
	*a0 = (uintptr_t)ctx->uc_mcontext.regs[0];
	*a1 = (uintptr_t)ctx->uc_mcontext.regs[1];
#elif defined(__x86_64__)
	*a0 = (uintptr_t)ctx->uc_mcontext.gregs[REG_RDI];
	*a1 = (uintptr_t)ctx->uc_mcontext.gregs[REG_RSI];
#else
	(void)ctx;
	*a0 = *a1 = 0;
#endif
}

/*
 * SIGSYS from the seccomp filter (SECCOMP_RET_TRAP): the call did not run.
 * Say which it was, then end the run with its own exit code: a silent
 * "killed by SIGSYS" tells a CI log nothing.
 */
static void on_seccomp(int sig, siginfo_t *si, void *uc)
{
	char line[320], thread[17] = "?";
	const char *name;
	size_t off = 0;

	if (si->si_code != SYS_SECCOMP) {
		on_fatal(sig, si, uc);	/* sent by someone else: an ordinary fatal signal */
		return;
	}
	name = syscall_name(si->si_syscall);
	prctl(PR_GET_NAME, thread, 0, 0, 0);
	put(line, sizeof(line), &off, "\ntinyvmm: seccomp refused system call ");
	put_dec(line, sizeof(line), &off, si->si_syscall);
	put(line, sizeof(line), &off, " (");
	put(line, sizeof(line), &off, name ? name : "?");
	if (si->si_syscall == __NR_ioctl) {
		uintptr_t fd, request;

		syscall_args(uc, &fd, &request);
		put(line, sizeof(line), &off, " on fd ");
		put_dec(line, sizeof(line), &off, (long)fd);
		put(line, sizeof(line), &off, ", request ");
		put_hex(line, sizeof(line), &off, request & 0xffffffffu);
	}
	put(line, sizeof(line), &off, ") in thread ");
	put(line, sizeof(line), &off, thread);
	put(line, sizeof(line), &off, ": tinyvmm's allow-list lacks a call it made. "
	    "Please report it; --seccomp log runs on and logs such calls. Exit code 10\n");
	if (write(STDERR_FILENO, line, off) < 0)
		off = 0;
	console_restore_terminal();
	/* exit_group itself: a sanitizer's _exit would run leak checks (more calls). */
	syscall(__NR_exit_group, TVM_EXIT_SECCOMP);
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
	sa.sa_sigaction = on_seccomp;
	sigaction(SIGSYS, &sa, NULL);
}
