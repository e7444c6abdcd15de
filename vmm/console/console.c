// SPDX-License-Identifier: MIT
#include "vmm/console/console.h"
#include "lib/dev_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* Global so the atexit handler can reach it. */
static struct termios saved_termios;
static bool termios_saved;

static void restore_terminal(void)
{
	if (termios_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
		termios_saved = false;
	}
}

/* Async-signal-safe (tcsetattr is): also used by the crash handler. */
void console_restore_terminal(void)
{
	restore_terminal();
}

static void make_raw(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	termios_saved = true;
	atexit(restore_terminal);
	raw = saved_termios;
	cfmakeraw(&raw);
	/* Keep output post-processing so our own messages stay readable. */
	raw.c_oflag |= OPOST | ONLCR;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
}

/* A regular file or /dev/null never makes a writer wait; anything else may. */
static bool may_block(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return false;	/* closed: write() fails at once */
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(fd);
}

int console_open(struct console *con, const char *log_path, struct tvm_error *err)
{
	con->in_fd = STDIN_FILENO;
	con->log_fd = -1;
	con->escape = false;
	con->out_may_block = may_block(STDOUT_FILENO);
	con->abandon_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (con->abandon_fd < 0)
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "cannot create an eventfd: %s", strerror(errno));
	if (log_path) {
		con->log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (con->log_fd < 0) {
			tvm_fail_errno(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				       "cannot write --console-log '%s': %s. Choose a writable path",
				       log_path, strerror(errno));
			close(con->abandon_fd);
			con->abandon_fd = -1;
			return -1;
		}
	}
	make_raw();
	return 0;
}

void console_close(struct console *con)
{
	restore_terminal();
	if (con->log_fd >= 0)
		close(con->log_fd);
	con->log_fd = -1;
	if (con->abandon_fd >= 0)
		close(con->abandon_fd);
	con->abandon_fd = -1;
}

void console_abandon(struct console *con)
{
	eventfd_signal(con->abandon_fd);
}

void console_resume(struct console *con)
{
	eventfd_drain(con->abandon_fd);
}

/* Wait until @fd takes bytes; false once the output is abandoned. */
static bool wait_for_room(int fd, int abandon_fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLOUT }, { .fd = abandon_fd, .events = POLLIN } };

	dev_lock_assert_none("console poll");
	while (poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return false;
	return !(p[1].revents & POLLIN);
}

/* @abandon_fd < 0: @fd never makes us wait (a file). */
static void write_all(int fd, const uint8_t *buf, size_t len, int abandon_fd)
{
	dev_lock_assert_none("console write");
	while (len) {
		ssize_t n;

		if (abandon_fd >= 0 && !wait_for_room(fd, abandon_fd))
			return;	/* the VM is stopping: drop the rest */
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* reader gone (EPIPE) or full disk: drop output */
		buf += n;
		len -= (size_t)n;
	}
}

void console_output(struct console *con, const uint8_t *buf, size_t len)
{
	write_all(STDOUT_FILENO, buf, len, con->out_may_block ? con->abandon_fd : -1);
	if (con->log_fd >= 0)
		write_all(con->log_fd, buf, len, -1);
	if (len)
		con->mid_line = buf[len - 1] != '\n';
}

void console_end_line(const struct console *con)
{
	struct stat out, err;

	if (!con->mid_line || fstat(STDOUT_FILENO, &out) || fstat(STDERR_FILENO, &err))
		return;
	if (out.st_dev == err.st_dev && out.st_ino == err.st_ino)
		write_all(STDERR_FILENO, (const uint8_t *)"\n", 1, -1);
}

size_t console_filter_input(struct console *con, const uint8_t *in, size_t len,
			    uint8_t *out, bool *quit)
{
	size_t n = 0;

	*quit = false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		if (!con->escape) {
			if (c == CONSOLE_ESCAPE_CHAR)
				con->escape = true;
			else
				out[n++] = c;
			continue;
		}
		con->escape = false;
		if (c == 'x' || c == 'X') {
			*quit = true;
			break;
		}
		if (c != CONSOLE_ESCAPE_CHAR)
			out[n++] = CONSOLE_ESCAPE_CHAR;
		out[n++] = c;
	}
	return n;
}
