// SPDX-License-Identifier: MIT
/* Which optional CPU features the guest gets, and how to say so. */
#include "vmm/arm64/cpu_features.h"

#include <stdio.h>

static enum cpu_feature_state choose_one(bool offered, bool turned_off)
{
	if (!offered)
		return CPU_FEATURE_ABSENT;
	return turned_off ? CPU_FEATURE_OFF : CPU_FEATURE_ON;
}

void cpu_features_choose(const struct cpu_features_offered *offered,
			 const struct cpu_features_wanted *wanted, struct cpu_features *f)
{
	*f = (struct cpu_features){
		.pmu = choose_one(offered->pmu, wanted->no_pmu),
		.pauth = choose_one(offered->pauth, wanted->no_pauth),
		.sve = choose_one(offered->sve, wanted->no_sve),
	};
}

const char *cpu_feature_state_name(enum cpu_feature_state s)
{
	switch (s) {
	case CPU_FEATURE_ON:	return "on";
	case CPU_FEATURE_OFF:	return "off";
	default:		return "absent";
	}
}

void cpu_sve_lengths(const uint64_t vls[CPU_SVE_VLS_WORDS], unsigned int *min_bits,
		     unsigned int *max_bits)
{
	*min_bits = *max_bits = 0;
	for (unsigned int vq = 1; vq <= CPU_SVE_VLS_WORDS * 64; vq++) {
		if (!(vls[(vq - 1) / 64] & (1ULL << ((vq - 1) % 64))))
			continue;
		if (!*min_bits)
			*min_bits = vq * 128;
		*max_bits = vq * 128;
	}
}

static const char *why_not(enum cpu_feature_state s, const char *option)
{
	if (s == CPU_FEATURE_ON)
		return "yes";
	return s == CPU_FEATURE_OFF ? option : "no (host KVM lacks it)";
}

void cpu_features_describe(const struct cpu_features *f, char *buf, size_t size)
{
	unsigned int lo, hi;
	char vectors[48] = "";

	cpu_sve_lengths(f->sve_vls, &lo, &hi);
	if (f->sve == CPU_FEATURE_ON && lo == hi && lo)
		snprintf(vectors, sizeof(vectors), " (%u-bit vectors)", lo);
	else if (f->sve == CPU_FEATURE_ON && lo)
		snprintf(vectors, sizeof(vectors), " (%u-%u bit vectors)", lo, hi);
	snprintf(buf, size, "PMUv3 %s, pointer authentication %s, SVE %s%s",
		 why_not(f->pmu, "no (--no-pmu)"), why_not(f->pauth, "no (--no-pauth)"),
		 why_not(f->sve, "no (--no-sve)"), vectors);
}
