// SPDX-License-Identifier: MIT
/* cli_parse() (vmm/cli.c) on a fuzzed argv: the input split on NUL bytes. */
#include "fuzz_common.h"
#include "vmm/cli.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 1];
	int argc = 0;
	struct vm_config cfg;
	enum cli_action action;
	struct tvm_error err = { 0 };
	int ret;

	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = "tinyvmm";
	for (size_t i = 0; i < size && argc < MAX_ARGS; ) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	argv[argc] = NULL;
	cli_defaults(&cfg);
	ret = cli_parse(argc, argv, &cfg, &action, &err);
	if (ret) {
		FZ_CHECK(ret == -1 && err.code == TVM_EXIT_USAGE);
		FZ_CHECK(memchr(err.msg, 0, sizeof(err.msg)) && err.msg[0]);
	} else if (action == CLI_RUN) {
		FZ_CHECK(cfg.kernel_path);
		FZ_CHECK(cfg.cpus >= 1 && cfg.cpus <= CLI_MAX_CPUS);
		FZ_CHECK(cfg.mem_mib >= 16 && cfg.mem_mib <= (1ULL << 24));
		FZ_CHECK(cfg.queues >= 1 && cfg.queues <= 16);
		FZ_CHECK(cfg.tap_name || (cfg.queues == 1 && !cfg.mac_set && !cfg.no_packed));
		if (cfg.mac_set)
			FZ_CHECK(!(cfg.mac[0] & 1));
		FZ_CHECK(cfg.nfail_on <= CLI_MAX_FAIL_ON);
		for (unsigned int i = 0; i < cfg.nfail_on; i++)
			FZ_CHECK(cfg.fail_on[i]);
	} else {
		FZ_CHECK(action == CLI_HELP || action == CLI_VERSION);
	}
	free(copy);
	return 0;
}
