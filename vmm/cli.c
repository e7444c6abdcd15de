// SPDX-License-Identifier: MIT
/*
 * Command line parsing. Hand-written rather than getopt_long so that it has
 * no global state (the unit tests and the fuzzer call it repeatedly) and so
 * every error is one line that names the option and the fix.
 */
#include "vmm/cli.h"

#include <stdio.h>
#include <string.h>

#include "devices/net/virtio_net.h"
#include "vmm/console/console_match.h"
#include "vmm/arm64/board.h"
#include "vmm/core/seccomp.h"
#include "version.h"

enum opt_id {
	OPT_KERNEL, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEM, OPT_GIC,
	OPT_DUMP_DTB, OPT_CONSOLE_LOG, OPT_REPORT_JSON, OPT_USER, OPT_SECCOMP, OPT_TIMEOUT, OPT_QUIET, OPT_HELP,
	OPT_VERSION, OPT_NO_PMU, OPT_NO_PAUTH, OPT_NO_SVE, OPT_TAP, OPT_MAC, OPT_NO_PACKED, OPT_VHOST,
	OPT_QUEUES, OPT_VHOST_IRQ, OPT_EXPECT, OPT_FAIL_ON, OPT_NO_DEFAULT_FAIL_ON, OPT_EXIT_DEVICE,

	OPT_TRANSPORT, OPT_ON_RESET, OPT_VHOST_POLL_US, OPT_WORKER_POLL_US, OPT_WORKER_SCHED,
	OPT_MACHINE, OPT_VIRTIO_MMIO, OPT_BIOS,
	OPT_NO_EVENT_IDX, OPT_NO_MRG_RXBUF,
};

struct opt_desc {
	const char *name;
	enum opt_id id;
	bool takes_value;
};

static const struct opt_desc options[] = {
	{ "machine", OPT_MACHINE, true },
	{ "kernel", OPT_KERNEL, true },
	{ "bios", OPT_BIOS, true },
	{ "initrd", OPT_INITRD, true },
	{ "cmdline", OPT_CMDLINE, true },
	{ "append", OPT_CMDLINE, true },
	{ "cpus", OPT_CPUS, true },
	{ "mem", OPT_MEM, true },
	{ "gic", OPT_GIC, true },
	{ "dump-dtb", OPT_DUMP_DTB, true },
	{ "console-log", OPT_CONSOLE_LOG, true },
	{ "report-json", OPT_REPORT_JSON, true },
	{ "user", OPT_USER, true },
	{ "seccomp", OPT_SECCOMP, true },
	{ "timeout", OPT_TIMEOUT, true },
	{ "on-reset", OPT_ON_RESET, true },
	{ "quiet", OPT_QUIET, false },
	{ "help", OPT_HELP, false },
	{ "version", OPT_VERSION, false },
	{ "no-pmu", OPT_NO_PMU, false },
	{ "no-pauth", OPT_NO_PAUTH, false },
	{ "no-sve", OPT_NO_SVE, false },
	{ "tap", OPT_TAP, true },
	{ "mac", OPT_MAC, true },
	{ "no-packed", OPT_NO_PACKED, false },
	{ "no-event-idx", OPT_NO_EVENT_IDX, false },
	{ "no-mrg-rxbuf", OPT_NO_MRG_RXBUF, false },
	{ "vhost", OPT_VHOST, true },
	{ "queues", OPT_QUEUES, true },
	{ "vhost-irq", OPT_VHOST_IRQ, true },
	{ "vhost-poll-us", OPT_VHOST_POLL_US, true },
	{ "worker-poll-us", OPT_WORKER_POLL_US, true },
	{ "worker-sched", OPT_WORKER_SCHED, true },
	{ "transport", OPT_TRANSPORT, true },
	{ "virtio-mmio", OPT_VIRTIO_MMIO, true },
	{ "expect", OPT_EXPECT, true },
	{ "fail-on", OPT_FAIL_ON, true },
	{ "no-default-fail-on", OPT_NO_DEFAULT_FAIL_ON, false },
	{ "exit-device", OPT_EXIT_DEVICE, false },
};

void cli_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = CLI_DEFAULT_CPUS;
	cfg->mem_mib = CLI_DEFAULT_MEM_MIB;
	cfg->gic = GIC_AUTO;
	cfg->cmdline = CLI_DEFAULT_CMDLINE;
	cfg->vhost = VHOST_AUTO;
	cfg->queues = 1;
	cfg->seccomp = SECCOMP_MODE_ON;
}

void cli_print_help(void)
{
	printf("Usage: tinyvmm --kernel FILE [OPTIONS]\n"
	       "       tinyvmm --machine virt --bios FIRMWARE [OPTIONS]\n"
	       "       tinyvmm check [--tap NAME] [--queues N] [--cpus N]   what this host can run\n"
	       "       tinyvmm tap create|delete|show NAME ...             persistent (multi-queue) TAPs\n"
	       "Run an ARM64 Linux kernel or bare-metal ELF under KVM on an ARM64 host.\n"
	       "\n"
	       "  --machine tinyvmm|virt  the board: tinyvmm's own (16550 UART, RAM at 2 GiB), or QEMU's\n"
	       "                       virt memory map (PL011, PL031, 32 virtio-mmio transports, NIC in\n"
	       "                       the last, RAM at 1 GiB) (default: tinyvmm)\n"
	       "  --kernel FILE        arm64 Image, ELF, or a raw binary (at RAM base + 0x80000, as\n"
	       "                       QEMU), each maybe gzip'ed (required, unless --bios)\n"
	       "  --bios FILE          firmware (e.g. U-Boot) in flash bank 0, started at 0x0 with the\n"
	       "                       device tree at the start of RAM; not with --kernel/--initrd/--cmdline\n"
	       "  --initrd FILE        initial ramdisk (default: none)\n"
	       "  --cmdline TEXT       kernel command line (alias --append; default: \"%s\",\n"
	       "                       on --machine virt \"%s\")\n"
	       "  --cpus N             number of vCPUs (default: %u)\n"
	       "  --mem MIB            guest RAM in MiB (default: %u)\n"
	       "  --gic auto|v2|v3     interrupt controller; auto tries v3 then v2 (default: auto)\n"
	       "  --timeout SECONDS    stop the guest after SECONDS, exit code 4 (default: none)\n"
	       "  --on-reset exit|reboot  a guest reset (reboot) ends the run with exit code 3, or\n"
	       "                       restarts the guest in place (default: exit)\n"
	       "  --console-log FILE   also write the guest console to FILE (default: none)\n"
	       "  --dump-dtb FILE      write the guest's device tree blob to FILE (default: none)\n"
	       "  --report-json FILE   write configuration, negotiation and statistics as JSON at start\n"
	       "                       and at exit (default: none); kill -USR1 prints statistics\n"
	       "  --tap NAME           give the guest a virtio-net NIC on TAP interface NAME (default: none)\n"
	       "  --mac ADDR           the NIC's MAC address (default: stable, derived from NAME)\n"
	       "  --vhost auto|on|off  vhost-net kernel data path; auto falls back to userspace (default: auto)\n"
	       "  --vhost-irq direct|relay  vhost interrupts via KVM irqfd, or relayed by tinyvmm (default: direct)\n"
	       "  --vhost-poll-us N    vhost-net busy-polls an empty ring up to N microseconds, 0-%u\n"
	       "                       (VHOST_SET_VRING_BUSYLOOP_TIMEOUT; default: 0, no polling)\n"
	       "  --worker-poll-us N   Tier 2: the worker polls for more work up to N microseconds\n"
	       "                       before sleeping, 0-%u, adapting to the traffic (default: 0)\n"
	       "  --worker-sched normal|batch  batch makes the threads serving the queues (Tier 2's\n"
	       "                       workers or vhost-net's) SCHED_BATCH, so a kick does not\n"
	       "                       preempt the vCPU that sent it on a shared core (default: normal)\n"
	       "  --queues N           virtio-net queue pairs, 1 to 16; >1 needs a multi-queue TAP (default: 1)\n"
	       "  --transport auto|mmio|pci  virtio-net on virtio-mmio, or on virtio-pci with MSI-X\n"
	       "                       (default auto: pci when --queues > 1, else mmio; always mmio\n"
	       "                       on --machine virt, as QEMU's -device virtio-net-device)\n"
	       "  --virtio-mmio legacy|modern  virtio-mmio version 1 (legacy interface, as QEMU's\n"
	       "                       default) or version 2 (default: legacy on --machine virt,\n"
	       "                       modern on tinyvmm)\n"
	       "  --no-packed          offer split virtqueues only (default: packed offered)\n"
	       "  --no-event-idx       do not offer the event index (VIRTIO_RING_F_EVENT_IDX): a kick\n"
	       "                       and an interrupt per flag, not per index (default: offered)\n"
	       "  --no-mrg-rxbuf       do not offer mergeable RX buffers (VIRTIO_NET_F_MRG_RXBUF): the\n"
	       "                       guest posts a 64 KiB chain per frame (default: offered)\n"
	       "  --user USER          started as root: become USER once devices are open, then create\n"
	       "                       --console-log, --dump-dtb, --report-json as USER (default: stay)\n"
	       "  --seccomp on|log|off system-call allow-list once set up; log only logs (default: on)\n"
	       "  --expect REGEX       succeed (exit 0, guest stopped) once the console matches REGEX;\n"
	       "                       exit 9 if the guest powers off first (default: none)\n"
	       "  --fail-on REGEX      fail (exit 8) once the console matches REGEX, stopping the guest\n"
	       "                       when it has had its say (1 s quiet, at most 10 s); repeatable;\n"
	       "                       with --expect, Linux panics, oopses and BUG:s too\n"
	       "  --no-default-fail-on only the --fail-on patterns given (default: with --expect, also\n"
	       "                       'Kernel panic - not syncing', 'Internal error: Oops', 'BUG: ')\n"
	       "  --exit-device        give the guest a \"tinyvmm,exit\" device: a 32-bit write of V\n"
	       "                       at 0x%llx (both boards) ends the run with exit status V & 0xff\n"
	       "                       (default: off)\n"
	       "  --no-pmu             no PMUv3 for the guest (default: on when the host KVM has it)\n"
	       "  --no-pauth           no pointer authentication (default: on when the host KVM has it)\n"
	       "  --no-sve             no SVE (default: on, host's vector lengths, when the host KVM has it)\n"
	       "  --quiet              do not print the start-up banner or the boot milestones\n"
	       "  --help               show this help and exit\n"
	       "  --version            show the version and the git commit built from, and exit\n"
	       "\n"
	       "Console: the guest's ttyS0 (ttyAMA0 on virt) is on stdin/stdout; Ctrl-A x quits,\n"
	       "  Ctrl-A Ctrl-A sends Ctrl-A.\n"
	       "Exit codes: 0 guest powered off (or --expect matched), 1 tinyvmm/host error,\n"
	       "  2 bad usage or input, 3 guest reset (--on-reset exit), 4 timeout, 5 guest crashed,\n"
	       "  6 no ARM64 KVM on this host, 7 quit with Ctrl-A x, 8 --fail-on matched,\n"
	       "  9 guest powered off before --expect matched, 10 the seccomp sandbox refused a\n"
	       "  system call (stderr names it), 130 SIGINT, 143 SIGTERM;\n"
	       "  with --exit-device, whatever the guest wrote (mod 256).\n"
	       "On a host without ARM64 KVM (e.g. x86_64) run it inside the emulated host:\n"
	       "  scripts/emuhost -- tinyvmm --kernel ...\n",
	       CLI_DEFAULT_CMDLINE, board_get(BOARD_VIRT)->default_cmdline, CLI_DEFAULT_CPUS,
	       CLI_DEFAULT_MEM_MIB, CLI_MAX_POLL_US, CLI_MAX_POLL_US,
	       (unsigned long long)board_get(BOARD_TINYVMM)->exit_device.base);
}

/* The table for tests/unit/test_completion.c: the I-th option, NULL past the end. */
const char *cli_option_name(size_t i, bool *takes_value)
{
	if (i >= sizeof(options) / sizeof(options[0]))
		return NULL;
	*takes_value = options[i].takes_value;
	return options[i].name;
}

static const struct opt_desc *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len))
			return &options[i];
	}
	return NULL;
}

static int parse_gic(const char *v, enum gic_request *gic)
{
	if (!strcmp(v, "auto"))
		*gic = GIC_AUTO;
	else if (!strcmp(v, "v2") || !strcmp(v, "2"))
		*gic = GIC_V2;
	else if (!strcmp(v, "v3") || !strcmp(v, "3"))
		*gic = GIC_V3;
	else
		return -1;
	return 0;
}

/* --vhost-poll-us, --worker-poll-us: microseconds, 0 to CLI_MAX_POLL_US. */
static int parse_poll_us(const char *name, const char *v, unsigned int *out,
			 struct tvm_error *err)
{
	uint64_t n;

	if (parse_u64(v, 0, CLI_MAX_POLL_US, &n))
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--%s '%s' is not a polling time. Use microseconds from 0 to %u",
				     name, v, CLI_MAX_POLL_US);
	*out = (unsigned int)n;
	return 0;
}

/* @v is @no (false) or @yes (true): a two-way switch such as --vhost-irq. */
static int parse_either(const char *name, const char *v, const char *no, const char *yes,
			const char *what, bool *out, struct tvm_error *err)
{
	if (strcmp(v, no) && strcmp(v, yes))
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--%s '%s' is not a %s. Use %s or %s", name, v, what, no, yes);
	*out = !strcmp(v, yes);
	return 0;
}

static int apply_net_option(const struct opt_desc *o, const char *v,
			    struct vm_config *cfg, struct tvm_error *err)
{
	uint64_t n;

	switch (o->id) {
	case OPT_TAP:
		cfg->tap_name = v;
		break;
	case OPT_MAC:
		if (virtio_net_parse_mac(v, cfg->mac))
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--mac '%s' is not a unicast MAC address. Use six hex bytes like 02:00:00:00:00:01",
					     v);
		cfg->mac_set = true;
		break;
	case OPT_NO_PACKED:
		cfg->no_packed = true;
		break;
	case OPT_NO_EVENT_IDX:
		cfg->no_event_idx = true;
		break;
	case OPT_NO_MRG_RXBUF:
		cfg->no_mrg_rxbuf = true;
		break;
	case OPT_VHOST:
		if (!strcmp(v, "auto"))
			cfg->vhost = VHOST_AUTO;
		else if (!strcmp(v, "on"))
			cfg->vhost = VHOST_ON;
		else if (!strcmp(v, "off"))
			cfg->vhost = VHOST_OFF;
		else
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--vhost '%s' is not a mode. Use auto, on or off", v);
		break;
	case OPT_VHOST_IRQ:
		cfg->vhost_irq_set = true;
		return parse_either(o->name, v, "direct", "relay", "mode", &cfg->vhost_irq_relay, err);
	case OPT_VHOST_POLL_US:
		cfg->vhost_poll_set = true;
		return parse_poll_us(o->name, v, &cfg->vhost_poll_us, err);
	case OPT_WORKER_POLL_US:
		cfg->worker_poll_set = true;
		return parse_poll_us(o->name, v, &cfg->worker_poll_us, err);
	case OPT_WORKER_SCHED:
		cfg->worker_sched_set = true;
		return parse_either(o->name, v, "normal", "batch", "policy", &cfg->worker_batch, err);
	case OPT_TRANSPORT:
		if (!strcmp(v, "auto"))
			cfg->transport_set = false;
		else if (!strcmp(v, "mmio") || !strcmp(v, "pci"))
			cfg->transport_set = true;
		else
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--transport '%s' is not a virtio transport. Use auto, mmio or pci",
					     v);
		cfg->transport_pci = !strcmp(v, "pci");
		break;
	case OPT_VIRTIO_MMIO:
		if (!strcmp(v, "legacy"))
			cfg->virtio_mmio = VIRTIO_MMIO_MODE_LEGACY;
		else if (!strcmp(v, "modern"))
			cfg->virtio_mmio = VIRTIO_MMIO_MODE_MODERN;
		else
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--virtio-mmio '%s' is not a virtio-mmio interface. Use legacy or modern",
					     v);
		break;
	case OPT_QUEUES:
		if (parse_u64(v, 1, 16, &n))
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--queues '%s' is not a queue pair count. Use a number from 1 to 16",
					     v);
		cfg->queues = (unsigned int)n;
		break;
	default:
		break;
	}
	return 0;
}

static int apply_console_option(const struct opt_desc *o, const char *v,
				struct vm_config *cfg, struct tvm_error *err)
{
	switch (o->id) {
	case OPT_EXPECT:
		if (cfg->expect)
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--expect given twice ('%s' and '%s'). Give one; join alternatives with |",
					     cfg->expect, v);
		if (console_match_validate("--expect", v, err))
			return -1;
		cfg->expect = v;
		break;
	case OPT_FAIL_ON:
		if (cfg->nfail_on == CLI_MAX_FAIL_ON)
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "more than %u --fail-on patterns. Join some with |",
					     CLI_MAX_FAIL_ON);
		if (console_match_validate("--fail-on", v, err))
			return -1;
		cfg->fail_on[cfg->nfail_on++] = v;
		break;
	case OPT_NO_DEFAULT_FAIL_ON:
		cfg->no_default_fail_on = true;
		break;
	case OPT_EXIT_DEVICE:
		cfg->exit_device = true;
		break;
	default:
		break;
	}
	return 0;
}

/* Options that parse but need work this build does not have yet. */
static int check_supported(const struct vm_config *cfg, struct tvm_error *err)
{
	if (!cfg->tap_name && (cfg->mac_set || cfg->no_packed || cfg->no_event_idx ||
			       cfg->no_mrg_rxbuf || cfg->queues > 1 ||
			       cfg->vhost_irq_set || cfg->vhost != VHOST_AUTO || cfg->transport_pci ||
			       cfg->vhost_poll_set || cfg->worker_poll_set || cfg->worker_sched_set))
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "network options need a NIC. Add --tap NAME");
	if (cfg->transport_set && cfg->transport_pci && cfg->virtio_mmio == VIRTIO_MMIO_MODE_LEGACY)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--virtio-mmio legacy needs the NIC on virtio-mmio, but --transport pci puts it on virtio-pci. Drop one of them");
	/* Tier 2 has no vhost worker to poll: say so rather than ignore it. */
	if (cfg->vhost_poll_set && cfg->vhost == VHOST_OFF)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--vhost-poll-us tunes vhost-net, which --vhost off turns off. Drop one of them");
	if (cfg->worker_poll_set && cfg->vhost == VHOST_ON)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--worker-poll-us tunes tinyvmm's own worker (Tier 2), which --vhost on replaces. Drop one of them");
	return 0;
}

/*
 * A kernel, or firmware in flash (--bios) that loads what it likes. As in
 * QEMU, the kernel's companions (initrd, command line) need a kernel:
 * tinyvmm has no fw_cfg to hand them to firmware.
 */
static int check_boot_source(const struct vm_config *cfg, const struct board *board,
			     bool cmdline_given, struct tvm_error *err)
{
	if (!cfg->bios_path && !cfg->kernel_path)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "no kernel given. Pass --kernel FILE (an arm64 Image, vmlinuz, ELF or raw binary) or --bios FIRMWARE");
	if (!cfg->bios_path)
		return 0;
	if (!board->flash[0].size)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--bios needs a board with flash; --machine %s has none. Add --machine virt",
				     board->name);
	if (cfg->kernel_path || cfg->initrd_path || cmdline_given)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--%s cannot go with --bios: tinyvmm has no fw_cfg to hand it to the firmware. Let the firmware load the kernel (e.g. over TFTP), or drop --bios",
				     cfg->kernel_path ? "kernel" : cfg->initrd_path ? "initrd" : "cmdline");
	return 0;
}

static int apply_option(const struct opt_desc *o, const char *v,
			struct vm_config *cfg, enum cli_action *action,
			struct tvm_error *err)
{
	uint64_t n;

	switch (o->id) {
	case OPT_KERNEL:	cfg->kernel_path = v; break;
	case OPT_BIOS:		cfg->bios_path = v; break;
	case OPT_INITRD:	cfg->initrd_path = v; break;
	case OPT_CMDLINE:	cfg->cmdline = v; break;
	case OPT_DUMP_DTB:	cfg->dump_dtb_path = v; break;
	case OPT_CONSOLE_LOG:	cfg->console_log_path = v; break;
	case OPT_REPORT_JSON:	cfg->report_json_path = v; break;
	case OPT_USER:		cfg->run_as_user = v; break;
	case OPT_QUIET:		cfg->quiet = true; break;
	case OPT_NO_PMU:	cfg->cpu.no_pmu = true; break;
	case OPT_NO_PAUTH:	cfg->cpu.no_pauth = true; break;
	case OPT_NO_SVE:	cfg->cpu.no_sve = true; break;
	case OPT_HELP:		*action = CLI_HELP; break;
	case OPT_VERSION:	*action = CLI_VERSION; break;
	case OPT_MACHINE:
		if (!board_by_name(v))
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--machine '%s' is not a board. Use tinyvmm or virt", v);
		cfg->machine = !strcmp(v, "virt") ? BOARD_VIRT : BOARD_TINYVMM;
		break;
	case OPT_CPUS:
		if (parse_u64(v, 1, CLI_MAX_CPUS, &n))
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--cpus '%s' is not a vCPU count. Use a number from 1 to %u",
					     v, CLI_MAX_CPUS);
		cfg->cpus = (unsigned int)n;
		break;
	case OPT_MEM:
		/* 16 MiB: below that not even a tiny kernel plus DTB fits. */
		if (parse_u64(v, 16, 1ULL << 24, &n))
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--mem '%s' is not a RAM size. Give MiB as a number of at least 16, e.g. --mem 512",
					     v);
		cfg->mem_mib = n;
		break;
	case OPT_SECCOMP:
		if (!strcmp(v, "on"))
			cfg->seccomp = SECCOMP_MODE_ON;
		else if (!strcmp(v, "log"))
			cfg->seccomp = SECCOMP_MODE_LOG;
		else if (!strcmp(v, "off"))
			cfg->seccomp = SECCOMP_MODE_OFF;
		else
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--seccomp '%s' is not a mode. Use on, log or off", v);
		break;
	case OPT_GIC:
		if (parse_gic(v, &cfg->gic))
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--gic '%s' is not a GIC version. Use auto, v2 or v3", v);
		break;
	case OPT_TIMEOUT:
		if (parse_u64(v, 1, 1000000000, &n))
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--timeout '%s' is not a number of seconds. Use a whole number of at least 1",
					     v);
		cfg->timeout_s = (unsigned int)n;
		break;
	case OPT_ON_RESET:
		if (strcmp(v, "exit") && strcmp(v, "reboot"))
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--on-reset '%s' is not an action. Use exit or reboot", v);
		cfg->reboot_on_reset = !strcmp(v, "reboot");
		break;
	case OPT_EXPECT:
	case OPT_FAIL_ON:
	case OPT_NO_DEFAULT_FAIL_ON:
	case OPT_EXIT_DEVICE:
		return apply_console_option(o, v, cfg, err);
	default:
		return apply_net_option(o, v, cfg, err);
	}
	return 0;
}

int cli_parse(int argc, char *const argv[], struct vm_config *cfg,
	      enum cli_action *action, struct tvm_error *err)
{
	const struct board *board;
	bool cmdline_given = false;

	*action = CLI_RUN;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		const struct opt_desc *o;
		size_t len;

		if (strncmp(arg, "--", 2) || !arg[2])
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "unexpected argument '%s'. Options start with --; see tinyvmm --help",
					     arg);
		eq = strchr(arg + 2, '=');
		len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		o = find_option(arg + 2, len);
		if (!o)
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "unknown option '%.*s'. See tinyvmm --help for the options",
					     (int)(len + 2), arg);
		if (o->takes_value) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
						     "--%s needs a value. See tinyvmm --help", o->name);
		} else if (eq) {
			return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
					     "--%s takes no value. Write just --%s", o->name, o->name);
		}
		if (apply_option(o, value, cfg, action, err))
			return -1;
		cmdline_given |= o->id == OPT_CMDLINE;
	}
	if (*action != CLI_RUN)
		return 0;
	board = board_get(cfg->machine);
	if (check_boot_source(cfg, board, cmdline_given, err) || check_supported(cfg, err))
		return -1;
	if (!cmdline_given)
		cfg->cmdline = cfg->bios_path ? NULL : board->default_cmdline;
	/*
	 * auto: multi-queue needs a vector per queue, which only virtio-pci
	 * has; one pair stays on virtio-mmio, which every guest (and
	 * bare-metal OSes with only an mmio driver) can drive. A board copied
	 * from QEMU keeps the NIC where -device virtio-net-device puts it, and
	 * asking for legacy virtio-mmio asks for virtio-mmio: multi-queue stays there.
	 */
	if (!cfg->transport_set)
		cfg->transport_pci = cfg->tap_name && cfg->queues > 1 &&
				     board->multiqueue_prefers_pci &&
				     cfg->virtio_mmio != VIRTIO_MMIO_MODE_LEGACY;
	return 0;
}
