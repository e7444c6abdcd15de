/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CLI_H
#define TINYVMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "vmm/core/vm_config.h"

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION };

#define CLI_MAX_FAIL_ON		VM_MAX_FAIL_ON
#define CLI_DEFAULT_CPUS	1
#define CLI_DEFAULT_MEM_MIB	512
#define CLI_MAX_CPUS		512	/* syntax limit; KVM and the GIC set the real one */
#define CLI_DEFAULT_CMDLINE	"console=ttyS0 earlycon"
/* vhost or the Tier 2 worker spins up to this each time a ring empties: under a scheduler tick. */
#define CLI_MAX_POLL_US	1000

void cli_defaults(struct vm_config *cfg);
int cli_parse(int argc, char *const argv[], struct vm_config *cfg,
	      enum cli_action *action, struct tvm_error *err);
void cli_print_help(void);
const char *cli_option_name(size_t i, bool *takes_value);

#endif
