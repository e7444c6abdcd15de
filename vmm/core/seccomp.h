/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_SECCOMP_H
#define TINYVMM_SECCOMP_H

#include <stdbool.h>

#include "lib/util.h"

enum seccomp_mode { SECCOMP_MODE_ON = 0, SECCOMP_MODE_LOG, SECCOMP_MODE_OFF };

/*
 * Confine every thread of the process to the system calls (and ioctl
 * requests) tinyvmm's run loop and device threads need. Installed once
 * set-up is done: anything else kills the process (SECCOMP_MODE_LOG only
 * logs it to the kernel audit log, for finding what a new code path needs).
 */
/*
 * @msi_routing: also the KVM ioctls MSI-X needs at run time (--transport pci);
 * @reboot: also those a guest reboot needs (--on-reset reboot);
 * @flash: also the memory-slot changes of the board's flash banks.
 */
int seccomp_install(enum seccomp_mode mode, bool msi_routing, bool reboot, bool flash,
		    struct tvm_error *err);

#endif
