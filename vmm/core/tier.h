/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_TIER_H
#define TINYVMM_TIER_H

#include <stdbool.h>
#include <stddef.h>

#include "devices/net/virtio_net.h"
#include "vmm/core/vm_config.h"

/*
 * Which network tier a run gets on a host, and the exact banner lines and
 * warnings that say so. Pure: the host's capabilities are passed in, so
 * every combination is unit-tested; `tinyvmm check` and the start-up
 * banner both use it.
 */
enum tier { TIER_NONE, TIER_1A, TIER_1B, TIER_2, TIER_3 };

struct host_caps {
	const char *arch;	/* uname machine, e.g. "aarch64" */
	int kvm_errno;		/* 0 if /dev/kvm opened, else why not */
	bool kvm_broken;	/* it opened, but KVM does not answer as it must */
	int vhost_errno;	/* 0 if /dev/vhost-net opened */
	int tun_errno;		/* 0 if /dev/net/tun opened */
	int tap_exists;		/* -1 unknown, 0 no, 1 yes (the --tap interface) */
	bool tap_multi_queue;	/* it exists and is multi-queue */
};

struct tier_request {
	const char *tap;	/* NULL: no network */
	unsigned int queues;
	unsigned int cpus;
	enum vhost_mode vhost;
};

#define TIER_MAX_WARNINGS 4

struct tier_plan {
	enum tier tier;
	char platform[160];	/* "=== Platform: ... ===" */
	char network[200];	/* "=== Network: ... ===" */
	char warnings[TIER_MAX_WARNINGS][400];
	unsigned int nwarnings;
	char error[400];	/* non-empty: the run cannot start this way */
};

void tier_plan(const struct host_caps *caps, const struct tier_request *rq,
	       struct tier_plan *plan);

/* "KVM with vhost-net acceleration (Tier 1B)" and friends. */
const char *tier_description(enum tier t);
/* "1A", "1B", "2", "3" or "none". */
const char *tier_short_name(enum tier t);
/* The tier a running NIC is in (what its backend and pairs make it). */
enum tier tier_of_net(const struct virtio_net *net);
/* The device's vhost choice from the user's. */
enum net_vhost_mode tier_net_vhost_mode(enum vhost_mode mode);

/* The warning texts, shared by the plan and the running VM's banner. */
void tier_vhost_warning(char *buf, size_t size, const char *reason);
void tier_queues_warning(char *buf, size_t size, unsigned int queues, unsigned int cpus);

#endif
