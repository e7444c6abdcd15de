// SPDX-License-Identifier: MIT
/* Which optional CPU features the guest gets, and the banner text for it. */
#include <criterion/criterion.h>
#include <string.h>

#include "vmm/arm64/cpu_features.h"

static struct cpu_features f;
static char text[256];

Test(cpu_features, each_on_when_offered_and_not_turned_off)
{
	struct cpu_features_offered all = { .pmu = true, .pauth = true, .sve = true };
	struct cpu_features_wanted dflt = { 0 };

	cpu_features_choose(&all, &dflt, &f);
	cr_assert_eq(f.pmu, CPU_FEATURE_ON);
	cr_assert_eq(f.pauth, CPU_FEATURE_ON);
	cr_assert_eq(f.sve, CPU_FEATURE_ON);
}

Test(cpu_features, every_offered_and_option_combination)
{
	for (unsigned int m = 0; m < 64; m++) {
		struct cpu_features_offered o = { m & 1, m & 2, m & 4 };
		struct cpu_features_wanted w = { m & 8, m & 16, m & 32 };
		bool offered[3] = { o.pmu, o.pauth, o.sve }, off[3] = { w.no_pmu, w.no_pauth, w.no_sve };
		enum cpu_feature_state got[3];

		cpu_features_choose(&o, &w, &f);
		got[0] = f.pmu, got[1] = f.pauth, got[2] = f.sve;
		for (int i = 0; i < 3; i++)
			cr_assert_eq(got[i], !offered[i] ? CPU_FEATURE_ABSENT :
					     off[i] ? CPU_FEATURE_OFF : CPU_FEATURE_ON,
				     "combination %u feature %d", m, i);
	}
}

Test(cpu_features, state_names)
{
	cr_assert_str_eq(cpu_feature_state_name(CPU_FEATURE_ON), "on");
	cr_assert_str_eq(cpu_feature_state_name(CPU_FEATURE_OFF), "off");
	cr_assert_str_eq(cpu_feature_state_name(CPU_FEATURE_ABSENT), "absent");
}

Test(cpu_features, sve_lengths_from_the_vls_bitmap)
{
	uint64_t vls[CPU_SVE_VLS_WORDS] = { 0 };
	unsigned int lo, hi;

	cpu_sve_lengths(vls, &lo, &hi);
	cr_assert_eq(lo, 0);
	cr_assert_eq(hi, 0);
	vls[0] = 0xb;	/* vq 1, 2, 4: 128, 256, 512 bits */
	cpu_sve_lengths(vls, &lo, &hi);
	cr_assert_eq(lo, 128);
	cr_assert_eq(hi, 512);
	vls[0] = 1ULL << 15;	/* vq 16: 2048 bits, the architectural maximum */
	cpu_sve_lengths(vls, &lo, &hi);
	cr_assert_eq(lo, 2048);
	cr_assert_eq(hi, 2048);
	vls[0] = 0;
	vls[7] = 1ULL << 63;	/* vq 512, the last bit KVM could report */
	cpu_sve_lengths(vls, &lo, &hi);
	cr_assert_eq(lo, 512 * 128);
}

Test(cpu_features, describe_says_what_and_why_not)
{
	f = (struct cpu_features){ .pmu = CPU_FEATURE_ON, .pauth = CPU_FEATURE_OFF,
				   .sve = CPU_FEATURE_ON, .sve_vls = { 0xffff } };
	cpu_features_describe(&f, text, sizeof(text));
	cr_assert_str_eq(text, "PMUv3 yes, pointer authentication no (--no-pauth), SVE yes (128-2048 bit vectors)");
	f = (struct cpu_features){ .pmu = CPU_FEATURE_ABSENT, .pauth = CPU_FEATURE_ON,
				   .sve = CPU_FEATURE_OFF, .sve_vls = { 0xffff } };
	cpu_features_describe(&f, text, sizeof(text));
	cr_assert_str_eq(text, "PMUv3 no (host KVM lacks it), pointer authentication yes, SVE no (--no-sve)");
	f = (struct cpu_features){ .sve = CPU_FEATURE_ON, .sve_vls = { 0x2 } };
	cpu_features_describe(&f, text, sizeof(text));
	cr_assert_not_null(strstr(text, "SVE yes (256-bit vectors)"));
}
