/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CPU_FEATURES_H
#define TINYVMM_CPU_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The optional CPU features a guest can get at KVM_ARM_VCPU_INIT: PMUv3,
 * pointer authentication (address and generic keys, always together) and
 * SVE. Each is on when the host KVM offers it and no --no-* option turned
 * it off. Pure: the KVM side is in vmm/arm64/vcpu_features.c.
 */
enum cpu_feature_state {
	CPU_FEATURE_ABSENT,	/* the host KVM does not offer it */
	CPU_FEATURE_OFF,	/* offered, turned off by --no-pmu/--no-pauth/--no-sve */
	CPU_FEATURE_ON,
};

/* KVM_REG_ARM64_SVE_VLS: bit (vq - 1) set = vector length vq x 128 bits. */
#define CPU_SVE_VLS_WORDS 8

struct cpu_features {
	enum cpu_feature_state pmu, pauth, sve;
	uint64_t sve_vls[CPU_SVE_VLS_WORDS];	/* read from the vCPU when SVE is on */
};

/* What the host KVM offers (KVM_CHECK_EXTENSION). */
struct cpu_features_offered {
	bool pmu, pauth, sve;
};

/* The --no-* options. */
struct cpu_features_wanted {
	bool no_pmu, no_pauth, no_sve;
};

void cpu_features_choose(const struct cpu_features_offered *offered,
			 const struct cpu_features_wanted *wanted, struct cpu_features *f);

/* "on", "off" or "absent" (the --report-json words). */
const char *cpu_feature_state_name(enum cpu_feature_state s);

/* Smallest and largest SVE vector length in bits in @vls; 0, 0 if none. */
void cpu_sve_lengths(const uint64_t vls[CPU_SVE_VLS_WORDS], unsigned int *min_bits,
		     unsigned int *max_bits);

/*
 * "PMUv3 yes, pointer authentication yes, SVE yes (128-512 bit vectors)";
 * a feature the guest did not get says why: "no (--no-sve)" or "no (host
 * KVM lacks it)".
 */
void cpu_features_describe(const struct cpu_features *f, char *buf, size_t size);

#endif
