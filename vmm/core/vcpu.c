// SPDX-License-Identifier: MIT
/*
 * vCPU threads: one per vCPU, each looping on KVM_RUN. A vCPU reads only
 * its struct vcpu_env (vcpu.h) and reports what ends its run through the
 * env's one callback; the VM decides what that means (vm_vcpus.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/arm64/guest_walk.h"
#include "vmm/arm64/vcpu_features.h"
#include "vmm/core/vcpu.h"
#include "lib/dev_lock.h"

#define ARM64_CORE_REG(field) \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
	 (offsetof(struct kvm_regs, field) / sizeof(__u32)))
#define ARM64_MPIDR_EL1 ARM64_SYS_REG(3, 0, 0, 0, 5)
#define ARM64_SCTLR_EL1 ARM64_SYS_REG(3, 0, 1, 0, 0)
#define ARM64_TTBR0_EL1 ARM64_SYS_REG(3, 0, 2, 0, 0)
#define ARM64_TTBR1_EL1 ARM64_SYS_REG(3, 0, 2, 0, 1)
#define ARM64_TCR_EL1 ARM64_SYS_REG(3, 0, 2, 0, 2)
#define PSTATE_IRQ_MASKED (1u << 7)	/* PSTATE.I */

static void kick_handler(int sig)
{
	(void)sig;	/* never runs: the kick is blocked outside KVM_RUN */
}

/*
 * A handler, not SIG_DFL, so that a kick is never the default "terminate"
 * action, whatever mask it meets.
 */
void vcpu_install_kick_signal(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);	/* no SA_RESTART: KVM_RUN returns EINTR */
}

/*
 * The kick stays blocked in every thread; KVM_SET_SIGNAL_MASK unblocks it
 * only while this vCPU is inside KVM_RUN (api.rst). A kick then ends
 * KVM_RUN with EINTR and stays pending, and no signal frame is ever built
 * on a vCPU thread: nothing depends on the host kernel saving the vCPU
 * thread's FP/SVE state into a frame. @blocked is the mask the threads run
 * with (vm_block_signals()). Before the sandbox: it is a set-up ioctl.
 */
int vcpu_set_kick_mask(struct vcpu *vcpu, const sigset_t *blocked, struct tvm_error *err)
{
	struct {
		struct kvm_signal_mask hdr;
		uint64_t set;	/* the kernel's sigset_t on arm64: one bit per signal */
	} mask = { .hdr.len = sizeof(uint64_t) };
	sigset_t during_run = *blocked;

	sigdelset(&during_run, VCPU_KICK_SIGNAL);
	memcpy(&mask.set, &during_run, sizeof(mask.set));	/* glibc's first word is the kernel's */
	if (ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &mask) < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "vCPU %u: KVM_SET_SIGNAL_MASK failed: %s",
				vcpu->id, strerror(errno));
	return 0;
}

/* Take a pending kick off the queue, so the next KVM_RUN is not cut short by it. */
static void consume_kick(void)
{
	static const struct timespec now = { 0, 0 };
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, VCPU_KICK_SIGNAL);
	while (sigtimedwait(&kick, NULL, &now) == VCPU_KICK_SIGNAL)
		;
}

static int get_reg(int fd, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)value };

	return ioctl(fd, KVM_GET_ONE_REG, &reg);
}

static int set_reg(int fd, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };

	return ioctl(fd, KVM_SET_ONE_REG, &reg);
}

static int init_vcpu(struct vcpu *vcpu, struct tvm_error *err)
{
	struct cpu_features *cpu = vcpu->env.cpu;
	struct kvm_vcpu_init init;

	/* The host's own CPU type: what KVM can best present to the guest. */
	if (ioctl(vcpu->env.vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "KVM_ARM_PREFERRED_TARGET failed: %s",
				strerror(errno));
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	init.features[0] |= vcpu_features_init_bits(cpu);
	/* Secondaries wait powered off until the guest's PSCI CPU_ON. */
	if (vcpu->id > 0)
		init.features[0] |= 1U << KVM_ARM_VCPU_POWER_OFF;
	vcpu->init = init;	/* a reboot re-inits with exactly these features */
	if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "KVM_ARM_VCPU_INIT for vCPU %u failed: %s%s",
				vcpu->id, strerror(errno),
				vcpu_features_init_bits(cpu)
					? ". Try without the optional CPU features: --no-pmu --no-pauth --no-sve"
					: "");
	if (vcpu_features_finalize(vcpu->fd, vcpu->id, cpu, err))
		return -1;
	if (get_reg(vcpu->fd, ARM64_MPIDR_EL1, &vcpu->mpidr) < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "reading MPIDR_EL1 of vCPU %u failed: %s",
				vcpu->id, strerror(errno));
	return 0;
}

int vcpu_create(struct vcpu *vcpu, unsigned int id, const struct vcpu_env *env,
		struct tvm_error *err)
{
	void *run;

	*vcpu = (struct vcpu){ .id = id, .fd = -1, .stats_fd = -1, .env = *env };
	vcpu->fd = ioctl(env->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "KVM_CREATE_VCPU %u failed: %s",
				id, strerror(errno));
	run = mmap(NULL, env->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED)
		return tvm_fail(err, TVM_EXIT_ERROR, "mapping kvm_run of vCPU %u failed: %s",
				id, strerror(errno));
	vcpu->run = run;
	/* Optional: only for statistics (Linux 5.14+). */
	vcpu->stats_fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);
	return init_vcpu(vcpu, err);
}

/*
 * --on-reset reboot, with the vCPU's thread joined: KVM_ARM_VCPU_INIT again
 * with the same features puts the vCPU back in its reset state (core and
 * system registers, timer, PMU counters; secondaries powered off again;
 * KVM also makes the next boot's stage-2 and I-cache view coherent).
 * Nothing else is repeated: SVE stays finalized (KVM resets its registers
 * and refuses a second KVM_ARM_VCPU_FINALIZE) and the PMU stays initialised
 * (a second KVM_ARM_VCPU_PMU_V3_INIT is EBUSY). MPIDR is unchanged.
 */
int vcpu_reinit(struct vcpu *vcpu, struct tvm_error *err)
{
	struct kvm_vcpu_init init = vcpu->init;

	if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "rebooting: KVM_ARM_VCPU_INIT for vCPU %u failed: %s",
				vcpu->id, strerror(errno));
	/* The kick that stopped it must not bounce the next boot's first KVM_RUN. */
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELEASE);
	return 0;
}

int vcpu_init_pmu(struct vcpu *vcpu, struct tvm_error *err)
{
	if (vcpu->env.cpu->pmu != CPU_FEATURE_ON)
		return 0;
	return vcpu_pmu_init(vcpu->fd, vcpu->id, err);
}

static void report(struct vcpu *vcpu, enum vcpu_event event, const char *detail)
{
	vcpu->env.report(vcpu->env.ctx, vcpu->id, event, detail);
}

/* VCPU_EVENT_ERROR with its message: "vCPU N: " and @fmt. */
static void __attribute__((format(printf, 2, 3)))
report_error(struct vcpu *vcpu, const char *fmt, ...)
{
	char detail[256];
	int n = snprintf(detail, sizeof(detail), "vCPU %u: ", vcpu->id);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail + n, sizeof(detail) - (size_t)n, fmt, ap);
	va_end(ap);
	report(vcpu, VCPU_EVENT_ERROR, detail);
}

static enum vcpu_order order(struct vcpu *vcpu)
{
	return vcpu->env.order(vcpu->env.ctx);
}

int vcpu_set_boot_regs(struct vcpu *vcpu, uint64_t pc, uint64_t x0, struct tvm_error *err)
{
	/* booting.rst: x0 = DTB address, x1-x3 = 0 (KVM resets them to 0). */
	if (set_reg(vcpu->fd, ARM64_CORE_REG(regs.pc), pc) < 0 ||
	    set_reg(vcpu->fd, ARM64_CORE_REG(regs.regs[0]), x0) < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "setting boot registers failed: %s",
				strerror(errno));
	return 0;
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int len = run->mmio.len <= 8 ? run->mmio.len : 8;

	mmio_bus_access(vcpu->env.bus, run->mmio.phys_addr, run->mmio.data, len,
			run->mmio.is_write);
}

/* Returns false when the vCPU must stop (it reported the event). */
static bool handle_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		report(vcpu, VCPU_EVENT_POWEROFF, NULL);
		return false;
	case KVM_SYSTEM_EVENT_RESET:
		report(vcpu, VCPU_EVENT_RESET, NULL);
		return false;
	case KVM_SYSTEM_EVENT_CRASH:
		report(vcpu, VCPU_EVENT_CRASH, NULL);
		return false;
	default:
		/* e.g. WAKEUP/SUSPEND on newer hosts: this vCPU keeps running. */
		return true;
	}
}

/* Returns false when the vCPU must stop. */
static bool handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	vcpu->exits_total++;
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		vcpu->exits_mmio++;
		handle_mmio(vcpu);
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu->exits_system++;
		return handle_system_event(vcpu);
	case KVM_EXIT_INTR:
		vcpu->exits_intr++;
		return true;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu->exits_other++;
		report_error(vcpu, "KVM could not enter the guest (reason 0x%llx)",
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		report_error(vcpu, "KVM internal error %u", run->internal.suberror);
		return false;
	default:
		report_error(vcpu, "unexpected KVM exit %u", run->exit_reason);
		return false;
	}
}

static void run_failed(struct vcpu *vcpu, int e)
{
	if (e == ENOSYS || e == ENXIO)
		/* arm64: a data abort KVM cannot decode (no ISV), e.g. LDP to MMIO. */
		report(vcpu, VCPU_EVENT_BAD_ACCESS, NULL);
	else
		report_error(vcpu, "KVM_RUN failed: %s", strerror(e));
}

/*
 * KVM completes an MMIO read (and steps past the instruction) only at the
 * next KVM_RUN (api.rst, KVM_EXIT_MMIO). A vCPU leaving its loop for a
 * reboot right after an MMIO exit would have the next boot's first
 * KVM_RUN write the old value into a register and skip the new boot's
 * first instruction. One KVM_RUN with immediate_exit set completes it
 * without running the guest (it returns EINTR), before the re-init.
 */
static void complete_last_exit(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELEASE);
	if (ioctl(vcpu->fd, KVM_RUN, 0) < 0 && errno != EINTR && errno != EAGAIN)
		report_error(vcpu, "completing its last exit before the reboot failed: %s",
			     strerror(errno));
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	while (order(vcpu) == VCPU_ORDER_RUN) {
		dev_lock_assert_none("KVM_RUN");
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			int e = errno;

			if (e == EINTR)
				consume_kick();
			if (e == EINTR || e == EAGAIN)
				continue;
			run_failed(vcpu, e);
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
	if (order(vcpu) == VCPU_ORDER_REBOOT)
		complete_last_exit(vcpu);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu, struct tvm_error *err)
{
	int e = tvm_thread_start(&vcpu->thread, vcpu_thread, vcpu);

	if (e)
		return tvm_fail(err, TVM_EXIT_ERROR, "cannot start vCPU %u thread: %s",
				vcpu->id, strerror(e));
	vcpu->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	/* immediate_exit closes the race with a KVM_RUN about to be entered. */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->started)
		pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}

/* What guest_walk.c needs: where the vCPU was and its stage-1 setup. */
static int read_walk_regs(int fd, struct guest_cpu_regs *r)
{
	if (get_reg(fd, ARM64_CORE_REG(regs.pc), &r->pc) < 0 ||
	    get_reg(fd, ARM64_CORE_REG(regs.pstate), &r->pstate) < 0 ||
	    get_reg(fd, ARM64_CORE_REG(regs.regs[29]), &r->fp) < 0 ||
	    get_reg(fd, ARM64_CORE_REG(regs.regs[30]), &r->lr) < 0 ||
	    get_reg(fd, ARM64_SCTLR_EL1, &r->sctlr) < 0 ||
	    get_reg(fd, ARM64_TTBR0_EL1, &r->ttbr0) < 0 ||
	    get_reg(fd, ARM64_TTBR1_EL1, &r->ttbr1) < 0 ||
	    get_reg(fd, ARM64_TCR_EL1, &r->tcr) < 0)
		return -1;
	return 0;
}

/* Addresses as "Image+0xOFF" where they fall in the kernel Image: KASLR-free. */
static void format_addr(struct vcpu *vcpu, const struct guest_cpu_regs *r, uint64_t va,
			char *buf, size_t size)
{
	const struct boot_layout *bl = vcpu->env.boot;
	bool image = bl->format == KERNEL_IMAGE && bl->kernel_end > bl->entry;

	guest_format_addr(vcpu->env.mem, r, image ? bl->entry : 0,
			  image ? bl->kernel_end - bl->entry : 0, va, buf, size);
}

/* "pc A lr B frames C D ...": where a vCPU stopped in the guest kernel. */
static void print_kernel_stack(struct vcpu *vcpu, const struct guest_cpu_regs *r, FILE *out)
{
	uint64_t frames[GUEST_WALK_MAX_FRAMES];
	unsigned int n = guest_backtrace(vcpu->env.mem, r, frames, GUEST_WALK_MAX_FRAMES);
	char addr[32];

	format_addr(vcpu, r, r->pc, addr, sizeof(addr));
	fprintf(out, "\ntinyvmm: vCPU %u stack: pc %s", vcpu->id, addr);
	/* With pointer authentication the guest's x30 is often signed. */
	format_addr(vcpu, r, guest_strip_pac(r, r->lr), addr, sizeof(addr));
	fprintf(out, " lr %s frames", addr);
	for (unsigned int i = 0; i < n; i++) {
		format_addr(vcpu, r, frames[i], addr, sizeof(addr));
		fprintf(out, " %s", addr);
	}
	if (n == 0)
		fprintf(out, " (none readable)");
}

/*
 * Where a stopped vCPU was, for users whose guest hung: PC, exception level
 * and IRQ mask on @summary; for a vCPU in the guest kernel, a line with its
 * stack on @stacks. Only valid once the vCPU's thread has left KVM_RUN
 * (vcpu_join()).
 */
void vcpu_describe(struct vcpu *vcpu, FILE *summary, FILE *stacks)
{
	struct kvm_mp_state mp = { 0 };
	struct guest_cpu_regs r;
	unsigned int el;

	if (vcpu->fd < 0 || ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0 ||
	    read_walk_regs(vcpu->fd, &r) < 0) {
		fprintf(summary, "vCPU %u state unreadable", vcpu->id);
		return;
	}
	if (mp.mp_state == KVM_MP_STATE_STOPPED) {
		fprintf(summary, "vCPU %u powered off", vcpu->id);
		return;
	}
	el = (unsigned int)(r.pstate >> 2) & 3;	/* PSTATE.M[3:2]; M[0] picks SP_ELx */
	fprintf(summary, "vCPU %u pc 0x%llx (EL%u%s%s)", vcpu->id, (unsigned long long)r.pc, el,
		el == 0 ? "" : (r.pstate & 1) ? "h" : "t",
		(r.pstate & PSTATE_IRQ_MASKED) ? ", IRQs masked" : "");
	if (el == 1)
		print_kernel_stack(vcpu, &r, stacks);
}

void vcpu_destroy(struct vcpu *vcpu)
{
	vcpu_join(vcpu);
	if (vcpu->run)
		munmap(vcpu->run, vcpu->env.run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	if (vcpu->stats_fd >= 0)
		close(vcpu->stats_fd);
	vcpu->stats_fd = -1;
	vcpu->run = NULL;
	vcpu->fd = -1;
}
