/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CHECK_H
#define TINYVMM_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/core/kvm.h"


/*
 * Print what @k says about KVM to @out, one "[ok]/[!!]/[--] ..." line per
 * item; a probe that failed is never [ok]. True if a guest could run.
 */
bool check_report_kvm_info(FILE *out, const struct kvm_check_info *k);

/* "  [@mark] <text>\n" on @out: @mark is ok, !! (a problem) or -- (a note). */
void check_line(FILE *out, const char *mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* tinyvmm check [--tap NAME] [--queues N] [--cpus N]; @argv[0] is "check". */
int check_command(int argc, char **argv);

#endif
