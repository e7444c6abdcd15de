/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CONSOLE_H
#define TINYVMM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

/*
 * The user's side of the guest serial port: stdin/stdout plus an optional
 * log file. When stdin is a terminal it is put in raw mode so keys reach the
 * guest unchanged; it is restored on every exit path (atexit covers the
 * error returns, console_close the normal one).
 */
struct console {
	int in_fd;		/* -1 once stdin is closed or unusable */
	int log_fd;		/* -1 without --console-log */
	bool escape;		/* previous input byte was Ctrl-A */
	bool mid_line;		/* the guest's last output byte was not a newline */
	/*
	 * stdout can block (a pipe, FIFO, socket or terminal whose reader
	 * stopped reading): a vCPU thread then waits for room or for
	 * abandon_fd, never in write() alone, so the VM can always stop.
	 */
	bool out_may_block;
	int abandon_fd;		/* eventfd: console_abandon() was called */
};

#define CONSOLE_ESCAPE_CHAR 0x01	/* Ctrl-A */

int console_open(struct console *con, const char *log_path, struct tvm_error *err);
void console_close(struct console *con);

/* Put the terminal back the way it was (safe in a signal handler). */
void console_restore_terminal(void);

/*
 * Guest output: to stdout and the log; never blocks on a closed reader.
 * On a reader that stopped reading it waits (the guest's console is as
 * slow as its reader) until console_abandon().
 */
void console_output(struct console *con, const uint8_t *buf, size_t len);

/*
 * Stopping the vCPUs: output waiting for room on stdout is dropped from now
 * on, so no vCPU thread stays in console_output(); console_resume() ends it
 * (after an --on-reset reboot).
 */
void console_abandon(struct console *con);
void console_resume(struct console *con);

/*
 * Before tinyvmm's own closing messages on stderr: if stdout is the same
 * file (a terminal, one log) and the guest stopped mid-line, end that line
 * so the messages start on their own.
 */
void console_end_line(const struct console *con);

/*
 * Strip the Ctrl-A escapes from user input. Ctrl-A x (or X) sets *quit and
 * stops; Ctrl-A Ctrl-A passes one Ctrl-A; Ctrl-A and anything else passes
 * both bytes. Returns the number of bytes written to @out (at most 2 * @len).
 */
size_t console_filter_input(struct console *con, const uint8_t *in, size_t len,
			    uint8_t *out, bool *quit);

#endif
