// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>

#include "vmm/core/tier.h"

static struct tier_plan plan;

static struct host_caps arm64_full(void)
{
	return (struct host_caps){ .arch = "aarch64", .tap_exists = -1 };
}

static struct tier_request net(unsigned int queues, unsigned int cpus, enum vhost_mode v)
{
	return (struct tier_request){ .tap = "tap0", .queues = queues, .cpus = cpus, .vhost = v };
}

Test(tier, tier_1b_default)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(1, 1, VHOST_AUTO);

	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_1B);
	cr_assert_str_eq(plan.platform, "=== Platform: ARM64 host with KVM acceleration ===");
	cr_assert_str_eq(plan.network,
			 "=== Network: KVM with vhost-net acceleration (Tier 1B), 1 queue pair(s), TAP tap0 ===");
	cr_assert_eq(plan.nwarnings, 0);
	cr_assert_str_empty(plan.error);
}

Test(tier, tier_1a_multi_queue)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(4, 4, VHOST_AUTO);

	c.tap_exists = 1;
	c.tap_multi_queue = true;
	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_1A);
	cr_assert_str_eq(plan.network,
			 "=== Network: KVM with vhost-net acceleration and multi-queue (Tier 1A), 4 queue pair(s), TAP tap0 ===");
	cr_assert_eq(plan.nwarnings, 0);
}

Test(tier, vhost_off_is_tier_2_without_warning)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(2, 2, VHOST_OFF);

	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_2);
	cr_assert_str_eq(plan.network,
			 "=== Network: KVM with userspace virtio-net (Tier 2), 2 queue pair(s), TAP tap0 ===");
	cr_assert_eq(plan.nwarnings, 0, "the user asked for it: nothing to warn about");
}

Test(tier, vhost_module_missing_falls_back_with_fix)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(1, 1, VHOST_AUTO);

	c.vhost_errno = ENOENT;
	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_2);
	cr_assert_eq(plan.nwarnings, 1);
	cr_assert_str_eq(plan.warnings[0],
			 "vhost-net is not available: /dev/vhost-net does not exist (module not loaded). Load it: modprobe vhost_net; using userspace virtio-net (Tier 2)");
}

Test(tier, vhost_permission_denied_names_udev_rule)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(1, 1, VHOST_AUTO);

	c.vhost_errno = EACCES;
	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_2);
	cr_assert_not_null(strstr(plan.warnings[0], "permission denied"));
	cr_assert_not_null(strstr(plan.warnings[0], "udev rule"));
}

Test(tier, vhost_on_without_vhost_is_an_error)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(1, 1, VHOST_ON);

	c.vhost_errno = ENOENT;
	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_NONE);
	cr_assert_not_null(strstr(plan.error, "--vhost on"));
	cr_assert_not_null(strstr(plan.error, "modprobe vhost_net"));
}

Test(tier, queues_above_cpus_warns)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(4, 2, VHOST_AUTO);

	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_1A);
	cr_assert_eq(plan.nwarnings, 1);
	cr_assert_str_eq(plan.warnings[0],
			 "--queues 4 is more than --cpus 2: queue pairs beyond the vCPU count add interrupts without adding parallelism. Use --queues 2 or raise --cpus");
}

Test(tier, two_warnings_together)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(4, 1, VHOST_AUTO);

	c.vhost_errno = ENOENT;
	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_2);
	cr_assert_eq(plan.nwarnings, 2);
}

Test(tier, single_queue_tap_with_queues_is_an_error)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(2, 2, VHOST_AUTO);

	c.tap_exists = 1;
	c.tap_multi_queue = false;
	tier_plan(&c, &r, &plan);
	cr_assert_not_null(strstr(plan.error, "tinyvmm tap create tap0 --queues 2"));
}

Test(tier, missing_tun)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(1, 1, VHOST_AUTO);

	c.tun_errno = ENOENT;
	tier_plan(&c, &r, &plan);
	cr_assert_not_null(strstr(plan.error, "modprobe tun"));
}

Test(tier, x86_is_tier_3_pointing_at_emuhost)
{
	struct host_caps c = { .arch = "x86_64" };
	struct tier_request r = net(1, 1, VHOST_AUTO);

	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_3);
	cr_assert_str_eq(plan.platform, "=== Platform: x86_64 host, no KVM for ARM64 guests (Tier 3) ===");
	cr_assert_not_null(strstr(plan.error, "scripts/emuhost"));
}

Test(tier, arm64_without_kvm_access)
{
	struct host_caps c = arm64_full();
	struct tier_request r = { .cpus = 1, .queues = 1 };

	c.kvm_errno = EACCES;
	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_3);
	cr_assert_str_eq(plan.platform, "=== Platform: ARM64 host without usable KVM (Tier 3) ===");
	cr_assert_not_null(strstr(plan.error, "kvm group"));
	c.kvm_errno = ENOENT;
	tier_plan(&c, &r, &plan);
	cr_assert_not_null(strstr(plan.error, "CONFIG_KVM"));
}

Test(tier, arm64_with_broken_kvm)
{
	struct host_caps c = arm64_full();
	struct tier_request r = net(1, 1, VHOST_AUTO);

	c.kvm_broken = true;
	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_3);
	cr_assert_str_eq(plan.platform, "=== Platform: ARM64 host without usable KVM (Tier 3) ===");
	cr_assert_not_null(strstr(plan.error, "KVM does not work here"));
	cr_assert_str_empty(plan.network);
}

Test(tier, no_tap_no_network)
{
	struct host_caps c = arm64_full();
	struct tier_request r = { .cpus = 1, .queues = 1 };

	tier_plan(&c, &r, &plan);
	cr_assert_eq(plan.tier, TIER_NONE);
	cr_assert_str_eq(plan.network, "=== Network: none (no --tap) ===");
	cr_assert_str_empty(plan.error);
}

Test(tier, names)
{
	cr_assert_str_eq(tier_short_name(TIER_1A), "1A");
	cr_assert_str_eq(tier_short_name(TIER_2), "2");
	cr_assert_str_eq(tier_description(TIER_3), "no KVM for ARM64 guests (Tier 3)");
}
