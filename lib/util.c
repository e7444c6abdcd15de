// SPDX-License-Identifier: MIT
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void fill_error(struct tvm_error *err, enum tvm_err_kind kind, int errnum, int code,
		       const char *fmt, va_list ap)
{
	err->code = code;
	err->kind = kind;
	err->errnum = errnum;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int tvm_fail_kind(struct tvm_error *err, enum tvm_err_kind kind, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill_error(err, kind, 0, code, fmt, ap);
	va_end(ap);
	return -1;
}

int tvm_fail_errno(struct tvm_error *err, enum tvm_err_kind kind, int code, const char *fmt, ...)
{
	int errnum = errno;	/* before anything here can change it */
	va_list ap;

	va_start(ap, fmt);
	fill_error(err, kind, errnum, code, fmt, ap);
	va_end(ap);
	return -1;
}

int tvm_fail_errnum(struct tvm_error *err, enum tvm_err_kind kind, int code, int errnum,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill_error(err, kind, errnum, code, fmt, ap);
	va_end(ap);
	return -1;
}

void tvm_print_error(const struct tvm_error *err)
{
	fprintf(stderr, "tinyvmm: %s\n", err->msg);
}

void tvm_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("tinyvmm: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool tvm_ratelimit(struct tvm_ratelimit *rl)
{
	uint64_t now = monotonic_ns();

	if (!rl->window_start_ns || now - rl->window_start_ns >= rl->interval_s * 1000000000ULL) {
		rl->window_start_ns = now;
		rl->used = 0;
	}
	if (rl->used >= rl->burst) {
		rl->suppressed++;
		return false;
	}
	rl->used++;
	if (rl->suppressed)
		fprintf(stderr, "tinyvmm: (%lu messages the guest caused were suppressed: at most %u per %u s)\n",
			rl->suppressed, rl->burst, rl->interval_s);
	rl->suppressed = 0;
	return true;
}

static int read_fully(int fd, uint8_t *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = 0;	/* the file ended early: no system call failed */
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int write_fully_at(int fd, const void *buf, size_t len, uint64_t offset)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const uint8_t *)buf + done, len - done,
				   (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/*
 * An alternate signal stack for the calling thread, unless it has one (a
 * sanitizer's): a fatal signal from a stack overflow can then still run the
 * crash handler. Sized for the largest signal frame this CPU can need (SVE
 * and SME state: AT_MINSIGSTKSZ) plus the handler's own frames. Returns
 * the stack to give back to tvm_altstack_free(), or NULL.
 */
void *tvm_altstack_alloc(void)
{
	stack_t ss = { .ss_flags = 0 };
	stack_t old;
	size_t min = (size_t)getauxval(AT_MINSIGSTKSZ), dflt = (size_t)SIGSTKSZ;

	if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE))
		return NULL;
	ss.ss_size = (min > dflt ? min : dflt) + TVM_ALTSTACK_EXTRA;
	ss.ss_sp = malloc(ss.ss_size);
	if (!ss.ss_sp)
		return NULL;
	if (sigaltstack(&ss, NULL)) {
		free(ss.ss_sp);
		return NULL;
	}
	return ss.ss_sp;
}

void tvm_altstack_free(void *stack)
{
	stack_t off = { .ss_flags = SS_DISABLE };

	if (!stack)
		return;
	sigaltstack(&off, NULL);
	free(stack);
}

struct thread_start {
	void *(*fn)(void *);
	void *arg;
};

static void *thread_main(void *p)
{
	struct thread_start start = *(struct thread_start *)p;
	void *altstack, *ret;

	free(p);
	altstack = tvm_altstack_alloc();
	ret = start.fn(start.arg);
	tvm_altstack_free(altstack);
	return ret;
}

int tvm_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	struct thread_start *start = malloc(sizeof(*start));
	pthread_attr_t attr;
	int e;

	if (!start)
		return ENOMEM;
	*start = (struct thread_start){ fn, arg };
	e = pthread_attr_init(&attr);
	if (!e) {
		e = pthread_attr_setstacksize(&attr, TVM_THREAD_STACK);
		if (!e)
			e = pthread_create(thread, &attr, thread_main, start);
		pthread_attr_destroy(&attr);
	}
	if (e)
		free(start);
	return e;
}

void tvm_worker_clear(struct tvm_worker *w)
{
	w->stop_fd = -1;
	w->running = false;
}

int tvm_worker_open(struct tvm_worker *w)
{
	w->running = false;
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return w->stop_fd < 0 ? -1 : 0;
}

int tvm_worker_start(struct tvm_worker *w, void *(*fn)(void *), void *arg)
{
	int e;

	if (w->running)
		return EBUSY;
	eventfd_drain(w->stop_fd);
	e = tvm_thread_start(&w->thread, fn, arg);
	w->running = e == 0;
	return e;
}

void tvm_worker_stop(struct tvm_worker *w)
{
	if (!w->running)
		return;
	/*
	 * A non-blocking eventfd refuses a write only at a count of 2^64 - 2,
	 * which stop requests never reach; and a worker that did not see it
	 * would hang us here, so say so rather than pretend.
	 */
	if (!eventfd_signal(w->stop_fd))
		tvm_warn("cannot signal a worker thread to stop: %s", strerror(errno));
	pthread_join(w->thread, NULL);
	w->running = false;
}

void tvm_worker_close(struct tvm_worker *w)
{
	tvm_worker_stop(w);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	w->stop_fd = -1;
}

bool eventfd_drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v);	/* EAGAIN: not signalled */
}

bool eventfd_signal(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one);
}

int read_whole_file(const char *path, const char *what, size_t max_size,
		    uint8_t **data, size_t *size, struct tvm_error *err)
{
	struct stat st;
	uint8_t *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tvm_fail_errno(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE,
				      "cannot open %s '%s': %s. Check the path given with --%s",
				      what, path, strerror(errno), what);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return tvm_fail_kind(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE,
				     "%s '%s' is not a regular file. Pass the %s image file with --%s",
				     what, path, what, what);
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > max_size) {
		close(fd);
		if (st.st_size == 0)
			return tvm_fail_kind(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE,
					     "%s '%s' is empty. Pass a real %s image",
					     what, path, what);
		return tvm_fail_kind(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE,
				     "%s '%s' (%llu MiB) does not fit in guest RAM. Raise --mem",
				     what, path, (unsigned long long)st.st_size >> 20);
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		close(fd);
		return tvm_fail_kind(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				     "out of memory reading %s '%s'", what, path);
	}
	if (read_fully(fd, buf, (size_t)st.st_size) < 0) {
		tvm_fail_errno(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE, "cannot read %s '%s': %s",
			       what, path, errno ? strerror(errno) : "short read");
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);
	*data = buf;
	*size = (size_t)st.st_size;
	return 0;
}

int parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* Digits only: strtoull alone would accept spaces, signs and 0x. */
	if (!text || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

long lookup_id(const char *file, const char *name)
{
	char line[512];
	size_t len = strlen(name);
	uint64_t n;
	long id = -1;
	FILE *f;

	if (!parse_u64(name, 0, 0x7fffffff, &n))
		return (long)n;
	f = fopen(file, "r");
	if (!f)
		return -1;
	while (id < 0 && fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, name, len) || line[len] != ':')
			continue;
		p = strchr(line + len + 1, ':');	/* skip the password field */
		if (p)
			id = strtol(p + 1, NULL, 10);
	}
	fclose(f);
	return id;
}
