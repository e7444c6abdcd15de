/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_UTIL_H
#define TINYVMM_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Exit codes are part of tinyvmm's interface (CI scripts depend on them);
 * README.md documents them. Never renumber.
 */
enum tvm_exit_code {
	TVM_EXIT_POWEROFF = 0,	/* guest powered off (PSCI SYSTEM_OFF) */
	TVM_EXIT_ERROR = 1,	/* tinyvmm or host failure */
	TVM_EXIT_USAGE = 2,	/* bad options or bad input files */
	TVM_EXIT_RESET = 3,	/* guest asked for a reset (PSCI SYSTEM_RESET) */
	TVM_EXIT_TIMEOUT = 4,	/* --timeout expired */
	TVM_EXIT_CRASH = 5,	/* guest crash event or unrecoverable vCPU state */
	TVM_EXIT_NO_KVM = 6,	/* this host cannot run ARM64 guests with KVM */
	TVM_EXIT_QUIT = 7,	/* user pressed Ctrl-A x */
	TVM_EXIT_FAIL_ON = 8,	/* the console matched a --fail-on pattern */
	TVM_EXIT_NO_EXPECT = 9,	/* guest powered off before --expect matched */
	TVM_EXIT_SECCOMP = 10,	/* the seccomp filter refused a system call (a tinyvmm bug) */
	TVM_EXIT_SIGINT = 130,
	TVM_EXIT_SIGTERM = 143,
};

/*
 * What failed, for code and tests that act on the cause rather than on the
 * wording (the message stays the user's explanation and fix). Not the exit
 * code: bad input and a host failure can both be 1 or 2 (see the callers).
 */
enum tvm_err_kind {
	TVM_ERR_NONE,		/* a zeroed struct tvm_error: nothing has failed */
	TVM_ERR_INPUT,		/* an option, its value, or options that do not go together */
	TVM_ERR_IMAGE,		/* a guest image (kernel, initrd, firmware): unreadable, malformed, or does not fit */
	TVM_ERR_HOST,		/* a host resource, limit or permission: memory, fds, threads, seccomp, page size */
	TVM_ERR_KVM,		/* KVM: an ioctl failed, or the host's KVM lacks what is needed */
	TVM_ERR_VHOST,		/* vhost-net: an ioctl failed, or the kernel's lacks what is needed */
	TVM_ERR_TAP,		/* the TAP: opening, attaching or configuring it */
	TVM_ERR_INTERNAL,	/* tinyvmm broke one of its own rules: a bug */
};

/* An error on its way to the user: one line, plus the exit code to use. */
struct tvm_error {
	int code;		/* enum tvm_exit_code */
	enum tvm_err_kind kind;
	int errnum;		/* errno of the failing call, 0 if none */
	char msg[512];
};

/*
 * Fill @err and return -1, so callers can write `return tvm_fail_kind(...)`.
 * tvm_fail_errno() also keeps errno as it is on entry: call it right after
 * the failing call, before any cleanup that may change errno.
 * tvm_fail_errnum() takes the error number from a call that returns it
 * (pthread_create) or that a caller already holds.
 */
int tvm_fail_kind(struct tvm_error *err, enum tvm_err_kind kind, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int tvm_fail_errno(struct tvm_error *err, enum tvm_err_kind kind, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int tvm_fail_errnum(struct tvm_error *err, enum tvm_err_kind kind, int code, int errnum,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Print "tinyvmm: <msg>" on stderr. */
void tvm_print_error(const struct tvm_error *err);
void tvm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * At most @burst messages per @interval_s seconds: for everything a guest can
 * make tinyvmm print (resets, control commands), so it cannot flood stderr.
 * One user only (no locking): each call site group has its own.
 */
struct tvm_ratelimit {
	unsigned int burst;
	unsigned int interval_s;
	uint64_t window_start_ns;
	unsigned int used;
	unsigned long suppressed;	/* since the last message let through */
};

#define TVM_RATELIMIT_INIT(b, s) { .burst = (b), .interval_s = (s) }

/*
 * True if a message may be printed now; then, if some were held back since
 * the last one, says how many first.
 */
bool tvm_ratelimit(struct tvm_ratelimit *rl);

/*
 * Stack of every tinyvmm thread. Below 2 MiB on purpose: with THP set to
 * "always" a default 8 MiB stack that happens to be 2 MiB-aligned is
 * backed by a whole 2 MiB huge page as soon as it is touched. Our deepest
 * call chain needs a few KiB (ASan's redzones included, far below this).
 */
#define TVM_THREAD_STACK	(1U << 20)

/*
 * pthread_create() with TVM_THREAD_STACK and an alternate signal stack in
 * the new thread (tvm_altstack_alloc()); returns 0 or an errno value.
 */
int tvm_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

/* Room for the crash handler's own frames (backtrace()) on the alternate stack. */
#define TVM_ALTSTACK_EXTRA	(64U << 10)

void *tvm_altstack_alloc(void);
void tvm_altstack_free(void *stack);

/*
 * A thread that sleeps in epoll and ends when its stop eventfd is readable:
 * the one lifecycle of every tinyvmm worker (queue pairs, the control
 * queue, the vhost monitor). The thread must watch stop_fd in every wait.
 */
struct tvm_worker {
	pthread_t thread;
	int stop_fd;		/* readable once a stop is asked for */
	bool running;		/* started and not yet joined */
};

/* No fd, not running: tvm_worker_close() is then a no-op. */
void tvm_worker_clear(struct tvm_worker *w);
/* Create the stop eventfd; 0 or -1 (errno). */
int tvm_worker_open(struct tvm_worker *w);
/* Start @fn(@arg) (a stale stop request is forgotten first); 0 or an errno value. */
int tvm_worker_start(struct tvm_worker *w, void *(*fn)(void *), void *arg);
/* Ask the thread to end and join it; returns only once it has. Idempotent. */
void tvm_worker_stop(struct tvm_worker *w);
/* Stop, then close the stop eventfd. */
void tvm_worker_close(struct tvm_worker *w);

/* Reset a non-blocking eventfd; true if it had been signalled. */
bool eventfd_drain(int fd);
/*
 * Add 1 to an eventfd; false only when its counter is saturated (a
 * non-blocking eventfd at 2^64 - 2), and then a wake-up is pending anyway.
 */
bool eventfd_signal(int fd);

/*
 * Read a whole regular file into a malloc'ed buffer. Files larger than
 * @max_size are refused (the caller knows what could fit in guest RAM).
 * @what names the file in errors ("kernel", "initrd").
 */
int read_whole_file(const char *path, const char *what, size_t max_size,
		    uint8_t **data, size_t *size, struct tvm_error *err);

/* pwrite() all of @buf at @offset (retrying short writes and EINTR); 0 or -1. */
int write_fully_at(int fd, const void *buf, size_t len, uint64_t offset);

/*
 * A user or group id from a name in /etc/passwd or /etc/group (or a plain
 * number); -1 if unknown. Parsed by hand: a static binary has no NSS.
 */
long lookup_id(const char *file, const char *name);

/* Strict decimal parse of an unsigned value in [min, max]. */
int parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out);

static inline uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

#endif
