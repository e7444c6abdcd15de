// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "version.h"
#include "vmm/cli.h"
#include "vmm/tap_cmd.h"
#include "vmm/check.h"
#include "vmm/crash.h"
#include "vmm/core/vm.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct tvm_error err = { 0 };
	enum cli_action action;
	int code;

	/* Subcommands first: they have their own options. */
	if (argc > 1 && !strcmp(argv[1], "tap"))
		return tap_command(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "check"))
		return check_command(argc - 1, argv + 1);
	cli_defaults(&cfg);
	if (cli_parse(argc, argv, &cfg, &action, &err)) {
		tvm_print_error(&err);
		return err.code;
	}
	if (action == CLI_HELP) {
		cli_print_help();
		return 0;
	}
	if (action == CLI_VERSION) {
		printf("tinyvmm %s (commit %s)\n", TINYVMM_VERSION, TINYVMM_COMMIT);
		return 0;
	}
	crash_handler_install();
	code = vm_run(&cfg, &err);
	if (code < 0) {
		tvm_print_error(&err);
		return err.code;
	}
	return code;
}
