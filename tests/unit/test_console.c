// SPDX-License-Identifier: MIT
/* The console: Ctrl-A escapes on input, line ends, and output to a stdout that blocks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

/*
 * stdout is a pipe whose reader stopped: fill it, so the next byte cannot
 * go in. The console is opened on it (it must see a stdout that can block).
 */
static int full_pipe_as_stdout(struct console *c)
{
	struct tvm_error err;
	char junk[4096] = { 0 };
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	while (write(p[1], junk, 1) > 0)
		;
	cr_assert_eq(fcntl(p[1], F_SETFL, 0), 0);
	fflush(stdout);
	cr_assert_geq(dup2(p[1], STDOUT_FILENO), 0);
	close(p[1]);
	cr_assert_eq(console_open(c, NULL, &err), 0);
	cr_assert(c->out_may_block);
	return p[0];
}

static bool output_done;

static void *write_hello(void *arg)
{
	console_output(arg, (const uint8_t *)"hello", 5);
	__atomic_store_n(&output_done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait up to @ms for the writer thread to return from console_output(). */
static bool writer_returns_within(unsigned int ms)
{
	for (unsigned int i = 0; i < ms / 10; i++) {
		if (__atomic_load_n(&output_done, __ATOMIC_ACQUIRE))
			return true;
		usleep(10000);
	}
	return __atomic_load_n(&output_done, __ATOMIC_ACQUIRE);
}

/* Read what is in the pipe; returns the number of bytes, the last 5 in @tail. */
static size_t drain_pipe(int fd, char tail[5])
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		if (n >= 5)
			memcpy(tail, buf + n - 5, 5);
	}
	return total;
}

Test(console, a_full_stdout_holds_the_writer_until_the_reader_reads, .timeout = 10)
{
	struct console c;
	pthread_t t;
	char tail[5] = { 0 };
	int rd = full_pipe_as_stdout(&c);

	output_done = false;
	cr_assert_eq(pthread_create(&t, NULL, write_hello, &c), 0);
	cr_assert_not(writer_returns_within(200), "no room: the guest's output waits");
	drain_pipe(rd, tail);
	cr_assert(writer_returns_within(5000));
	pthread_join(t, NULL);
	drain_pipe(rd, tail);
	cr_assert_arr_eq(tail, "hello", 5, "nothing dropped while the reader was away");
	console_close(&c);
	close(rd);
}

Test(console, abandon_releases_a_writer_stuck_on_a_full_stdout, .timeout = 10)
{
	struct console c;
	pthread_t t;
	char tail[5] = { 0 };
	int rd = full_pipe_as_stdout(&c);
	size_t before;

	output_done = false;
	cr_assert_eq(pthread_create(&t, NULL, write_hello, &c), 0);
	cr_assert_not(writer_returns_within(200));
	console_abandon(&c);
	cr_assert(writer_returns_within(5000), "stopping the VM must not wait for the reader");
	pthread_join(t, NULL);
	before = drain_pipe(rd, tail);
	/* Resumed (an --on-reset reboot): output flows again. */
	console_resume(&c);
	output_done = false;
	write_hello(&c);
	cr_assert_eq(drain_pipe(rd, tail), 5);
	cr_assert_arr_eq(tail, "hello", 5);
	cr_assert_gt(before, 0);
	console_close(&c);
	close(rd);
}

Test(console, an_unwritable_log_says_why_with_its_errno)
{
	struct console c = { 0 };
	struct tvm_error err = { 0 };

	cr_assert_eq(console_open(&c, "/nonexistent-dir/console.log", &err), -1);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_eq(err.kind, TVM_ERR_INPUT, "the path given with --console-log");
	cr_assert_eq(err.errnum, ENOENT, "open()'s errno, not close()'s: %d", err.errnum);
	cr_assert_eq(c.abandon_fd, -1, "closed again");
	cr_assert_str_eq(err.msg, "cannot write --console-log '/nonexistent-dir/console.log': No such file or directory. Choose a writable path");
}
