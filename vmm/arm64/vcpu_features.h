/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VCPU_FEATURES_H
#define TINYVMM_VCPU_FEATURES_H

#include <stdint.h>

#include "vmm/arm64/cpu_features.h"
#include "lib/util.h"

/* What the host KVM offers this VM (KVM_CHECK_EXTENSION on @vm_fd). */
void vcpu_features_offered(int vm_fd, struct cpu_features_offered *offered);

/* The KVM_ARM_VCPU_INIT features[0] bits for the features that are on. */
uint32_t vcpu_features_init_bits(const struct cpu_features *f);

/*
 * Right after KVM_ARM_VCPU_INIT and before any other register access:
 * with SVE on, read the vector lengths KVM gives the vCPU (the host's, by
 * default) into @f and finalize SVE, which KVM_RUN requires.
 */
int vcpu_features_finalize(int vcpu_fd, unsigned int id, struct cpu_features *f,
			   struct tvm_error *err);

/* With PMUv3 on: its overflow interrupt and init; after the vGIC's CTRL_INIT. */
int vcpu_pmu_init(int vcpu_fd, unsigned int id, struct tvm_error *err);

/* ID_AA64MMFR0_EL1 of an initialised vCPU (the granules it supports). */
int vcpu_read_mmfr0(int vcpu_fd, uint64_t *mmfr0);

#endif
