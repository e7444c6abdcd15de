// SPDX-License-Identifier: MIT
/* Command line parsing: cli_defaults and cli_parse. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <string.h>

#include "vmm/cli.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct vm_config cfg;
static enum cli_action action;
static struct tvm_error err;

static int parse(int argc, char *const argv[])
{
	cli_defaults(&cfg);
	memset(&err, 0, sizeof(err));
	action = (enum cli_action)-1;
	return cli_parse(argc, argv, &cfg, &action, &err);
}

static void expect_ok(int argc, char *const argv[])
{
	cr_assert_eq(parse(argc, argv), 0, "parse failed: %s", err.msg);
}

static void expect_usage_error(int argc, char *const argv[], const char *needle)
{
	cr_assert_eq(parse(argc, argv), -1, "parse succeeded, want error with '%s'", needle);
	cr_assert_eq(err.code, TVM_EXIT_USAGE, "code %d (%s)", err.code, err.msg);
	cr_assert_eq(err.kind, TVM_ERR_INPUT, "kind %d (%s)", err.kind, err.msg);
	cr_assert_eq(err.errnum, 0, "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

Test(cli, defaults)
{
	memset(&cfg, 0x5a, sizeof(cfg));
	cli_defaults(&cfg);
	cr_assert_eq(cfg.cpus, 1);
	cr_assert_eq(cfg.mem_mib, 512);
	cr_assert_eq(cfg.gic, GIC_AUTO);
	cr_assert_str_eq(cfg.cmdline, "console=ttyS0 earlycon");
	cr_assert_null(cfg.kernel_path);
	cr_assert_null(cfg.initrd_path);
	cr_assert_null(cfg.dump_dtb_path);
	cr_assert_null(cfg.console_log_path);
	cr_assert_eq(cfg.timeout_s, 0);
	cr_assert_not(cfg.quiet);
}

Test(cli, kernel_only_keeps_defaults)
{
	char *argv[] = { "tinyvmm", "--kernel", "Image" };

	expect_ok(ARGC(argv), argv);
	cr_assert_eq(action, CLI_RUN);
	cr_assert_str_eq(cfg.kernel_path, "Image");
	cr_assert_eq(cfg.cpus, 1);
	cr_assert_eq(cfg.mem_mib, 512);
	cr_assert_eq(cfg.gic, GIC_AUTO);
	cr_assert_str_eq(cfg.cmdline, CLI_DEFAULT_CMDLINE);
	cr_assert_null(cfg.initrd_path);
	cr_assert_eq(cfg.timeout_s, 0);
	cr_assert_not(cfg.quiet);
}

static void check_all_set(void)
{
	cr_assert_eq(action, CLI_RUN);
	cr_assert_str_eq(cfg.kernel_path, "/k/Image.gz");
	cr_assert_str_eq(cfg.initrd_path, "/k/initrd.cpio");
	cr_assert_str_eq(cfg.cmdline, "console=ttyS0 root=/dev/vda rw");
	cr_assert_eq(cfg.cpus, 4);
	cr_assert_eq(cfg.mem_mib, 1024);
	cr_assert_eq(cfg.gic, GIC_V2);
	cr_assert_str_eq(cfg.dump_dtb_path, "out.dtb");
	cr_assert_str_eq(cfg.console_log_path, "console.log");
	cr_assert_eq(cfg.timeout_s, 30);
	cr_assert(cfg.quiet);
}

Test(cli, every_option_separate_value)
{
	char *argv[] = {
		"tinyvmm", "--kernel", "/k/Image.gz", "--initrd", "/k/initrd.cpio",
		"--cmdline", "console=ttyS0 root=/dev/vda rw", "--cpus", "4",
		"--mem", "1024", "--gic", "v2", "--dump-dtb", "out.dtb",
		"--console-log", "console.log", "--timeout", "30", "--quiet",
	};

	expect_ok(ARGC(argv), argv);
	check_all_set();
}

Test(cli, every_option_equals_value)
{
	char *argv[] = {
		"tinyvmm", "--kernel=/k/Image.gz", "--initrd=/k/initrd.cpio",
		"--cmdline=console=ttyS0 root=/dev/vda rw", "--cpus=4", "--mem=1024",
		"--gic=v2", "--dump-dtb=out.dtb", "--console-log=console.log",
		"--timeout=30", "--quiet",
	};

	expect_ok(ARGC(argv), argv);
	check_all_set();
}

Test(cli, append_alias)
{
	char *a1[] = { "tinyvmm", "--kernel", "k", "--append", "quiet loglevel=0" };
	char *a2[] = { "tinyvmm", "--append=a=b c", "--kernel=k" };

	expect_ok(ARGC(a1), a1);
	cr_assert_str_eq(cfg.cmdline, "quiet loglevel=0");
	expect_ok(ARGC(a2), a2);
	cr_assert_str_eq(cfg.cmdline, "a=b c");
}

Test(cli, empty_cmdline_allowed)
{
	char *argv[] = { "tinyvmm", "--kernel", "k", "--cmdline", "" };

	expect_ok(ARGC(argv), argv);
	cr_assert_str_eq(cfg.cmdline, "");
}

Test(cli, later_option_wins)
{
	char *argv[] = { "tinyvmm", "--kernel", "a", "--cpus", "2", "--kernel=b", "--cpus=3" };

	expect_ok(ARGC(argv), argv);
	cr_assert_str_eq(cfg.kernel_path, "b");
	cr_assert_eq(cfg.cpus, 3);
}

Test(cli, gic_values)
{
	static const struct { const char *v; enum gic_request g; } cases[] = {
		{ "auto", GIC_AUTO }, { "v2", GIC_V2 }, { "2", GIC_V2 },
		{ "v3", GIC_V3 }, { "3", GIC_V3 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "tinyvmm", "--kernel", "k", "--gic", (char *)cases[i].v };

		expect_ok(ARGC(argv), argv);
		cr_assert_eq(cfg.gic, cases[i].g, "--gic %s", cases[i].v);
	}
}

Test(cli, numeric_bounds_accepted)
{
	char *a1[] = { "tinyvmm", "--kernel", "k", "--cpus", "512", "--mem", "16",
		       "--timeout", "1" };
	char *a2[] = { "tinyvmm", "--kernel", "k", "--mem", "16777216",
		       "--timeout", "1000000000" };

	expect_ok(ARGC(a1), a1);
	cr_assert_eq(cfg.cpus, 512);
	cr_assert_eq(cfg.mem_mib, 16);
	cr_assert_eq(cfg.timeout_s, 1);
	expect_ok(ARGC(a2), a2);
	cr_assert_eq(cfg.mem_mib, 16777216);
	cr_assert_eq(cfg.timeout_s, 1000000000);
}

Test(cli, help_and_version_need_no_kernel)
{
	char *h[] = { "tinyvmm", "--help" };
	char *v[] = { "tinyvmm", "--version" };
	char *hk[] = { "tinyvmm", "--kernel", "k", "--help" };

	expect_ok(ARGC(h), h);
	cr_assert_eq(action, CLI_HELP);
	expect_ok(ARGC(v), v);
	cr_assert_eq(action, CLI_VERSION);
	expect_ok(ARGC(hk), hk);
	cr_assert_eq(action, CLI_HELP);
}

Test(cli, help_then_bad_option_is_still_an_error)
{
	char *argv[] = { "tinyvmm", "--help", "--bogus" };

	expect_usage_error(ARGC(argv), argv, "--bogus");
}

Test(cli, missing_kernel)
{
	char *none[] = { "tinyvmm" };
	char *other[] = { "tinyvmm", "--cpus", "2" };

	expect_usage_error(ARGC(none), none, "--kernel");
	expect_usage_error(ARGC(other), other, "--kernel");
}

Test(cli, unknown_option)
{
	char *a1[] = { "tinyvmm", "--kernel", "k", "--frobnicate" };
	char *a2[] = { "tinyvmm", "--kernel", "k", "--frob=1" };
	char *a3[] = { "tinyvmm", "--kern", "k" };
	char *a4[] = { "tinyvmm", "--kernelx", "k" };

	expect_usage_error(ARGC(a1), a1, "unknown option '--frobnicate'");
	/* The value is not part of the reported name. */
	expect_usage_error(ARGC(a2), a2, "unknown option '--frob'");
	expect_usage_error(ARGC(a3), a3, "'--kern'");
	expect_usage_error(ARGC(a4), a4, "'--kernelx'");
}

Test(cli, bad_cpus)
{
	static const char *bad[] = { "0", "abc", "-1", "513", "", "2x", "+2", "99999999999999999999" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "tinyvmm", "--kernel", "k", "--cpus", (char *)bad[i] };

		expect_usage_error(ARGC(argv), argv, "--cpus");
	}
}

Test(cli, bad_mem)
{
	static const char *bad[] = { "0", "15", "abc", "-512", "512M", "16777217", "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "tinyvmm", "--kernel", "k", "--mem", (char *)bad[i] };

		expect_usage_error(ARGC(argv), argv, "--mem");
	}
}

Test(cli, bad_gic)
{
	static const char *bad[] = { "v4", "4", "V3", "gicv3", "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "tinyvmm", "--kernel", "k", "--gic", (char *)bad[i] };

		expect_usage_error(ARGC(argv), argv, "--gic");
	}
}

Test(cli, bad_timeout)
{
	static const char *bad[] = { "0", "-5", "1.5", "ten", "1000000001" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "tinyvmm", "--kernel", "k", "--timeout", (char *)bad[i] };

		expect_usage_error(ARGC(argv), argv, "--timeout");
	}
}

Test(cli, missing_value_at_end)
{
	static const char *opts[] = {
		"--kernel", "--initrd", "--cmdline", "--append", "--cpus", "--mem",
		"--gic", "--dump-dtb", "--console-log", "--timeout",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char *argv[] = { "tinyvmm", "--kernel", "k", (char *)opts[i] };

		expect_usage_error(ARGC(argv), argv, "needs a value");
		cr_assert_not_null(strstr(err.msg, opts[i] + 2), "%s", err.msg);
	}
}

Test(cli, value_given_to_flag)
{
	char *q[] = { "tinyvmm", "--kernel", "k", "--quiet=1" };
	char *h[] = { "tinyvmm", "--help=yes" };
	char *v[] = { "tinyvmm", "--version=" };

	expect_usage_error(ARGC(q), q, "--quiet takes no value");
	expect_usage_error(ARGC(h), h, "--help takes no value");
	expect_usage_error(ARGC(v), v, "--version takes no value");
}

Test(cli, bare_positional_argument)
{
	char *a1[] = { "tinyvmm", "--kernel", "k", "Image" };
	char *a2[] = { "tinyvmm", "Image" };
	char *a3[] = { "tinyvmm", "--kernel", "k", "-q" };
	char *a4[] = { "tinyvmm", "--kernel", "k", "--" };

	expect_usage_error(ARGC(a1), a1, "'Image'");
	expect_usage_error(ARGC(a2), a2, "unexpected argument");
	expect_usage_error(ARGC(a3), a3, "'-q'");
	expect_usage_error(ARGC(a4), a4, "'--'");
}

/*
 * Network options. The brief for these tests said --tap gives "not
 * supported"; the CLI now has virtio-net (--tap works) and reports
 * "not supported" only for --vhost on and --queues > 1.
 */
Test(cli, network_defaults)
{
	char *argv[] = { "tinyvmm", "--kernel", "k" };

	expect_ok(ARGC(argv), argv);
	cr_assert_null(cfg.tap_name);
	cr_assert_not(cfg.mac_set);
	cr_assert_not(cfg.no_packed);
	cr_assert_eq(cfg.vhost, VHOST_AUTO);
	cr_assert_eq(cfg.queues, 1);
}

Test(cli, network_options_both_forms)
{
	char *a1[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--mac", "02:00:00:aa:bb:cc",
		       "--vhost", "off", "--queues", "1", "--no-packed" };
	char *a2[] = { "tinyvmm", "--kernel=k", "--tap=tap0", "--mac=02:00:00:aa:bb:cc",
		       "--vhost=off", "--queues=1", "--no-packed" };
	static const uint8_t mac[6] = { 0x02, 0, 0, 0xaa, 0xbb, 0xcc };

	expect_ok(ARGC(a1), a1);
	cr_assert_str_eq(cfg.tap_name, "tap0");
	cr_assert(cfg.mac_set);
	cr_assert_arr_eq(cfg.mac, mac, 6);
	cr_assert_eq(cfg.vhost, VHOST_OFF);
	cr_assert_eq(cfg.queues, 1);
	cr_assert(cfg.no_packed);
	expect_ok(ARGC(a2), a2);
	cr_assert_str_eq(cfg.tap_name, "tap0");
	cr_assert_arr_eq(cfg.mac, mac, 6);
	cr_assert_eq(cfg.vhost, VHOST_OFF);
	cr_assert(cfg.no_packed);
}

Test(cli, multi_queue)
{
	char *q2[] = { "tinyvmm", "--kernel", "k", "--tap=tap0", "--queues=2" };
	char *q16[] = { "tinyvmm", "--kernel", "k", "--tap=tap0", "--queues", "16" };
	char *notap[] = { "tinyvmm", "--kernel", "k", "--queues", "2" };

	expect_ok(ARGC(q2), q2);
	cr_assert_eq(cfg.queues, 2);
	expect_ok(ARGC(q16), q16);
	cr_assert_eq(cfg.queues, 16);
	expect_usage_error(ARGC(notap), notap, "--tap");
}

Test(cli, vhost_modes_and_interrupt_strategy)
{
	char *von[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost", "on" };
	char *relay[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost-irq=relay" };
	char *direct[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost-irq", "relay",
			   "--vhost-irq=direct" };
	char *bad[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost-irq", "msi" };
	char *notap[] = { "tinyvmm", "--kernel", "k", "--vhost", "off" };

	expect_ok(ARGC(von), von);
	cr_assert_eq(cfg.vhost, VHOST_ON);
	cr_assert_not(cfg.vhost_irq_relay, "direct irqfd is the default");
	expect_ok(ARGC(relay), relay);
	cr_assert(cfg.vhost_irq_relay);
	expect_ok(ARGC(direct), direct);
	cr_assert_not(cfg.vhost_irq_relay, "the last one given counts");
	expect_usage_error(ARGC(bad), bad, "--vhost-irq 'msi' is not a mode. Use direct or relay");
	expect_usage_error(ARGC(notap), notap, "--tap");
}

Test(cli, vhost_poll_us)
{
	char *p50[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost-poll-us", "50" };
	char *pmax[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost-poll-us=1000" };
	char *p0[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost-poll-us", "0" };
	char *big[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost-poll-us", "1001" };
	char *neg[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost-poll-us", "-5" };
	char *word[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost-poll-us", "50us" };
	char *off[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost", "off",
			"--vhost-poll-us", "50" };
	char *notap[] = { "tinyvmm", "--kernel", "k", "--vhost-poll-us", "50" };
	char *none[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0" };

	expect_ok(ARGC(none), none);
	cr_assert_eq(cfg.vhost_poll_us, 0, "no polling unless asked");
	expect_ok(ARGC(p50), p50);
	cr_assert_eq(cfg.vhost_poll_us, 50);
	expect_ok(ARGC(pmax), pmax);
	cr_assert_eq(cfg.vhost_poll_us, 1000);
	expect_ok(ARGC(p0), p0);
	cr_assert_eq(cfg.vhost_poll_us, 0);
	expect_usage_error(ARGC(big), big, "0 to 1000");
	expect_usage_error(ARGC(neg), neg, "--vhost-poll-us");
	expect_usage_error(ARGC(word), word, "--vhost-poll-us");
	expect_usage_error(ARGC(off), off, "--vhost off");
	expect_usage_error(ARGC(notap), notap, "--tap");
}

Test(cli, worker_poll_us)
{
	char *p50[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--worker-poll-us", "50" };
	char *off[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost", "off",
			"--worker-poll-us=1000" };
	char *big[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--worker-poll-us", "1001" };
	char *word[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--worker-poll-us", "5ms" };
	char *on[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost", "on",
		       "--worker-poll-us", "50" };
	char *notap[] = { "tinyvmm", "--kernel", "k", "--worker-poll-us", "50" };
	char *none[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0" };

	expect_ok(ARGC(none), none);
	cr_assert_eq(cfg.worker_poll_us, 0, "no polling unless asked");
	expect_ok(ARGC(p50), p50);
	cr_assert_eq(cfg.worker_poll_us, 50, "auto: applies if vhost-net is not there");
	expect_ok(ARGC(off), off);
	cr_assert_eq(cfg.worker_poll_us, 1000);
	expect_usage_error(ARGC(big), big, "0 to 1000");
	expect_usage_error(ARGC(word), word, "--worker-poll-us");
	expect_usage_error(ARGC(on), on, "--vhost on");
	expect_usage_error(ARGC(notap), notap, "--tap");
}

Test(cli, worker_sched)
{
	char *batch[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--worker-sched", "batch" };
	char *normal[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost", "off",
			   "--worker-sched", "batch", "--worker-sched=normal" };
	char *fifo[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--worker-sched", "fifo" };
	char *on[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--vhost", "on",
		       "--worker-sched", "batch" };
	char *notap[] = { "tinyvmm", "--kernel", "k", "--worker-sched", "batch" };
	char *none[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0" };

	expect_ok(ARGC(none), none);
	cr_assert_not(cfg.worker_batch, "normal unless asked");
	expect_ok(ARGC(batch), batch);
	cr_assert(cfg.worker_batch, "auto: Tier 2's workers or vhost-net's");
	expect_ok(ARGC(normal), normal);
	cr_assert_not(cfg.worker_batch, "the last one given counts");
	expect_usage_error(ARGC(fifo), fifo, "--worker-sched 'fifo' is not a policy. Use normal or batch");
	expect_ok(ARGC(on), on);
	cr_assert(cfg.worker_batch, "vhost-net's workers too");
	expect_usage_error(ARGC(notap), notap, "--tap");
}

Test(cli, transport)
{
	char *pci[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--transport", "pci" };
	char *mmio[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--transport=mmio" };
	char *bad[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--transport", "ccw" };
	char *notap[] = { "tinyvmm", "--kernel", "k", "--transport", "pci" };

	expect_ok(ARGC(mmio), mmio);
	cr_assert_not(cfg.transport_pci, "virtio-mmio is the default");
	expect_ok(ARGC(pci), pci);
	cr_assert(cfg.transport_pci);
	expect_usage_error(ARGC(bad), bad, "--transport");
	expect_usage_error(ARGC(notap), notap, "--tap");
}

Test(cli, transport_auto)
{
	char *one[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0" };
	char *mq[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--queues", "2" };
	char *mq_auto[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--queues", "4", "--transport=auto" };
	char *mq_mmio[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--queues", "2", "--transport", "mmio" };
	char *pci_auto[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--transport", "pci", "--transport", "auto" };
	char *notap[] = { "tinyvmm", "--kernel", "k", "--transport", "auto" };

	expect_ok(ARGC(one), one);
	cr_assert_not(cfg.transport_pci, "one queue pair: virtio-mmio");
	expect_ok(ARGC(mq), mq);
	cr_assert(cfg.transport_pci, "multi-queue: virtio-pci, a vector per queue");
	expect_ok(ARGC(mq_auto), mq_auto);
	cr_assert(cfg.transport_pci);
	expect_ok(ARGC(mq_mmio), mq_mmio);
	cr_assert_not(cfg.transport_pci, "an explicit mmio wins");
	expect_ok(ARGC(pci_auto), pci_auto);
	cr_assert_not(cfg.transport_pci, "the last --transport counts: auto, 1 pair");
	expect_ok(ARGC(notap), notap);
	cr_assert_not(cfg.transport_pci, "no NIC: no PCI");
}

Test(cli, virtio_mmio_mode)
{
	char *none[] = { "tinyvmm", "--kernel", "k", "--tap", "t" };
	char *legacy[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--virtio-mmio", "legacy" };
	char *modern[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--virtio-mmio=modern" };
	char *mq[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--queues", "2", "--virtio-mmio", "legacy" };
	char *bad[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--virtio-mmio", "v1" };
	char *pci[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--transport", "pci",
			"--virtio-mmio", "legacy" };

	expect_ok(ARGC(none), none);
	cr_assert_eq(cfg.virtio_mmio, VIRTIO_MMIO_MODE_AUTO, "the board decides");
	expect_ok(ARGC(legacy), legacy);
	cr_assert_eq(cfg.virtio_mmio, VIRTIO_MMIO_MODE_LEGACY);
	cr_assert_not(cfg.transport_pci);
	expect_ok(ARGC(modern), modern);
	cr_assert_eq(cfg.virtio_mmio, VIRTIO_MMIO_MODE_MODERN);
	expect_ok(ARGC(mq), mq);
	cr_assert_not(cfg.transport_pci, "legacy virtio-mmio keeps multi-queue on virtio-mmio");
	expect_usage_error(ARGC(bad), bad, "--virtio-mmio 'v1' is not a virtio-mmio interface. Use legacy or modern");
	expect_usage_error(ARGC(pci), pci, "--virtio-mmio legacy");
}

Test(cli, network_bad_values)
{
	char *vh[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--vhost", "maybe" };
	char *q0[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--queues", "0" };
	char *q17[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--queues", "17" };
	static const char *bad_mac[] = {
		"01:00:00:00:00:01",	/* multicast */
		"02:00:00:00:00",	/* short */
		"02:00:00:00:00:01:02",	/* long */
		"02:00:00:00:00:0g",
		"2:0:0:0:0:1",
		"",
	};

	expect_usage_error(ARGC(vh), vh, "--vhost");
	expect_usage_error(ARGC(q0), q0, "--queues");
	expect_usage_error(ARGC(q17), q17, "--queues");
	for (size_t i = 0; i < sizeof(bad_mac) / sizeof(bad_mac[0]); i++) {
		char *argv[] = { "tinyvmm", "--kernel", "k", "--tap", "t", "--mac",
				 (char *)bad_mac[i] };

		expect_usage_error(ARGC(argv), argv, "--mac");
	}
}

Test(cli, network_options_need_tap)
{
	char *mac[] = { "tinyvmm", "--kernel", "k", "--mac", "02:00:00:00:00:01" };
	char *np[] = { "tinyvmm", "--kernel", "k", "--no-packed" };
	char *np_eq[] = { "tinyvmm", "--kernel", "k", "--no-packed=1" };

	expect_usage_error(ARGC(mac), mac, "--tap");
	expect_usage_error(ARGC(np), np, "--tap");
	expect_usage_error(ARGC(np_eq), np_eq, "--no-packed takes no value");
}

/* The seed's A/B pairs: event index and mergeable RX buffers off (issue 27). */
Test(cli, feature_offer_options)
{
	char *both[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--no-event-idx",
			 "--no-mrg-rxbuf" };
	char *none[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0" };
	char *ei_notap[] = { "tinyvmm", "--kernel", "k", "--no-event-idx" };
	char *mrg_notap[] = { "tinyvmm", "--kernel", "k", "--no-mrg-rxbuf" };
	char *ei_val[] = { "tinyvmm", "--kernel", "k", "--tap", "tap0", "--no-event-idx=0" };

	expect_ok(ARGC(both), both);
	cr_assert(cfg.no_event_idx);
	cr_assert(cfg.no_mrg_rxbuf);
	cr_assert_not(cfg.no_packed, "one offer option leaves the others alone");
	expect_ok(ARGC(none), none);
	cr_assert_not(cfg.no_event_idx);
	cr_assert_not(cfg.no_mrg_rxbuf);
	expect_usage_error(ARGC(ei_notap), ei_notap, "network options need a NIC. Add --tap NAME");
	expect_usage_error(ARGC(mrg_notap), mrg_notap, "network options need a NIC. Add --tap NAME");
	expect_usage_error(ARGC(ei_val), ei_val, "--no-event-idx takes no value");
}

Test(cli, tap_without_value)
{
	char *argv[] = { "tinyvmm", "--kernel", "k", "--tap" };

	expect_usage_error(ARGC(argv), argv, "--tap needs a value");
}

Test(cli, error_stops_at_first_problem)
{
	char *argv[] = { "tinyvmm", "--cpus", "0", "--mem", "1" };

	expect_usage_error(ARGC(argv), argv, "--cpus '0'");
}

Test(cli, value_starting_with_dashes_is_taken_as_value)
{
	char *argv[] = { "tinyvmm", "--kernel", "k", "--cmdline", "--foo" };

	expect_ok(ARGC(argv), argv);
	cr_assert_str_eq(cfg.cmdline, "--foo");
}

Test(cli, help_text_mentions_options, .init = cr_redirect_stdout)
{
	cli_print_help();
	fflush(stdout);
	cr_assert_stdout_neq_str("");
}

Test(cli, expect_fail_on_and_exit_device)
{
	char *argv[] = { "tinyvmm", "--kernel", "k", "--expect", "login: ", "--fail-on", "ERROR",
			 "--fail-on=^oops$", "--no-default-fail-on", "--exit-device" };

	expect_ok(ARGC(argv), argv);
	cr_assert_str_eq(cfg.expect, "login: ");
	cr_assert_eq(cfg.nfail_on, 2);
	cr_assert_str_eq(cfg.fail_on[0], "ERROR");
	cr_assert_str_eq(cfg.fail_on[1], "^oops$");
	cr_assert(cfg.no_default_fail_on);
	cr_assert(cfg.exit_device);
}

Test(cli, console_options_default_off)
{
	char *argv[] = { "tinyvmm", "--kernel", "k" };

	expect_ok(ARGC(argv), argv);
	cr_assert_null(cfg.expect);
	cr_assert_eq(cfg.nfail_on, 0);
	cr_assert_not(cfg.no_default_fail_on);
	cr_assert_not(cfg.exit_device);
}

Test(cli, invalid_regex_names_the_option)
{
	char *bad_expect[] = { "tinyvmm", "--kernel", "k", "--expect", "(unclosed" };
	char *bad_fail[] = { "tinyvmm", "--kernel", "k", "--fail-on", "a[" };

	expect_usage_error(ARGC(bad_expect), bad_expect,
			   "--expect '(unclosed': invalid regular expression: ");
	cr_assert_not_null(strstr(err.msg, "grep -E"), "no fix in '%s'", err.msg);
	expect_usage_error(ARGC(bad_fail), bad_fail, "--fail-on 'a[': invalid regular expression: ");
}

Test(cli, pattern_matching_nothing_is_refused)
{
	char *empty[] = { "tinyvmm", "--kernel", "k", "--expect", "" };
	char *star[] = { "tinyvmm", "--kernel", "k", "--fail-on", "x*" };

	expect_usage_error(ARGC(empty), empty, "--expect '' matches the empty string");
	expect_usage_error(ARGC(star), star, "--fail-on 'x*' matches the empty string");
}

Test(cli, expect_twice_and_too_many_fail_on)
{
	char *twice[] = { "tinyvmm", "--kernel", "k", "--expect", "a", "--expect", "b" };
	char *many[2 + 2 * (CLI_MAX_FAIL_ON + 1)];
	int n = 0;

	expect_usage_error(ARGC(twice), twice, "--expect given twice");
	many[n++] = "tinyvmm";
	for (int i = 0; i <= CLI_MAX_FAIL_ON; i++) {
		many[n++] = "--fail-on";
		many[n++] = "x";
	}
	many[n++] = "--kernel";
	expect_usage_error(n, many, "more than 12 --fail-on patterns");
}

Test(cli, exit_device_takes_no_value)
{
	char *argv[] = { "tinyvmm", "--kernel", "k", "--exit-device=1" };

	expect_usage_error(ARGC(argv), argv, "--exit-device takes no value");
}

Test(cli, cpu_features_on_by_default_each_can_be_turned_off)
{
	char *none[] = { "tinyvmm", "--kernel", "k" };
	char *pmu[] = { "tinyvmm", "--kernel", "k", "--no-pmu" };
	char *all[] = { "tinyvmm", "--kernel", "k", "--no-sve", "--no-pauth", "--no-pmu" };

	expect_ok(ARGC(none), none);
	cr_assert_not(cfg.cpu.no_pmu || cfg.cpu.no_pauth || cfg.cpu.no_sve);
	expect_ok(ARGC(pmu), pmu);
	cr_assert(cfg.cpu.no_pmu);
	cr_assert_not(cfg.cpu.no_pauth || cfg.cpu.no_sve);
	expect_ok(ARGC(all), all);
	cr_assert(cfg.cpu.no_pmu && cfg.cpu.no_pauth && cfg.cpu.no_sve);
}

Test(cli, cpu_feature_switches_take_no_value)
{
	char *argv[] = { "tinyvmm", "--kernel", "k", "--no-sve=1" };

	expect_usage_error(ARGC(argv), argv, "--no-sve takes no value");
}

Test(cli, on_reset_defaults_to_exit)
{
	char *argv[] = { "tinyvmm", "--kernel", "k" };
	char *exit_argv[] = { "tinyvmm", "--kernel", "k", "--on-reset", "reboot",
			      "--on-reset=exit" };

	expect_ok(ARGC(argv), argv);
	cr_assert_not(cfg.reboot_on_reset);
	/* The last one given wins, like every other option. */
	expect_ok(ARGC(exit_argv), exit_argv);
	cr_assert_not(cfg.reboot_on_reset);
}

Test(cli, on_reset_reboot)
{
	char *argv[] = { "tinyvmm", "--kernel", "k", "--on-reset", "reboot" };

	expect_ok(ARGC(argv), argv);
	cr_assert(cfg.reboot_on_reset);
}

Test(cli, bad_on_reset)
{
	static const char *bad[] = { "", "Reboot", "restart", "exit ", "3" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "tinyvmm", "--kernel", "k", "--on-reset", (char *)bad[i] };

		expect_usage_error(ARGC(argv), argv, "--on-reset");
		cr_assert_not_null(strstr(err.msg, "Use exit or reboot"), "%s", err.msg);
	}
}

Test(cli, machine_default_is_tinyvmm)
{
	char *argv[] = { "tinyvmm", "--kernel", "k" };

	expect_ok(ARGC(argv), argv);
	cr_assert_eq(cfg.machine, BOARD_TINYVMM);
	cr_assert_str_eq(board_get(BOARD_TINYVMM)->default_cmdline, CLI_DEFAULT_CMDLINE);
}

/* virt: QEMU's board, its console on ttyAMA0 unless the user says otherwise. */
Test(cli, machine_virt_and_its_command_line)
{
	char *virt[] = { "tinyvmm", "--machine", "virt", "--kernel", "k" };
	char *own[] = { "tinyvmm", "--cmdline", "console=hvc0", "--machine=virt", "--kernel", "k" };
	char *back[] = { "tinyvmm", "--machine", "virt", "--machine", "tinyvmm", "--kernel", "k" };

	expect_ok(ARGC(virt), virt);
	cr_assert_eq(cfg.machine, BOARD_VIRT);
	cr_assert_str_eq(cfg.cmdline, "console=ttyAMA0 earlycon");
	expect_ok(ARGC(own), own);
	cr_assert_str_eq(cfg.cmdline, "console=hvc0", "a given --cmdline wins, before or after");
	expect_ok(ARGC(back), back);
	cr_assert_eq(cfg.machine, BOARD_TINYVMM);
	cr_assert_str_eq(cfg.cmdline, CLI_DEFAULT_CMDLINE);
}

Test(cli, bad_machine)
{
	static const char *bad[] = { "virt-7.2", "VIRT", "q35", "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "tinyvmm", "--kernel", "k", "--machine", (char *)bad[i] };

		expect_usage_error(ARGC(argv), argv, "--machine");
	}
}

/* On virt the NIC stays where -device virtio-net-device puts it, whatever --queues is. */
Test(cli, machine_virt_transport_auto_stays_mmio)
{
	char *mq[] = { "tinyvmm", "--machine", "virt", "--kernel", "k", "--tap", "t", "--queues", "4" };
	char *pci[] = { "tinyvmm", "--machine", "virt", "--kernel", "k", "--tap", "t", "--queues", "4",
			"--transport", "pci" };

	expect_ok(ARGC(mq), mq);
	cr_assert_not(cfg.transport_pci);
	expect_ok(ARGC(pci), pci);
	cr_assert(cfg.transport_pci);
}

/* --bios: firmware instead of a kernel, on a board with flash (QEMU's -bios). */
Test(cli, bios_boots_firmware_without_a_kernel)
{
	char *argv[] = { "tinyvmm", "--machine", "virt", "--bios", "u-boot.bin" };

	expect_ok(ARGC(argv), argv);
	cr_assert_str_eq(cfg.bios_path, "u-boot.bin");
	cr_assert_null(cfg.kernel_path);
	cr_assert_null(cfg.cmdline, "no bootargs: the firmware chooses what to boot");
}

Test(cli, bios_refuses_kernel_initrd_cmdline_and_a_board_without_flash)
{
	char *kernel[] = { "tinyvmm", "--machine", "virt", "--bios", "f", "--kernel", "k" };
	char *initrd[] = { "tinyvmm", "--machine", "virt", "--bios", "f", "--initrd", "i" };
	char *cmdline[] = { "tinyvmm", "--machine", "virt", "--bios", "f", "--append", "x" };
	char *own_board[] = { "tinyvmm", "--bios", "f" };

	expect_usage_error(ARGC(kernel), kernel, "--kernel cannot go with --bios");
	expect_usage_error(ARGC(initrd), initrd, "--initrd cannot go with --bios");
	expect_usage_error(ARGC(cmdline), cmdline, "--cmdline cannot go with --bios");
	expect_usage_error(ARGC(own_board), own_board, "Add --machine virt");
}

Test(cli, neither_kernel_nor_bios)
{
	char *argv[] = { "tinyvmm", "--machine", "virt" };

	expect_usage_error(ARGC(argv), argv, "--bios FIRMWARE");
}
