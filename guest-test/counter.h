/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_COUNTER_H
#define GUEST_TEST_COUNTER_H

#include <stdint.h>

/* The generic timer's virtual count and its frequency, for bare-metal guests' waits. */
static inline uint64_t counter_ticks(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static inline uint64_t counter_hz(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

#endif
