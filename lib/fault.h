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
 *   VHOST_SET_OWNER, VHOST_NET_SET_BACKEND, ... "open /dev/vhost-net":
 *                   that step of the vhost-net set-up fails with EIO (every
 *                   step of vhost/vhost_net.c's map done there, by its name)
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
