// SPDX-License-Identifier: MIT
/* console_filter_input: the Ctrl-A escape handling on user input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/console/console.h"

static struct console con;

static void setup(void)
{
	memset(&con, 0, sizeof(con));
	con.in_fd = -1;
	con.log_fd = -1;
}

TestSuite(console, .init = setup);

/* Filter @in; output goes to @out (caller sized it 2 * len + guard). */
static size_t filter(const char *in, size_t len, uint8_t *out, bool *quit)
{
	*quit = true;	/* must be reset by the filter */
	return console_filter_input(&con, (const uint8_t *)in, len, out, quit);
}

Test(console, plain_bytes_pass)
{
	static const char in[] = "hello\r\n\x1b[A\x02\x7f\xff";
	uint8_t out[64];
	bool quit;
	size_t n = filter(in, sizeof(in) - 1, out, &quit);

	cr_assert_eq(n, sizeof(in) - 1);
	cr_assert_arr_eq(out, in, n);
	cr_assert_not(quit);
	cr_assert_not(con.escape);
}

Test(console, empty_input)
{
	uint8_t out[4];
	bool quit;

	cr_assert_eq(filter("", 0, out, &quit), 0);
	cr_assert_not(quit);
}

Test(console, ctrl_a_x_quits_and_stops)
{
	uint8_t out[64];
	bool quit;
	size_t n;

	memset(out, 0xee, sizeof(out));
	n = filter("ab\x01xcd", 6, out, &quit);
	cr_assert(quit);
	cr_assert_eq(n, 2, "only the bytes before the escape");
	cr_assert_arr_eq(out, "ab", 2);
	cr_assert_eq(out[2], 0xee, "nothing written after quit");
	cr_assert_not(con.escape);
}

Test(console, ctrl_a_capital_x_quits)
{
	uint8_t out[16];
	bool quit;

	cr_assert_eq(filter("\x01X", 2, out, &quit), 0);
	cr_assert(quit);
}

Test(console, ctrl_a_ctrl_a_sends_one)
{
	uint8_t out[16];
	bool quit;
	size_t n = filter("a\x01\x01z", 4, out, &quit);

	cr_assert_not(quit);
	cr_assert_eq(n, 3);
	cr_assert_arr_eq(out, "a\x01z", 3);
	cr_assert_not(con.escape);
}

Test(console, ctrl_a_ctrl_a_then_x_does_not_quit)
{
	uint8_t out[16];
	bool quit;
	size_t n = filter("\x01\x01x", 3, out, &quit);

	cr_assert_not(quit);
	cr_assert_eq(n, 2);
	cr_assert_arr_eq(out, "\x01x", 2);
}

Test(console, ctrl_a_other_passes_both)
{
	uint8_t out[16];
	bool quit;
	size_t n = filter("\x01" "c\x01h", 4, out, &quit);

	cr_assert_not(quit);
	cr_assert_eq(n, 4);
	cr_assert_arr_eq(out, "\x01" "c\x01h", 4);
}

Test(console, worst_case_output_is_bounded)
{
	/* Ctrl-A <other> repeated: output equals input, never more than 2x. */
	char in[32];
	uint8_t out[64 + 8];
	bool quit;
	size_t n;

	for (int i = 0; i < 32; i += 2) {
		in[i] = 0x01;
		in[i + 1] = 'q';
	}
	memset(out, 0xee, sizeof(out));
	n = filter(in, 32, out, &quit);
	cr_assert_eq(n, 32);
	cr_assert_arr_eq(out, in, 32);
	cr_assert_eq(out[64], 0xee);
}

Test(console, escape_split_across_calls)
{
	uint8_t out[16];
	bool quit;
	size_t n;

	n = filter("ab\x01", 3, out, &quit);
	cr_assert_eq(n, 2);
	cr_assert_arr_eq(out, "ab", 2);
	cr_assert_not(quit);
	cr_assert(con.escape, "pending escape kept in struct console");

	n = filter("x", 1, out, &quit);
	cr_assert(quit);
	cr_assert_eq(n, 0);
	cr_assert_not(con.escape);
}

Test(console, split_escape_then_other)
{
	uint8_t out[16];
	bool quit;
	size_t n;

	cr_assert_eq(filter("\x01", 1, out, &quit), 0);
	cr_assert(con.escape);
	n = filter("y", 1, out, &quit);
	cr_assert_not(quit);
	cr_assert_eq(n, 2);
	cr_assert_arr_eq(out, "\x01y", 2);

	cr_assert_eq(filter("\x01", 1, out, &quit), 0);
	n = filter("\x01", 1, out, &quit);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0], 0x01);
	cr_assert_not(con.escape);
}

Test(console, split_escape_survives_empty_call)
{
	uint8_t out[16];
	bool quit;

	cr_assert_eq(filter("\x01", 1, out, &quit), 0);
	cr_assert_eq(filter("", 0, out, &quit), 0);
	cr_assert_not(quit);
	cr_assert_eq(filter("X", 1, out, &quit), 0);
	cr_assert(quit);
}

Test(console, separate_consoles_do_not_share_state)
{
	struct console other = { .in_fd = -1, .log_fd = -1 };
	uint8_t out[16];
	bool quit;
	size_t n;

	cr_assert_eq(filter("\x01", 1, out, &quit), 0);
	n = console_filter_input(&other, (const uint8_t *)"x", 1, out, &quit);
	cr_assert_not(quit);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0], 'x');
}

/* Point stdout and stderr at temporary files (the same one if @same). */
static void redirect(FILE **out, FILE **err, bool same)
{
	*out = tmpfile();
	*err = same ? *out : tmpfile();
	cr_assert(*out && *err);
	fflush(stdout);
	fflush(stderr);
	cr_assert_geq(dup2(fileno(*out), STDOUT_FILENO), 0);
	cr_assert_geq(dup2(fileno(*err), STDERR_FILENO), 0);
}

static size_t file_size(FILE *f)
{
	struct stat st;

	cr_assert_eq(fstat(fileno(f), &st), 0);
	return (size_t)st.st_size;
}

Test(console, end_line_when_stderr_shares_stdout)
{
	FILE *out, *err;

	redirect(&out, &err, true);
	console_output(&con, (const uint8_t *)"login: ", 7);
	cr_assert(con.mid_line);
	console_end_line(&con);
	cr_assert_eq(file_size(out), 8, "a newline after the guest's partial line");
	console_output(&con, (const uint8_t *)"ok\n", 3);
	console_end_line(&con);
	cr_assert_eq(file_size(out), 11, "nothing after a complete line");
}

Test(console, end_line_not_when_stderr_is_elsewhere)
{
	FILE *out, *err;

	redirect(&out, &err, false);
	console_output(&con, (const uint8_t *)"login: ", 7);
	console_end_line(&con);
	cr_assert_eq(file_size(out), 7);
	cr_assert_eq(file_size(err), 0);
}
