/* SPDX-License-Identifier: MIT */
/* Eventfds as tinyvmm makes them, and the counters its worker threads add to. */
#ifndef TINYVMM_TEST_THREAD_FIXTURE_H
#define TINYVMM_TEST_THREAD_FIXTURE_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* A non-blocking eventfd, as tinyvmm makes them. */
static inline int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	cr_assert_geq(fd, 0);
	return fd;
}

/* A counter another thread adds to (atomically). */
static inline uint64_t counter(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Wait (up to 3 s) until *@c reaches @want. */
static inline bool wait_counter(const uint64_t *c, uint64_t want)
{
	for (int i = 0; i < 3000 && counter(c) < want; i++)
		usleep(1000);
	return counter(c) >= want;
}

#endif
