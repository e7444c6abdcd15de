// SPDX-License-Identifier: MIT
/* console_watch: vCPU-side staging, main-loop search, the full-stage path. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/console/console_watch.h"

static struct console_watch w;
static int efd = -1;

static void setup(void)
{
	struct console_match_config cfg = { .expect = "ready$", .default_fail_on = true };
	struct tvm_error err = { 0 };

	efd = eventfd(0, EFD_NONBLOCK);
	cr_assert_geq(efd, 0);
	cr_assert_eq(console_watch_init(&w, &cfg, efd, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
	console_watch_destroy(&w);
	close(efd);
}

TestSuite(console_watch, .init = setup, .fini = teardown);

static uint64_t wakeups(void)
{
	uint64_t n = 0;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static void out(const char *s)
{
	/* One byte per call, as the UART hands them over. */
	for (size_t i = 0; s[i]; i++)
		console_watch_output(&w, (const uint8_t *)s + i, 1);
}

Test(console_watch, one_wakeup_per_burst)
{
	out("system is rea");
	cr_assert_eq(wakeups(), 1);
	cr_assert_eq(w.match.len, 0, "searched on the vCPU side");
	cr_assert_eq(console_watch_check(&w), CONSOLE_MATCH_NONE);
	out("dy\r\n");
	cr_assert_eq(wakeups(), 1);
	cr_assert_eq(console_watch_check(&w), CONSOLE_MATCH_EXPECT);
	/* Reported once; the result stays in the matcher. */
	out("more\n");
	cr_assert_eq(console_watch_check(&w), CONSOLE_MATCH_NONE);
	cr_assert_eq(w.match.result, CONSOLE_MATCH_EXPECT);
}

Test(console_watch, full_stage_is_searched_on_the_vcpu_side)
{
	static uint8_t junk[CONSOLE_WATCH_STAGE];
	static const char panic[] = "Kernel panic - not syncing: x\n";

	memset(junk, 'j', sizeof(junk));
	junk[sizeof(junk) - 11] = '\n';	/* the panic starts a line */
	console_watch_output(&w, junk, sizeof(junk) - 10);
	console_watch_output(&w, (const uint8_t *)panic, sizeof(panic) - 1);
	cr_assert_eq(w.match.result, CONSOLE_MATCH_NONE);
	/* No main loop ran: the panic line overflows the stage and is found here... */
	console_watch_output(&w, junk, sizeof(junk));
	cr_assert_eq(w.match.result, CONSOLE_MATCH_FAIL);
	cr_assert_str_eq(w.match.matched->text, "Kernel panic - not syncing");
	cr_assert_str_eq(w.match.matched_line, "Kernel panic - not syncing: x");
	/* ...and reported to the main loop, which has been woken. */
	cr_assert_geq(wakeups(), 1);
	cr_assert_eq(console_watch_check(&w), CONSOLE_MATCH_FAIL);
	cr_assert_eq(console_watch_check(&w), CONSOLE_MATCH_NONE, "reported once");
}
