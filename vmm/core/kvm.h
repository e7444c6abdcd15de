/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_KVM_H
#define TINYVMM_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "lib/util.h"
#include "vmm/arm64/cpu_features.h"

struct kvm {
	int fd;			/* /dev/kvm */
	int vm_fd;
	int run_size;		/* size of each vCPU's struct kvm_run mapping */
	unsigned int max_vcpus;
	unsigned int ipa_bits;	/* IPA size the VM was created with */
};

/* Open /dev/kvm and check the API version and the capabilities we rely on. */
int kvm_open(struct kvm *kvm, struct tvm_error *err);

/* Create the VM with an IPA space for @ram_bytes of RAM at @ram_base (ipa_choose). */
int kvm_create_vm(struct kvm *kvm, uint64_t ram_base, uint64_t ram_bytes, struct tvm_error *err);

int kvm_add_memory(struct kvm *kvm, const struct guest_mem *mem, struct tvm_error *err);

/* Drive an SPI (@intid >= 32) of the in-kernel vGIC. */
int kvm_irq_line(struct kvm *kvm, unsigned int intid, bool level);

/* Signalling @fd injects an edge on SPI number @spi (INTID 32 + @spi). */
int kvm_irqfd(struct kvm *kvm, int fd, unsigned int spi, struct tvm_error *err);

/* A 4-byte guest write of @value at @addr signals @fd without a vCPU exit. */
int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, uint32_t value, int fd,
		  struct tvm_error *err);

void kvm_close(struct kvm *kvm);

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

#endif
