/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CHECK_H
#define TINYVMM_CHECK_H

#include <stdbool.h>

/* What the arm64 platform code can tell about KVM (kvm_check_probe). */
struct kvm_check_info {
	int api_version;
	const char *missing_cap;	/* NULL if every capability tinyvmm needs is there */
	int max_ipa_bits;		/* 0: fixed 40-bit IPA */
	int max_vcpus;
	bool gic_v3, gic_v2;		/* vGIC models KVM can create here */
	bool gic_its;			/* and the GICv3 ITS (PCI MSI-X) */
	bool binary_stats;
};

/* Probe /dev/kvm (already known to open). -1 where there is no ARM64 KVM code. */
int kvm_check_probe(struct kvm_check_info *info);

/* tinyvmm check [--tap NAME] [--queues N] [--cpus N]; @argv[0] is "check". */
int check_command(int argc, char **argv);

#endif
