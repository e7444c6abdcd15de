/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_CHECK_H
#define TINYVMM_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/cpu_features.h"

/* What the arm64 platform code can tell about KVM (kvm_check_probe). */
struct kvm_check_info {
	int api_version;		/* KVM_GET_API_VERSION: -1 if it failed */
	const char *missing_cap;	/* NULL if every capability tinyvmm needs is there */
	int max_ipa_bits;		/* 0: fixed 40-bit IPA */
	int max_vcpus;			/* <= 0: KVM_CAP_MAX_VCPUS failed */
	int vm_errno;			/* why the scratch KVM_CREATE_VM failed, or 0 */
	bool gic_v3, gic_v2;		/* vGIC models KVM can create here */
	bool gic_its;			/* and the GICv3 ITS (PCI MSI-X) */
	/* On the scratch VM: KVM_CAP_IRQ_ROUTING, KVM_CAP_SIGNAL_MSI, KVM_CAP_IRQFD. */
	bool irq_routing, signal_msi, irqfd;
	bool binary_stats;
	struct cpu_features_offered cpu;	/* optional vCPU features KVM offers */
	uint64_t sve_vls[CPU_SVE_VLS_WORDS];	/* a scratch vCPU's SVE vector lengths */
	bool vcpu_ok;			/* the scratch vCPU was created and initialised */
	uint64_t mmfr0;			/* its ID_AA64MMFR0_EL1, if vcpu_ok */
};

/* Probe /dev/kvm (already known to open). -1 where there is no ARM64 KVM code. */
int kvm_check_probe(struct kvm_check_info *info);

/*
 * Print what @k says about KVM to @out, one "[ok]/[!!]/[--] ..." line per
 * item; a probe that failed is never [ok]. True if a guest could run.
 */
bool check_report_kvm_info(FILE *out, const struct kvm_check_info *k);

/* "  [@mark] <text>\n" on @out: @mark is ok, !! (a problem) or -- (a note). */
void check_line(FILE *out, const char *mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* tinyvmm check [--tap NAME] [--queues N] [--cpus N]; @argv[0] is "check". */
int check_command(int argc, char **argv);

#endif
