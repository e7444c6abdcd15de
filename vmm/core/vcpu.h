/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VCPU_H
#define TINYVMM_VCPU_H

/*
 * A vCPU and its thread (vcpu.c). It is given what it reads (struct
 * vcpu_env) when it is created and reports what happens to it through
 * one callback with a small event enum; it knows nothing of struct vm.
 */
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/mmio_bus.h"
#include "lib/guest_mem.h"
#include "lib/util.h"
#include "vmm/arm64/cpu_features.h"
#include "vmm/arm64/loader.h"

#define VCPU_KICK_SIGNAL SIGUSR2

/* What a vCPU reports; the VM decides what each means for the run. */
enum vcpu_event {
	VCPU_EVENT_POWEROFF,	/* PSCI SYSTEM_OFF */
	VCPU_EVENT_RESET,	/* PSCI SYSTEM_RESET: reboot or stop, as configured */
	VCPU_EVENT_CRASH,	/* the guest reported a crash (KVM_SYSTEM_EVENT_CRASH) */
	VCPU_EVENT_BAD_ACCESS,	/* an access KVM cannot emulate: neither RAM nor a device */
	VCPU_EVENT_ERROR,	/* KVM failed; the event's detail says how */
};

/* What the VM wants of its vCPUs, polled before each KVM_RUN. */
enum vcpu_order {
	VCPU_ORDER_RUN,
	VCPU_ORDER_STOP,	/* leave the thread: the run is over */
	VCPU_ORDER_REBOOT,	/* finish the last exit, then leave for a reboot */
};

/* Everything a vCPU reads of its VM, given at vcpu_create(). */
struct vcpu_env {
	int vm_fd;			/* KVM_CREATE_VCPU, KVM_ARM_PREFERRED_TARGET */
	size_t run_size;		/* the kvm_run area's mmap size (KVM_GET_VCPU_MMAP_SIZE) */
	/* The optional features KVM_ARM_VCPU_INIT asks for; SVE's vector lengths read back in. */
	struct cpu_features *cpu;
	struct mmio_bus *bus;		/* where MMIO exits go */
	/* Read only by vcpu_describe(): the guest's stack, named Image+0xOFF. */
	const struct guest_mem *mem;
	const struct boot_layout *boot;
	/* From the vCPU's thread, before each KVM_RUN and when it leaves. */
	enum vcpu_order (*order)(void *ctx);
	/*
	 * From the vCPU's thread, which then leaves KVM_RUN for good (or, for a
	 * reset, until a reboot). @detail: the message for VCPU_EVENT_ERROR
	 * (it names the vCPU), else NULL.
	 */
	void (*report)(void *ctx, unsigned int vcpu_id, enum vcpu_event event, const char *detail);
	void *ctx;
};

struct vcpu {
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	uint64_t mpidr;
	struct kvm_vcpu_init init;	/* as given to KVM_ARM_VCPU_INIT */
	struct vcpu_env env;
	int stats_fd;		/* KVM binary stats, -1 if the host has none */
	/* Exits seen by this vCPU's thread (only it writes them). */
	uint64_t exits_total, exits_mmio, exits_system, exits_intr, exits_other;
};

/* KVM_CREATE_VCPU and KVM_ARM_VCPU_INIT; on failure vcpu_destroy() still applies. */
int vcpu_create(struct vcpu *vcpu, unsigned int id, const struct vcpu_env *env,
		struct tvm_error *err);
/* Back to the reset state, thread joined (a guest reboot). */
int vcpu_reinit(struct vcpu *vcpu, struct tvm_error *err);
/* PMUv3, when the features have it on; after gic_finalize(). */
int vcpu_init_pmu(struct vcpu *vcpu, struct tvm_error *err);
int vcpu_set_boot_regs(struct vcpu *vcpu, uint64_t pc, uint64_t x0, struct tvm_error *err);
int vcpu_start(struct vcpu *vcpu, struct tvm_error *err);
/* Make a running vCPU leave KVM_RUN so it polls its order again. */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);
void vcpu_describe(struct vcpu *vcpu, FILE *summary, FILE *stacks);
void vcpu_destroy(struct vcpu *vcpu);
/* Install the no-op kick signal handler; once per process. */
void vcpu_install_kick_signal(void);
/* Let the kick end this vCPU's KVM_RUN; @blocked: the threads' signal mask. */
int vcpu_set_kick_mask(struct vcpu *vcpu, const sigset_t *blocked, struct tvm_error *err);

#endif
