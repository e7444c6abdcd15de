// SPDX-License-Identifier: MIT
/* Boot milestones from the console: first byte, first userspace line. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

#include "vmm/console/boot_milestones.h"

static double clock_now;
static unsigned int clock_reads;

static double fake_now(void)
{
	clock_reads++;
	return clock_now;
}

static struct boot_milestones b;

static void setup(void)
{
	boot_milestones_init(&b);
	clock_now = 100.0;
	clock_reads = 0;
}

TestSuite(boot_milestones, .init = setup);

static void say(double at, const char *s)
{
	clock_now = at;
	boot_milestones_output(&b, (const uint8_t *)s, strlen(s), fake_now, 100.0);
}

Test(boot_milestones, printk_timestamps)
{
	cr_assert(boot_line_has_printk_time("[    0.000000] Booting Linux", 28));
	cr_assert(boot_line_has_printk_time("[12345.5] x", 11));
	cr_assert_not(boot_line_has_printk_time("[ ok ] started", 14));
	cr_assert_not(boot_line_has_printk_time("[    1.] x", 10));
	cr_assert_not(boot_line_has_printk_time("[    1.5", 8));
	cr_assert_not(boot_line_has_printk_time("hello", 5));
	cr_assert_not(boot_line_has_printk_time("", 0));
}

Test(boot_milestones, kernel_lines_then_userspace)
{
	say(100.5, "[    0.000000] Booting Linux\r\n");
	say(101.0, "[    1.000000] Freeing unused kernel memory\r\n");
	cr_assert_float_eq(b.first_byte, 0.5, 1e-9);
	cr_assert_lt(b.first_user_line, 0);
	say(102.0, "Welc");
	say(103.0, "ome\r\n");
	cr_assert_float_eq(b.first_user_line, 2.0, 1e-9, "time of the line's first byte");
}

Test(boot_milestones, line_after_run_init_counts_even_with_a_timestamp)
{
	say(101.0, "[    1.0] Run /init as init process\n");
	cr_assert_lt(b.first_user_line, 0);
	say(101.5, "\r\n");	/* empty lines do not count */
	say(102.0, "[    1.2] systemd[1]: started\n");
	cr_assert_float_eq(b.first_user_line, 2.0, 1e-9);
}

Test(boot_milestones, quiet_kernel_first_line_is_userspace)
{
	say(104.0, "guest-test: started\n");
	cr_assert_float_eq(b.first_byte, 4.0, 1e-9);
	cr_assert_float_eq(b.first_user_line, 4.0, 1e-9);
}

Test(boot_milestones, unfinished_last_line_counts_at_the_end)
{
	say(101.0, "[    1.0] kernel\n");
	say(102.0, "login: ");
	cr_assert_lt(b.first_user_line, 0, "line not ended yet");
	boot_milestones_flush(&b);
	cr_assert_float_eq(b.first_user_line, 2.0, 1e-9);
}

Test(boot_milestones, flush_without_output_finds_nothing)
{
	boot_milestones_flush(&b);
	cr_assert_lt(b.first_user_line, 0);
	cr_assert_lt(b.first_byte, 0);
}

Test(boot_milestones, no_clock_reads_once_found)
{
	say(101.0, "hello\n");
	clock_reads = 0;
	say(102.0, "more output\nand more\n");
	cr_assert_eq(clock_reads, 0);
	cr_assert_float_eq(b.first_user_line, 1.0, 1e-9);
}

Test(boot_milestones, long_kernel_line_is_still_classified)
{
	char line[600];

	memset(line, 'k', sizeof(line));
	memcpy(line, "[    2.5] ", 10);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	say(101.0, line);
	cr_assert_lt(b.first_user_line, 0);
}

Test(boot_milestones, one_line_summary, .init = cr_redirect_stderr)
{
	setup();
	say(100.25, "x\n");
	b.expect_matched = 3.5;
	boot_milestones_print(&b, 4.0, stderr);
	fflush(stderr);
	cr_assert_stderr_eq_str("tinyvmm: boot milestones: first console byte 0.25 s, first userspace line 0.25 s, --expect matched 3.50 s, total 4.00 s\n");
}

Test(boot_milestones, summary_marks_missing_ones, .init = cr_redirect_stderr)
{
	setup();
	boot_milestones_print(&b, 1.0, stderr);
	fflush(stderr);
	cr_assert_stderr_eq_str("tinyvmm: boot milestones: first console byte -, first userspace line -, --expect matched -, total 1.00 s\n");
}
