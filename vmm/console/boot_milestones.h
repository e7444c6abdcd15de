/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_BOOT_MILESTONES_H
#define TINYVMM_BOOT_MILESTONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * How far a boot got and when, from the console alone (--report-json
 * "milestones", and one line at exit). Times are seconds since tinyvmm
 * started (CLOCK_MONOTONIC); negative: not reached.
 *
 * The first userspace line is the first non-empty console line that
 * either follows the kernel's "Run /init as init process" line (any
 * "... as init process") or does not start with a printk timestamp
 * ("[    1.234567] "); its time is when its first byte was written. With
 * `quiet` the kernel prints no such lines, and its own lines carry the
 * timestamp on kernels with CONFIG_PRINTK_TIME (Debian's and most
 * distributions'), so both ways find the init's first line. For a guest
 * that prints no kernel log (bare metal) it is simply its first line.
 */
#define BOOT_LINE_PREFIX	128	/* bytes of a line kept to classify it */

struct boot_milestones {
	double first_byte;
	double first_user_line;
	double expect_matched;
	/* Line tracking, until the first userspace line is found. */
	char line[BOOT_LINE_PREFIX];
	size_t line_len;
	bool in_line;
	double line_start;
	bool init_started;	/* saw "... as init process" */
};

void boot_milestones_init(struct boot_milestones *b);

/*
 * Guest output as it is written; @now() is called only when a milestone
 * may need a time (the first byte, each line's start until the first
 * userspace line), so a booted guest's output costs no clock reads.
 */
void boot_milestones_output(struct boot_milestones *b, const uint8_t *buf, size_t len,
			    double (*now)(void), double start);

/*
 * The run is over: classify a last line the guest had not finished (an
 * --expect match stops it mid-line).
 */
void boot_milestones_flush(struct boot_milestones *b);

/* True if @line (without its newline) starts with a printk timestamp. */
bool boot_line_has_printk_time(const char *line, size_t len);

/* "first console byte 0.41 s, first userspace line 5.12 s, ..., total 6.31 s" */
void boot_milestones_print(const struct boot_milestones *b, double total, FILE *f);

#endif
