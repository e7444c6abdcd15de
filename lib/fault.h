/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_FAULT_H
#define TINYVMM_FAULT_H

#include <stdbool.h>

/*
 * Fault injection for tests (tests/e2e), in test builds only
 * (-DTINYVMM_TEST_HOOKS: the unit tests and tinyvmm-faults, never tinyvmm
 * itself): TINYVMM_FAULT=POINT:N makes the
 * Nth pass through POINT fail, TINYVMM_FAULT=POINT:N+ that one and every
 * later one. Without the variable every call returns false.
 *
 * Points:
 *   vhost-start     handing the rings to vhost-net at DRIVER_OK
 *   tap-tx-enobufs  a Tier 2 TX write to the TAP fails with ENOBUFS (out of memory)
 *   tap-tx-eagain   a Tier 2 TX write to the TAP fails with EAGAIN (full)
 */
#ifdef TINYVMM_TEST_HOOKS
bool fault_inject(const char *point);
#else
/* Release builds: no hook, nothing read from the environment. */
static inline bool fault_inject(const char *point)
{
	return false;
}
#endif

#endif
