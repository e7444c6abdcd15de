/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_KVM_H
#define TINYVMM_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "lib/util.h"

struct kvm {
	int fd;			/* /dev/kvm */
	int vm_fd;
	int run_size;		/* size of each vCPU's struct kvm_run mapping */
	unsigned int max_vcpus;
	unsigned int ipa_bits;	/* IPA size the VM was created with */
};

/* Open /dev/kvm and check the API version and the capabilities we rely on. */
int kvm_open(struct kvm *kvm, struct tvm_error *err);

/* Create the VM with an IPA space for @ram_bytes of RAM at LAYOUT_RAM_BASE (ipa_choose). */
int kvm_create_vm(struct kvm *kvm, uint64_t ram_bytes, struct tvm_error *err);

int kvm_add_memory(struct kvm *kvm, const struct guest_mem *mem, struct tvm_error *err);

/* Drive an SPI (@intid >= 32) of the in-kernel vGIC. */
int kvm_irq_line(struct kvm *kvm, unsigned int intid, bool level);

/* Signalling @fd injects an edge on SPI number @spi (INTID 32 + @spi). */
int kvm_irqfd(struct kvm *kvm, int fd, unsigned int spi, struct tvm_error *err);

/* A 4-byte guest write of @value at @addr signals @fd without a vCPU exit. */
int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, uint32_t value, int fd,
		  struct tvm_error *err);

void kvm_close(struct kvm *kvm);

#endif
