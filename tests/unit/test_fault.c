// SPDX-License-Identifier: MIT
/* TINYVMM_FAULT parsing and counting (each Criterion test is its own process). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "lib/fault.h"

Test(fault, nothing_fails_without_the_variable)
{
	unsetenv("TINYVMM_FAULT");
	for (int i = 0; i < 5; i++)
		cr_assert_not(fault_inject("vhost-start"));
}

Test(fault, exactly_the_nth_pass_fails)
{
	setenv("TINYVMM_FAULT", "vhost-start:2", 1);
	cr_assert_not(fault_inject("vhost-start"));
	cr_assert(fault_inject("vhost-start"));
	cr_assert_not(fault_inject("vhost-start"));
	cr_assert_not(fault_inject("other-point"), "only the named point");
}

Test(fault, plus_means_that_pass_and_every_later_one)
{
	setenv("TINYVMM_FAULT", "vhost-start:2+", 1);
	cr_assert_not(fault_inject("vhost-start"));
	for (int i = 0; i < 4; i++)
		cr_assert(fault_inject("vhost-start"));
}

Test(fault, malformed_specs_inject_nothing)
{
	static const char *const bad[] = {
		"vhost-start", ":1", "vhost-start:", "vhost-start:0", "vhost-start:x",
		"vhost-start:1x", "vhost-start:+", "a-point-name-that-is-far-too-long-to-be-real:1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("TINYVMM_FAULT", bad[i], 1);
		for (int n = 0; n < 3; n++)
			cr_assert_not(fault_inject("vhost-start"), "spec '%s'", bad[i]);
	}
}
