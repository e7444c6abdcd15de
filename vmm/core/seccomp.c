// SPDX-License-Identifier: MIT
/*
 * A seccomp-BPF allow-list written by hand: no libseccomp needed, and the
 * whole policy is on this page. Documentation/userspace-api/seccomp_filter.rst.
 */
#include "vmm/core/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/seccomp.h>
#include <linux/vhost.h>
#include <stddef.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <asm/ioctls.h>
#include <unistd.h>

#if defined(__aarch64__)
#define TVM_AUDIT_ARCH AUDIT_ARCH_AARCH64
#include <linux/kvm.h>
#define TVM_KVM_ARM_VCPU_INIT KVM_ARM_VCPU_INIT
#elif defined(__x86_64__)
#define TVM_AUDIT_ARCH AUDIT_ARCH_X86_64
#include <linux/kvm.h>
/* Native unit tests: arm64's request (its struct kvm_vcpu_init is 32 bytes). */
#define TVM_KVM_ARM_VCPU_INIT _IOW(KVMIO, 0xae, uint8_t[32])
#else
#error "seccomp: unknown architecture"
#endif

/*
 * What the run loop, vCPU, device and report code call after set-up, with
 * any argument. Nothing opens, renames or removes a file after set-up: the
 * console log and the report are open already (report_open()).
 */
static const int allowed_syscalls[] = {
	__NR_read, __NR_write, __NR_readv, __NR_writev, __NR_pread64, __NR_pwrite64, __NR_close,
	__NR_epoll_pwait, __NR_epoll_ctl, __NR_epoll_create1, __NR_recvfrom, __NR_newfstatat,
	__NR_fstat, __NR_lseek, __NR_ftruncate, __NR_uname, __NR_timerfd_settime,
	__NR_futex, __NR_set_robust_list, __NR_rseq,
	__NR_munmap, __NR_madvise, __NR_brk,
	__NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_getpid, __NR_gettid,
	__NR_rt_sigtimedwait,	/* a vCPU takes its kick off the queue */
	__NR_ppoll,		/* a vCPU waits for room on a full stdout (console.c) */
	__NR_exit, __NR_exit_group, __NR_sched_yield, __NR_clock_gettime,
	__NR_clock_nanosleep, __NR_nanosleep, __NR_getrandom,
	/* glibc installs its SIGCANCEL/SIGSETXID handlers on the first pthread_create. */
	__NR_rt_sigaction,
	/*
	 * Sanitizer runtimes give each thread an alternate signal stack and
	 * read its attributes (pthread_getattr_np: sched_getaffinity).
	 */
	__NR_sigaltstack, __NR_sched_getaffinity,
#ifdef __NR_epoll_wait
	__NR_epoll_wait,
#endif
};

/* ioctl requests allowed at run time on any fd (the rest happened during set-up). */
static const unsigned int allowed_ioctls[] = {
	KVM_RUN, KVM_IRQ_LINE,
	KVM_GET_ONE_REG, KVM_GET_MP_STATE,	/* where the vCPUs were at --timeout */
	VHOST_SET_FEATURES, VHOST_SET_MEM_TABLE, VHOST_SET_VRING_NUM, VHOST_SET_VRING_BASE,
	VHOST_SET_VRING_ADDR, VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL, VHOST_SET_VRING_ERR,
	VHOST_GET_VRING_BASE, VHOST_NET_SET_BACKEND,
	TUNSETOFFLOAD, TUNSETQUEUE,
	TUNSETVNETHDRSZ,	/* at each DRIVER_OK: the negotiated header (10 bytes in legacy) */
	TCGETS, TCSETS, TCSETSW, TCSETSF,	/* restoring the terminal at exit */
};

/* Only with --transport pci: the guest places the notification BAR (its ioeventfds). */
static const unsigned int pci_ioctls[] = {
	KVM_IOEVENTFD,
};

/*
 * Only with MSI-X vectors (--transport pci, not INTx-only): (un)masking
 * moves irqfds and routes at run time, and tinyvmm sends its own messages.
 */
static const unsigned int msi_ioctls[] = {
	KVM_IRQFD, KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI,
};

/*
 * Only with --on-reset reboot, and only on the fds named in the policy:
 * the vCPUs' re-init and boot registers (vCPU fds), the vGIC/ITS reset and
 * its read-back (the vGIC and vITS device fds).
 */
static const unsigned int reboot_vcpu_ioctls[] = {
	TVM_KVM_ARM_VCPU_INIT, KVM_SET_ONE_REG,
};
static const unsigned int reboot_gic_ioctls[] = {
	KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR,
};

/*
 * Only on boards with flash: a CFI command unmaps the bank's read-only
 * memory slot so reads trap, read-array maps it again (devices/pflash.c).
 */
static const unsigned int flash_ioctls[] = {
	KVM_SET_USER_MEMORY_REGION,
};

/* Threads only: clone() must carry all of these (fork() and friends lack them). */
#define THREAD_CLONE_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
			    CLONE_THREAD | CLONE_SYSVSEM)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define N_SYSCALLS ARRAY_LEN(allowed_syscalls)
/* Every block below at its longest, plus one pinned-fd check per fd. */
#define MAX_PROG (64 + 2 * N_SYSCALLS + 2 * (ARRAY_LEN(allowed_ioctls) + ARRAY_LEN(pci_ioctls) + \
		  ARRAY_LEN(msi_ioctls) + ARRAY_LEN(reboot_vcpu_ioctls) + \
		  ARRAY_LEN(reboot_gic_ioctls) + ARRAY_LEN(flash_ioctls) + \
		  SECCOMP_MAX_PINNED_FDS))

#define LOAD(off) ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define RET(v) ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v)))
#define JUMP(op, k, jt, jf) ((struct sock_filter)BPF_JUMP(BPF_JMP | (op) | BPF_K, (k), (jt), (jf)))
/* Unconditional, with a 32-bit offset (the conditional ones have 8 bits). */
#define SKIP(k) ((struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (k)))
/* Low 32 bits of argument @i (the filter sees little-endian 64-bit slots). */
#define ARG_LO(i) (offsetof(struct seccomp_data, args[i]))

/*
 * Each block starts with the syscall number in A. A block that does not
 * match jumps past itself with A unchanged; one that matches returns.
 */

/* @nr is allowed unless argument @arg has any bit of @mask (e.g. PROT_EXEC). */
static unsigned int block_deny_bits(struct sock_filter *p, int nr, unsigned int arg,
				    uint32_t mask, uint32_t deny)
{
	p[0] = JUMP(BPF_JEQ, (uint32_t)nr, 0, 4);
	p[1] = LOAD(ARG_LO(arg));
	p[2] = JUMP(BPF_JSET, mask, 1, 0);
	p[3] = RET(SECCOMP_RET_ALLOW);
	p[4] = RET(deny);
	return 5;
}

/* @nr is allowed only if argument @arg has every bit of @mask. */
static unsigned int block_need_bits(struct sock_filter *p, int nr, unsigned int arg,
				    uint32_t mask, uint32_t deny)
{
	p[0] = JUMP(BPF_JEQ, (uint32_t)nr, 0, 5);
	p[1] = LOAD(ARG_LO(arg));
	p[2] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask);
	p[3] = JUMP(BPF_JEQ, mask, 0, 1);
	p[4] = RET(SECCOMP_RET_ALLOW);
	p[5] = RET(deny);
	return 6;
}

/* @nr is allowed only with argument @arg equal to @a or @b. */
static unsigned int block_need_value(struct sock_filter *p, int nr, unsigned int arg,
				     uint32_t a, uint32_t b, uint32_t deny)
{
	p[0] = JUMP(BPF_JEQ, (uint32_t)nr, 0, 5);
	p[1] = LOAD(ARG_LO(arg));
	p[2] = JUMP(BPF_JEQ, a, 1, 0);
	p[3] = JUMP(BPF_JEQ, b, 0, 1);
	p[4] = RET(SECCOMP_RET_ALLOW);
	p[5] = RET(deny);
	return 6;
}

/* @nr is allowed only with argument @a0 equal to @v0 and argument @a1 to @v1. */
static unsigned int block_need_values(struct sock_filter *p, int nr, unsigned int a0, uint32_t v0,
				      unsigned int a1, uint32_t v1, uint32_t deny)
{
	p[0] = JUMP(BPF_JEQ, (uint32_t)nr, 0, 6);
	p[1] = LOAD(ARG_LO(a0));
	p[2] = JUMP(BPF_JEQ, v0, 0, 3);
	p[3] = LOAD(ARG_LO(a1));
	p[4] = JUMP(BPF_JEQ, v1, 0, 1);
	p[5] = RET(SECCOMP_RET_ALLOW);
	p[6] = RET(deny);
	return 7;
}

/* @nr fails with @err instead of running (clone3: glibc then uses clone). */
static unsigned int block_errno(struct sock_filter *p, int nr, int err)
{
	p[0] = JUMP(BPF_JEQ, (uint32_t)nr, 0, 1);
	p[1] = RET(SECCOMP_RET_ERRNO | ((uint32_t)err & SECCOMP_RET_DATA));
	return 2;
}

/* One JEQ + ALLOW pair per request of @list. */
static unsigned int allow_requests(struct sock_filter *p, const unsigned int *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[2 * i] = JUMP(BPF_JEQ, list[i], 0, 1);
		p[2 * i + 1] = RET(SECCOMP_RET_ALLOW);
	}
	return (unsigned int)(2 * n);
}

/* ALLOW if argument 0 (the fd) is one of @fds, else @deny. */
static unsigned int allow_fds(struct sock_filter *p, const int *fds, unsigned int n,
			      uint32_t deny)
{
	unsigned int len = 0;

	p[len++] = LOAD(ARG_LO(0));
	for (unsigned int i = 0; i < n; i++) {
		p[len++] = JUMP(BPF_JEQ, (uint32_t)fds[i], 0, 1);
		p[len++] = RET(SECCOMP_RET_ALLOW);
	}
	p[len++] = RET(deny);
	return len;
}

/*
 * With --on-reset reboot, requests that are allowed only on some fds: each
 * jumps to the fd check for its list. The gic check comes first so that
 * every jump stays short whatever the vCPU count (8-bit offsets).
 */
static unsigned int pinned_requests(struct sock_filter *p, const struct seccomp_policy *pol,
				    uint32_t deny)
{
	unsigned int nv = ARRAY_LEN(reboot_vcpu_ioctls), ng = ARRAY_LEN(reboot_gic_ioctls);
	unsigned int gic_check = nv + ng + 1, n = 0;
	unsigned int vcpu_check = gic_check + 2 + 2 * pol->ngic_fds;

	for (unsigned int i = 0; i < nv; i++, n++)
		p[n] = JUMP(BPF_JEQ, reboot_vcpu_ioctls[i], (unsigned char)(vcpu_check - n - 1), 0);
	for (unsigned int i = 0; i < ng; i++, n++)
		p[n] = JUMP(BPF_JEQ, reboot_gic_ioctls[i], (unsigned char)(gic_check - n - 1), 0);
	p[n++] = RET(deny);
	n += allow_fds(p + n, pol->gic_fds, pol->ngic_fds, deny);
	n += allow_fds(p + n, pol->vcpu_fds, pol->nvcpu_fds, deny);
	return n;
}

/*
 * ioctl: the request (argument 1) must be on allowed_ioctls, or on a list
 * the policy adds; the reboot lists also pin the fd (argument 0).
 */
static unsigned int block_ioctl(struct sock_filter *p, const struct seccomp_policy *pol,
				uint32_t deny)
{
	unsigned int n = 2;

	p[n++] = LOAD(ARG_LO(1));
	n += allow_requests(p + n, allowed_ioctls, ARRAY_LEN(allowed_ioctls));
	if (pol->pci)
		n += allow_requests(p + n, pci_ioctls, ARRAY_LEN(pci_ioctls));
	if (pol->msi)
		n += allow_requests(p + n, msi_ioctls, ARRAY_LEN(msi_ioctls));
	if (pol->flash)
		n += allow_requests(p + n, flash_ioctls, ARRAY_LEN(flash_ioctls));
	if (pol->reboot)
		n += pinned_requests(p + n, pol, deny);
	else
		p[n++] = RET(deny);
	/* Not ioctl: past the block, however long it is. */
	p[0] = JUMP(BPF_JEQ, __NR_ioctl, 1, 0);
	p[1] = SKIP(n - 2);
	return n;
}

static unsigned int build(struct sock_filter *p, const struct seccomp_policy *pol,
			  uint32_t deny)
{
	unsigned int n = 0;
	uint32_t pid = (uint32_t)getpid();

	/* Wrong architecture (e.g. a 32-bit syscall ABI): deny outright. */
	p[n++] = LOAD(offsetof(struct seccomp_data, arch));
	p[n++] = JUMP(BPF_JEQ, TVM_AUDIT_ARCH, 1, 0);
	p[n++] = RET(deny);
	p[n++] = LOAD(offsetof(struct seccomp_data, nr));
	n += block_ioctl(p + n, pol, deny);
	/* No new executable memory: nothing of ours JITs or loads code. */
	n += block_deny_bits(p + n, __NR_mmap, 2, PROT_EXEC, deny);
	n += block_deny_bits(p + n, __NR_mprotect, 2, PROT_EXEC, deny);
	/* New threads (vCPUs, queue workers), never new processes. */
	n += block_need_bits(p + n, __NR_clone, 0, THREAD_CLONE_FLAGS, deny);
	n += block_errno(p + n, __NR_clone3, ENOSYS);	/* its flags are behind a pointer */
	/*
	 * Thread names only: pthread_setname_np() on the calling thread, and
	 * the crash handler (crash.c) naming the thread that faulted.
	 */
	n += block_need_value(p + n, __NR_prctl, 0, PR_SET_NAME, PR_GET_NAME, deny);
	/* Signals to this process's own threads only (vCPU kicks, raise()). */
	n += block_need_value(p + n, __NR_tgkill, 0, pid, pid, deny);
	/* A Tier 2 worker makes itself (pid 0) SCHED_BATCH, nothing else. */
	if (pol->worker_batch)
		n += block_need_values(p + n, __NR_sched_setscheduler, 0, 0, 1, SCHED_BATCH, deny);
	for (unsigned int i = 0; i < N_SYSCALLS; i++) {
		p[n++] = JUMP(BPF_JEQ, (uint32_t)allowed_syscalls[i], 0, 1);
		p[n++] = RET(SECCOMP_RET_ALLOW);
	}
	p[n++] = RET(deny);
	return n;
}

int seccomp_install(const struct seccomp_policy *pol, struct tvm_error *err)
{
	struct sock_filter prog[MAX_PROG];
	struct sock_fprog fprog;
	uint32_t deny = pol->mode == SECCOMP_MODE_LOG ? SECCOMP_RET_LOG : SECCOMP_RET_TRAP;

	if (pol->mode == SECCOMP_MODE_OFF)
		return 0;
	if (pol->reboot && pol->nvcpu_fds + pol->ngic_fds > SECCOMP_MAX_PINNED_FDS)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_ERROR,
				     "seccomp: %u vCPU and vGIC fds to pin, at most %u fit the filter. Use --seccomp off",
				     pol->nvcpu_fds + pol->ngic_fds, SECCOMP_MAX_PINNED_FDS);
	fprog.len = (unsigned short)build(prog, pol, deny);
	fprog.filter = prog;
	/* Without no_new_privs only CAP_SYS_ADMIN may install a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* TSYNC: threads started during set-up (interrupt relay) get it too. */
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog))
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "installing the seccomp filter failed: %s. Use --seccomp off to run without it",
				      strerror(errno));
	return 0;
}
