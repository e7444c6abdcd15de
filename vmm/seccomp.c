// SPDX-License-Identifier: MIT
/*
 * A seccomp-BPF allow-list written by hand: no libseccomp needed, and the
 * whole policy is on this page. Documentation/userspace-api/seccomp_filter.rst.
 */
#include "vmm/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/seccomp.h>
#include <linux/vhost.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <asm/ioctls.h>
#include <unistd.h>

#if defined(__aarch64__)
#define TVM_AUDIT_ARCH AUDIT_ARCH_AARCH64
#include <linux/kvm.h>
#elif defined(__x86_64__)
#define TVM_AUDIT_ARCH AUDIT_ARCH_X86_64
#include <linux/kvm.h>
#else
#error "seccomp: unknown architecture"
#endif

/* What the run loop, vCPU, device and report code call after set-up. */
static const int allowed_syscalls[] = {
	__NR_read, __NR_write, __NR_readv, __NR_writev, __NR_pread64, __NR_close,
	__NR_epoll_pwait, __NR_epoll_ctl, __NR_epoll_create1, __NR_recvfrom, __NR_openat, __NR_newfstatat,
	__NR_fstat, __NR_lseek, __NR_renameat2, __NR_unlinkat, __NR_uname,
	__NR_futex, __NR_clone, __NR_clone3, __NR_set_robust_list, __NR_rseq,
	__NR_mmap, __NR_munmap, __NR_mprotect, __NR_madvise, __NR_brk,
	__NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_tgkill, __NR_getpid, __NR_gettid,
	__NR_exit, __NR_exit_group, __NR_prctl, __NR_sched_yield, __NR_clock_gettime,
	__NR_clock_nanosleep, __NR_nanosleep, __NR_getrandom, __NR_ioctl,
	/* glibc installs its SIGCANCEL/SIGSETXID handlers on the first pthread_create. */
	__NR_rt_sigaction,
	/* Sanitizer runtimes give each thread an alternate signal stack. */
	__NR_sigaltstack,
#ifdef __NR_renameat
	__NR_renameat,
#endif
#ifdef __NR_epoll_wait
	__NR_epoll_wait,
#endif
};

/* ioctl requests allowed at run time (the rest happened during set-up). */
static const unsigned int allowed_ioctls[] = {
	KVM_RUN, KVM_IRQ_LINE,
	KVM_GET_ONE_REG, KVM_GET_MP_STATE,	/* where the vCPUs were at --timeout */
	VHOST_SET_FEATURES, VHOST_SET_MEM_TABLE, VHOST_SET_VRING_NUM, VHOST_SET_VRING_BASE,
	VHOST_SET_VRING_ADDR, VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL, VHOST_SET_VRING_ERR,
	VHOST_GET_VRING_BASE, VHOST_NET_SET_BACKEND,
	TUNSETOFFLOAD, TUNSETQUEUE,
	TCGETS, TCSETS, TCSETSW, TCSETSF,	/* restoring the terminal at exit */
};

#define N_SYSCALLS (sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]))
#define N_IOCTLS (sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]))
#define MAX_PROG (8 + 2 * N_SYSCALLS + 2 * N_IOCTLS)

#define LOAD(off) ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define RET(v) ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v)))

static unsigned int build(struct sock_filter *p, uint32_t deny)
{
	unsigned int n = 0;

	/* Wrong architecture (e.g. a 32-bit syscall ABI): deny outright. */
	p[n++] = LOAD(offsetof(struct seccomp_data, arch));
	p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TVM_AUDIT_ARCH, 1, 0);
	p[n++] = RET(deny);
	p[n++] = LOAD(offsetof(struct seccomp_data, nr));
	/* ioctl: check the request (low 32 bits of argument 1) against its own list. */
	/* Layout after this jump: LOAD, N_IOCTLS (JEQ, ALLOW) pairs, deny, then syscalls. */
	p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0,
					      (unsigned char)(2 * N_IOCTLS + 2));
	p[n++] = LOAD(offsetof(struct seccomp_data, args[1]));
	for (unsigned int i = 0; i < N_IOCTLS; i++) {
		p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allowed_ioctls[i], 0, 1);
		p[n++] = RET(SECCOMP_RET_ALLOW);
	}
	p[n++] = RET(deny);	/* an ioctl request not on the list */
	/* Not ioctl: the jump above lands here (5 + 2 * N_IOCTLS + 1 + 1 = 2N + 2 ahead). */
	for (unsigned int i = 0; i < N_SYSCALLS; i++) {
		p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (uint32_t)allowed_syscalls[i], 0, 1);
		p[n++] = RET(SECCOMP_RET_ALLOW);
	}
	p[n++] = RET(deny);
	return n;
}

int seccomp_install(enum seccomp_mode mode, struct tvm_error *err)
{
	struct sock_filter prog[MAX_PROG + 4];
	struct sock_fprog fprog;
	uint32_t deny = mode == SECCOMP_MODE_LOG ? SECCOMP_RET_LOG : SECCOMP_RET_KILL_PROCESS;

	if (mode == SECCOMP_MODE_OFF)
		return 0;
	fprog.len = (unsigned short)build(prog, deny);
	fprog.filter = prog;
	/* Without no_new_privs only CAP_SYS_ADMIN may install a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return tvm_fail(err, TVM_EXIT_ERROR, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* TSYNC: threads started during set-up (interrupt relay) get it too. */
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog))
		return tvm_fail(err, TVM_EXIT_ERROR,
				"installing the seccomp filter failed: %s. Use --seccomp off to run without it",
				strerror(errno));
	return 0;
}
