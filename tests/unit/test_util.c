// SPDX-License-Identifier: MIT
/* lib/util.c: errors, the rate limiter for guest-triggered messages, the worker lifecycle. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/util.h"

Test(error, errno_is_kept_as_it_was_at_the_failure)
{
	struct tvm_error err = { 0 };

	errno = EBADF;
	cr_assert_eq(tvm_fail_errno(&err, TVM_ERR_KVM, TVM_EXIT_ERROR, "step %d: %s", 3, "why"), -1);
	cr_assert_eq(err.errnum, EBADF);
	cr_assert_eq(err.kind, TVM_ERR_KVM);
	cr_assert_eq(err.code, TVM_EXIT_ERROR);
	cr_assert_str_eq(err.msg, "step 3: why");
}

Test(error, an_error_number_that_was_returned_is_kept)
{
	struct tvm_error err = { 0 };

	errno = 0;
	cr_assert_eq(tvm_fail_errnum(&err, TVM_ERR_HOST, TVM_EXIT_ERROR, EAGAIN, "thread: %s",
				     strerror(EAGAIN)), -1);
	cr_assert_eq(err.errnum, EAGAIN, "from the argument, not from errno");
	cr_assert_eq(err.kind, TVM_ERR_HOST);
	cr_assert_eq(err.code, TVM_EXIT_ERROR);
	cr_assert_str_eq(err.msg, "thread: Resource temporarily unavailable");
}

Test(error, a_reused_error_forgets_the_last_cause)
{
	struct tvm_error err = { 0 };

	errno = EACCES;
	tvm_fail_errno(&err, TVM_ERR_TAP, TVM_EXIT_ERROR, "first");
	tvm_fail_kind(&err, TVM_ERR_INPUT, TVM_EXIT_USAGE, "second");
	cr_assert_eq(err.errnum, 0, "no system call failed this time");
	cr_assert_eq(err.kind, TVM_ERR_INPUT);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	tvm_fail_errnum(&err, TVM_ERR_VHOST, TVM_EXIT_ERROR, EIO, "third");
	cr_assert_eq(err.kind, TVM_ERR_VHOST);
	cr_assert_eq(err.errnum, EIO);
	cr_assert_eq(err.code, TVM_EXIT_ERROR);
	cr_assert_str_eq(err.msg, "third");
}

Test(error, read_whole_file_says_why_it_failed)
{
	struct tvm_error err = { 0 };
	char path[] = "/tmp/tinyvmm-test-XXXXXX";
	uint8_t *data = NULL;
	size_t size = 0;
	int fd;

	cr_assert_eq(read_whole_file("/nonexistent/Image", "kernel", 1 << 20, &data, &size, &err), -1);
	cr_assert_eq(err.errnum, ENOENT);
	cr_assert_eq(err.kind, TVM_ERR_IMAGE);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_str_eq(err.msg, "cannot open kernel '/nonexistent/Image': No such file or directory. Check the path given with --kernel");
	/* Opened, then refused for what it is: no errno to report. */
	cr_assert_eq(read_whole_file("/tmp", "initrd", 1 << 20, &data, &size, &err), -1);
	cr_assert_eq(err.errnum, 0);
	cr_assert_eq(err.kind, TVM_ERR_IMAGE);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "12345678", 8), 8);
	close(fd);
	cr_assert_eq(read_whole_file(path, "initrd", 4, &data, &size, &err), -1);
	cr_assert_eq(err.errnum, 0);
	cr_assert_eq(err.kind, TVM_ERR_IMAGE);
	cr_assert_eq(read_whole_file(path, "initrd", 8, &data, &size, &err), 0);
	cr_assert_eq(size, 8);
	free(data);
	unlink(path);
}

Test(ratelimit, lets_a_burst_through_then_holds_back_and_counts)
{
	struct tvm_ratelimit rl = TVM_RATELIMIT_INIT(3, 3600);
	int allowed = 0;

	for (int i = 0; i < 100; i++)
		allowed += tvm_ratelimit(&rl);
	cr_assert_eq(allowed, 3);
	cr_assert_eq(rl.suppressed, 97);
}

Test(ratelimit, a_new_window_allows_again_and_resets_the_count)
{
	struct tvm_ratelimit rl = TVM_RATELIMIT_INIT(1, 1);

	cr_assert(tvm_ratelimit(&rl));
	cr_assert_not(tvm_ratelimit(&rl));
	rl.window_start_ns -= 2000000000ULL;	/* the window is over */
	cr_assert(tvm_ratelimit(&rl), "a new window");
	cr_assert_eq(rl.suppressed, 0, "the count was said and cleared");
}

static void *wait_for_stop(void *arg)
{
	struct tvm_worker *w = arg;
	struct epoll_event ev = { .events = EPOLLIN };
	int epfd = epoll_create1(0);

	epoll_ctl(epfd, EPOLL_CTL_ADD, w->stop_fd, &ev);
	epoll_wait(epfd, &ev, 1, -1);
	close(epfd);
	return NULL;
}

Test(worker, stop_joins_and_is_idempotent_and_restart_forgets_the_old_stop, .timeout = 10)
{
	struct tvm_worker w;

	tvm_worker_clear(&w);
	tvm_worker_close(&w);	/* a cleared worker: nothing to do */
	cr_assert_eq(tvm_worker_open(&w), 0);
	cr_assert_eq(tvm_worker_start(&w, wait_for_stop, &w), 0);
	cr_assert_eq(tvm_worker_start(&w, wait_for_stop, &w), EBUSY, "started twice");
	tvm_worker_stop(&w);
	cr_assert_not(w.running);
	tvm_worker_stop(&w);
	/* The stop request of the last run must not end the next one at once. */
	cr_assert_eq(tvm_worker_start(&w, wait_for_stop, &w), 0);
	usleep(100 * 1000);
	cr_assert(w.running);
	tvm_worker_close(&w);
	cr_assert_eq(w.stop_fd, -1);
}

Test(eventfd, signal_then_drain_reports_once_and_a_saturated_counter_refuses)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	cr_assert(fd >= 0);
	cr_assert_not(eventfd_drain(fd));
	cr_assert(eventfd_signal(fd));
	cr_assert(eventfd_signal(fd));
	cr_assert(eventfd_drain(fd));
	cr_assert_not(eventfd_drain(fd), "one drain resets the whole count");
	/* The counter's largest value is 2^64 - 2: nothing more fits. */
	cr_assert_eq(write(fd, &(uint64_t){ UINT64_MAX - 1 }, sizeof(uint64_t)), sizeof(uint64_t));
	cr_assert_not(eventfd_signal(fd));
	cr_assert(eventfd_drain(fd));
	cr_assert(eventfd_signal(fd));
	close(fd);
}
