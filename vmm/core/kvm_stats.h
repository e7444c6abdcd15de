/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_KVM_STATS_H
#define TINYVMM_KVM_STATS_H

#include <stdint.h>

/*
 * KVM binary statistics (KVM_GET_STATS_FD, Linux 5.14+): named counters per
 * VM and per vCPU, e.g. "exits", "mmio_exit_user", "wfi_exit_stat".
 * Cumulative scalar counters are summed over every fd fed to kvm_stats_add.
 */
#define KVM_STATS_MAX 128

struct kvm_stat {
	char name[48];
	uint64_t value;
};

struct kvm_stats {
	struct kvm_stat items[KVM_STATS_MAX];
	unsigned int count;
};

/* Add @fd's cumulative counters into @acc; -1 if the fd cannot be read. */
int kvm_stats_add(int fd, struct kvm_stats *acc);

/* Value of @name in @acc, or 0. */
uint64_t kvm_stats_get(const struct kvm_stats *acc, const char *name);

#endif
