/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CLI_H
#define TINYVMM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util.h"
#include "vmm/cpu_features.h"

enum gic_request { GIC_AUTO = 0, GIC_V2 = 2, GIC_V3 = 3 };

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION };

enum vhost_mode { VHOST_AUTO = 0, VHOST_ON, VHOST_OFF };

#define CLI_DEFAULT_CPUS	1
#define CLI_DEFAULT_MEM_MIB	512
#define CLI_MAX_CPUS		512	/* syntax limit; KVM and the GIC set the real one */
#define CLI_DEFAULT_CMDLINE	"console=ttyS0 earlycon"
#define CLI_MAX_FAIL_ON		12	/* the matcher's limit less the defaults */

struct vm_config {
	const char *kernel_path;
	const char *initrd_path;
	const char *cmdline;
	const char *dump_dtb_path;
	const char *console_log_path;
	const char *report_json_path;
	const char *run_as_user;	/* --user: drop root after set-up */
	int seccomp;			/* enum seccomp_mode; on by default */
	unsigned int cpus;
	uint64_t mem_mib;
	enum gic_request gic;
	unsigned int timeout_s;		/* 0: no timeout */
	bool quiet;
	/* CI smoke tests: console patterns and the exit-status device. */
	const char *expect;		/* --expect REGEX, or NULL */
	const char *fail_on[CLI_MAX_FAIL_ON];
	unsigned int nfail_on;
	bool no_default_fail_on;
	bool exit_device;
	struct cpu_features_wanted cpu;	/* --no-pmu, --no-pauth, --no-sve */
	/* Network: a virtio-net device exists only with --tap. */
	const char *tap_name;
	uint8_t mac[6];
	bool mac_set;
	bool no_packed;
	enum vhost_mode vhost;
	bool vhost_irq_relay;
	bool vhost_irq_set;
	unsigned int queues;
	bool transport_pci;		/* virtio-net on virtio-pci (after auto is resolved) */
	bool transport_set;		/* --transport mmio|pci given; else auto: pci when --queues > 1 */
};

void cli_defaults(struct vm_config *cfg);
int cli_parse(int argc, char *const argv[], struct vm_config *cfg,
	      enum cli_action *action, struct tvm_error *err);
void cli_print_help(void);

#endif
