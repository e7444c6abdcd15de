/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CRASH_H
#define TINYVMM_CRASH_H

/*
 * On SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGABRT: write one line naming the
 * signal, fault address and thread, then a backtrace, restore the terminal,
 * and die of the same signal (so the exit status stays 128 + signal).
 * On SIGSYS from the seccomp filter: one line naming the refused call (and
 * an ioctl's fd and request), restore the terminal, exit TVM_EXIT_SECCOMP.
 */
void crash_handler_install(void);

#endif
