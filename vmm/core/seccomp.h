/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_SECCOMP_H
#define TINYVMM_SECCOMP_H

#include <stdbool.h>

#include "lib/util.h"

enum seccomp_mode { SECCOMP_MODE_ON = 0, SECCOMP_MODE_LOG, SECCOMP_MODE_OFF };

/* The most fds an argument may be pinned to (vCPUs plus the vGIC and vITS). */
#define SECCOMP_MAX_PINNED_FDS 256

/* What the run time of this configuration needs beyond the common list. */
struct seccomp_policy {
	enum seccomp_mode mode;
	bool pci;	/* --transport pci: the guest places the notification BAR (KVM_IOEVENTFD) */
	bool msi;	/* MSI-X vectors (not INTx-only): irqfds, routes, KVM_SIGNAL_MSI */
	bool reboot;	/* --on-reset reboot: vCPU re-init and the vGIC/ITS reset */
	bool flash;	/* the board's flash banks: their memory slots come and go (pflash) */
	bool worker_batch;	/* --worker-sched batch: each Tier 2 worker makes itself SCHED_BATCH */
	/* --on-reset reboot: the only fds its ioctls may name. */
	const int *vcpu_fds;	/* KVM_ARM_VCPU_INIT, KVM_SET_ONE_REG */
	unsigned int nvcpu_fds;
	const int *gic_fds;	/* KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR */
	unsigned int ngic_fds;
};

/*
 * Confine every thread of the process to the system calls (and ioctl
 * requests) tinyvmm's run loop and device threads need. Installed once
 * set-up is done. tgkill may signal this process's threads only.
 * Anything else is refused with SIGSYS (SECCOMP_RET_TRAP): the handler
 * crash.c installs names the call on stderr and exits with
 * TVM_EXIT_SECCOMP; without a handler the signal kills the process.
 * SECCOMP_MODE_LOG only logs it to the kernel audit log, for finding what a
 * new code path needs.
 */
int seccomp_install(const struct seccomp_policy *policy, struct tvm_error *err);

#endif
