// SPDX-License-Identifier: MIT
/* The device-lock rule: see dev_lock.h. */
#include "lib/dev_lock.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/util.h"

static __thread unsigned int locks_held;

void dev_lock(pthread_mutex_t *lock)
{
	pthread_mutex_lock(lock);
	locks_held++;
}

void dev_unlock(pthread_mutex_t *lock)
{
	locks_held--;
	pthread_mutex_unlock(lock);
}

unsigned int dev_locks_held(void)
{
	return locks_held;
}

void dev_lock_assert_none(const char *io)
{
	if (__builtin_expect(!locks_held, 1))
		return;
#ifdef TINYVMM_TEST_HOOKS
	fprintf(stderr, "tinyvmm: bug: %s with %u device lock(s) held (lib/dev_lock.h)\n", io,
		locks_held);
	abort();
#else
	static bool said;

	if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		tvm_warn("bug: %s with %u device lock(s) held; a stalled reader could keep tinyvmm from stopping",
			 io, locks_held);
#endif
}
