// SPDX-License-Identifier: MIT
/* lib/dev_lock: the per-thread count of device locks and the check before blocking I/O. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>

#include "lib/dev_lock.h"

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

Test(dev_lock, counts_the_locks_this_thread_holds)
{
	cr_assert_eq(dev_locks_held(), 0);
	dev_lock(&a);
	dev_lock(&b);
	cr_assert_eq(dev_locks_held(), 2);
	dev_unlock(&b);
	cr_assert_eq(dev_locks_held(), 1);
	dev_unlock(&a);
	cr_assert_eq(dev_locks_held(), 0);
	dev_lock_assert_none("a write with no lock held");
}

static void *count_elsewhere(void *arg)
{
	*(unsigned int *)arg = dev_locks_held();
	return NULL;
}

Test(dev_lock, another_thread_counts_its_own)
{
	unsigned int there = 99;
	pthread_t t;

	dev_lock(&a);
	cr_assert_eq(pthread_create(&t, NULL, count_elsewhere, &there), 0);
	pthread_join(t, NULL);
	dev_unlock(&a);
	cr_assert_eq(there, 0);
}

/* Test builds abort, naming the I/O: a violation cannot pass unnoticed. */
Test(dev_lock, blocking_io_with_a_lock_held_aborts, .signal = SIGABRT)
{
	dev_lock(&a);
	dev_lock_assert_none("console write");
}
