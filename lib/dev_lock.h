/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_DEV_LOCK_H
#define TINYVMM_DEV_LOCK_H

#include <pthread.h>

/*
 * The device-lock rule: no thread holds a device lock while it does host
 * I/O that can wait on something outside tinyvmm (a write or poll on the
 * console's stdout, which a stalled reader can hold up for ever; KVM_RUN;
 * an epoll_wait). vCPUs take device locks for MMIO, the main loop for
 * console input, link changes and resets: one lock held across such a wait
 * would stall them all, and with them SIGTERM, --timeout and Ctrl-A x.
 *
 * So every device lock (the UART's, virtio's, PCI's, MSI-X's, the console
 * matcher's) is taken with dev_lock() and released with dev_unlock(), which
 * count the device locks the calling thread holds, and every helper that
 * can block calls dev_lock_assert_none() first. A device that must hand
 * data to such a helper (a UART's transmitted byte) collects it under its
 * lock and calls out after dev_unlock().
 *
 * A violation aborts in test builds (TINYVMM_TEST_HOOKS: unit tests,
 * tinyvmm-faults); tinyvmm itself says it once on stderr and goes on.
 */
void dev_lock(pthread_mutex_t *lock);
void dev_unlock(pthread_mutex_t *lock);
/* Device locks the calling thread holds now. */
unsigned int dev_locks_held(void);
/* Before host I/O that can block; @io names it ("console write"). */
void dev_lock_assert_none(const char *io);

#endif
