// SPDX-License-Identifier: MIT
/* lib/util.c: the rate limiter for guest-triggered messages, the worker lifecycle. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/util.h"

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
