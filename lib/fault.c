// SPDX-License-Identifier: MIT
/* TINYVMM_FAULT: see fault.h. */
#include "lib/fault.h"

#ifdef TINYVMM_TEST_HOOKS

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct fault_spec {
	char point[48];	/* the longest: VHOST_SET_VRING_BUSYLOOP_TIMEOUT */
	unsigned long nth;
	bool and_later;
};

/* "POINT:N" or "POINT:N+"; false for anything else (then nothing fails). */
static bool parse_spec(const char *text, struct fault_spec *spec)
{
	const char *colon = strchr(text, ':');
	char *end;
	size_t len;

	if (!colon || colon == text)
		return false;
	len = (size_t)(colon - text);
	if (len >= sizeof(spec->point))
		return false;
	memcpy(spec->point, text, len);
	spec->point[len] = '\0';
	spec->nth = strtoul(colon + 1, &end, 10);
	spec->and_later = *end == '+';
	if (spec->and_later)
		end++;
	return spec->nth > 0 && *end == '\0' && end != colon + 1;
}

bool fault_inject(const char *point)
{
	static unsigned long passes;
	const char *env = getenv("TINYVMM_FAULT");
	struct fault_spec spec;
	unsigned long n;

	if (!env || !parse_spec(env, &spec) || strcmp(spec.point, point))
		return false;
	n = __atomic_add_fetch(&passes, 1, __ATOMIC_SEQ_CST);
	if (n != spec.nth && !(spec.and_later && n > spec.nth))
		return false;
	tvm_warn("injected fault at %s (pass %lu, TINYVMM_FAULT=%s)", point, n, env);
	return true;
}

#endif
