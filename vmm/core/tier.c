// SPDX-License-Identifier: MIT
#include "vmm/core/tier.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vhost/vhost_net.h"

const char *tier_description(enum tier t)
{
	switch (t) {
	case TIER_1A:	return "KVM with vhost-net acceleration and multi-queue (Tier 1A)";
	case TIER_1B:	return "KVM with vhost-net acceleration (Tier 1B)";
	case TIER_2:	return "KVM with userspace virtio-net (Tier 2)";
	case TIER_3:	return "no KVM for ARM64 guests (Tier 3)";
	default:	return "none";
	}
}

const char *tier_short_name(enum tier t)
{
	switch (t) {
	case TIER_1A:	return "1A";
	case TIER_1B:	return "1B";
	case TIER_2:	return "2";
	case TIER_3:	return "3";
	default:	return "none";
	}
}

void tier_vhost_warning(char *buf, size_t size, const char *reason)
{
	snprintf(buf, size, "vhost-net is not available: %s; using userspace virtio-net (Tier 2)",
		 reason);
}

void tier_queues_warning(char *buf, size_t size, unsigned int queues, unsigned int cpus)
{
	snprintf(buf, size,
		 "--queues %u is more than --cpus %u: queue pairs beyond the vCPU count add interrupts without adding parallelism. Use --queues %u or raise --cpus",
		 queues, cpus, cpus);
}

static char *next_warning(struct tier_plan *p)
{
	if (p->nwarnings == TIER_MAX_WARNINGS)
		return NULL;
	return p->warnings[p->nwarnings++];
}

static bool is_arm64(const struct host_caps *c)
{
	return c->arch && (!strcmp(c->arch, "aarch64") || !strcmp(c->arch, "arm64"));
}

static void plan_platform(const struct host_caps *c, struct tier_plan *p)
{
	if (!is_arm64(c)) {
		snprintf(p->platform, sizeof(p->platform),
			 "=== Platform: %s host, no KVM for ARM64 guests (Tier 3) ===",
			 c->arch ? c->arch : "unknown");
		snprintf(p->error, sizeof(p->error),
			 "this %s host cannot run ARM64 guests with KVM. Run tinyvmm inside the emulated ARM64 host: scripts/emuhost -- tinyvmm ...",
			 c->arch ? c->arch : "non-ARM64");
	} else if (c->kvm_broken) {
		snprintf(p->platform, sizeof(p->platform),
			 "=== Platform: ARM64 host without usable KVM (Tier 3) ===");
		snprintf(p->error, sizeof(p->error),
			 "/dev/kvm opens but KVM does not work here (see the [!!] lines above). Run on a real ARM64 KVM host or in scripts/emuhost");
	} else if (c->kvm_errno) {
		snprintf(p->platform, sizeof(p->platform),
			 "=== Platform: ARM64 host without usable KVM (Tier 3) ===");
		snprintf(p->error, sizeof(p->error), "%s",
			 c->kvm_errno == EACCES || c->kvm_errno == EPERM
				 ? "/dev/kvm: permission denied. Add your user to the kvm group (sudo usermod -aG kvm $USER, then log in again)"
				 : "/dev/kvm is missing: enable KVM in the host kernel (CONFIG_KVM, boot at EL2), or use scripts/emuhost");
	} else {
		snprintf(p->platform, sizeof(p->platform),
			 "=== Platform: ARM64 host with KVM acceleration ===");
	}
}

static enum tier pick_network_tier(const struct host_caps *c, const struct tier_request *rq,
				   struct tier_plan *p)
{
	char why[300];

	if (rq->vhost == VHOST_OFF)
		return TIER_2;
	if (c->vhost_errno == 0)
		return rq->queues > 1 ? TIER_1A : TIER_1B;
	char *w;

	vhost_net_describe_error(c->vhost_errno, why, sizeof(why));
	if (rq->vhost == VHOST_ON) {
		snprintf(p->error, sizeof(p->error), "--vhost on: %s", why);
		return TIER_NONE;
	}
	w = next_warning(p);
	if (w)
		tier_vhost_warning(w, sizeof(p->warnings[0]), why);
	return TIER_2;
}

static void plan_network(const struct host_caps *c, const struct tier_request *rq,
			 struct tier_plan *p)
{
	if (rq->queues > 1 && c->tap_exists == 1 && !c->tap_multi_queue) {
		snprintf(p->error, sizeof(p->error),
			 "--tap %s: the interface is not a multi-queue TAP, which --queues needs. Recreate it: tinyvmm tap delete %s; tinyvmm tap create %s --queues %u",
			 rq->tap, rq->tap, rq->tap, rq->queues);
		return;
	}
	if (c->tun_errno) {
		snprintf(p->error, sizeof(p->error),
			 "/dev/net/tun cannot be opened (%s). Load the tun module: modprobe tun",
			 strerror(c->tun_errno));
		return;
	}
	p->tier = pick_network_tier(c, rq, p);
	if (p->tier == TIER_NONE)
		return;
	snprintf(p->network, sizeof(p->network), "=== Network: %s, %u queue pair(s), TAP %s ===",
		 tier_description(p->tier), rq->queues, rq->tap);
	if (rq->queues > rq->cpus) {
		char *w = next_warning(p);

		if (w)
			tier_queues_warning(w, sizeof(p->warnings[0]), rq->queues, rq->cpus);
	}
}

void tier_plan(const struct host_caps *caps, const struct tier_request *rq,
	       struct tier_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan_platform(caps, plan);
	if (plan->error[0]) {
		plan->tier = TIER_3;
		return;
	}
	if (!rq->tap) {
		snprintf(plan->network, sizeof(plan->network), "=== Network: none (no --tap) ===");
		return;
	}
	plan_network(caps, rq, plan);
}

enum tier tier_of_net(const struct virtio_net *net)
{
	if (net->backend == NET_BACKEND_USERSPACE)
		return TIER_2;
	return net->npairs > 1 ? TIER_1A : TIER_1B;
}

enum net_vhost_mode tier_net_vhost_mode(enum vhost_mode mode)
{
	switch (mode) {
	case VHOST_ON:
		return NET_VHOST_ON;
	case VHOST_OFF:
		return NET_VHOST_OFF;
	default:
		return NET_VHOST_AUTO;
	}
}
