// SPDX-License-Identifier: MIT
/*
 * The real allow-list, installed in a forked child: allowed calls work,
 * anything else kills the process with SIGSYS.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include "vmm/core/seccomp.h"
#include "vmm/crash.h"

/* Run @fn in a child under the filter of @pol; its wait status. */
static int run_confined_policy(void (*fn)(void), const struct seccomp_policy *pol)
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct tvm_error err;

		if (seccomp_install(pol, &err))
			_exit(100);
		fn();
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* The fds the reboot ioctls are pinned to in these tests. */
static const int test_vcpu_fds[] = { STDOUT_FILENO }, test_gic_fds[] = { STDIN_FILENO };

/*
 * Run @fn under the filter (@msi: the --transport pci lists with MSI-X,
 * @reboot: the --on-reset reboot list, on the test fds above).
 */
static int run_confined_with(void (*fn)(void), bool msi, bool reboot)
{
	struct seccomp_policy pol = {
		.mode = SECCOMP_MODE_ON, .pci = msi, .msi = msi, .reboot = reboot,
		.vcpu_fds = test_vcpu_fds, .nvcpu_fds = 1,
		.gic_fds = test_gic_fds, .ngic_fds = 1,
	};

	return run_confined_policy(fn, &pol);
}

/* Run @fn under the filter of --worker-sched @batch (normal: false). */
static int run_confined_sched(void (*fn)(void), bool batch)
{
	struct seccomp_policy pol = { .mode = SECCOMP_MODE_ON, .worker_batch = batch };

	return run_confined_policy(fn, &pol);
}

static int run_confined_as(void (*fn)(void), bool msi)
{
	return run_confined_with(fn, msi, false);
}

static int run_confined(void (*fn)(void))
{
	return run_confined_as(fn, false);
}

static void allowed_calls(void)
{
	char c = 'x';

	if (write(STDERR_FILENO, &c, 0) < 0)
		_exit(1);
	if (getpid() <= 0)
		_exit(2);
}

static void forbidden_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
	_exit(0);	/* must not get here */
}

static void forbidden_execve(void)
{
	char *argv[] = { "/bin/true", NULL };

	execve("/bin/true", argv, NULL);
	_exit(0);
}

static void forbidden_ioctl_request(void)
{
	/* TUNSETIFF would create or attach interfaces: set-up only. */
	ioctl(0, TUNSETIFF, NULL);
	_exit(0);
}

static void allowed_ioctl_request(void)
{
	/* TUNSETOFFLOAD on a non-TAP fd fails with an errno, but is let through. */
	ioctl(STDIN_FILENO, TUNSETOFFLOAD, 0UL);
	/* So is the vnet header size each activation sets (a legacy driver's 10). */
	ioctl(STDIN_FILENO, TUNSETVNETHDRSZ, &(int){ 10 });
	_exit(0);
}

Test(seccomp, allowed_calls_work)
{
	int status = run_confined(allowed_calls);

	cr_assert(WIFEXITED(status), "killed by signal %d", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0);
}

Test(seccomp, forbidden_socket_kills_the_process)
{
	int status = run_confined(forbidden_socket);

	cr_assert(WIFSIGNALED(status), "socket() was allowed");
	cr_assert_eq(WTERMSIG(status), SIGSYS);
}

Test(seccomp, forbidden_execve_kills_the_process)
{
	int status = run_confined(forbidden_execve);

	cr_assert(WIFSIGNALED(status));
	cr_assert_eq(WTERMSIG(status), SIGSYS);
}

Test(seccomp, ioctl_requests_are_filtered_individually)
{
	int status = run_confined(forbidden_ioctl_request);

	cr_assert(WIFSIGNALED(status), "TUNSETIFF was allowed");
	cr_assert_eq(WTERMSIG(status), SIGSYS);
	status = run_confined(allowed_ioctl_request);
	cr_assert(WIFEXITED(status), "TUNSETOFFLOAD or TUNSETVNETHDRSZ was refused");
}

static void *thread_fn(void *arg)
{
	char name[16];

	pthread_setname_np(pthread_self(), "confined");	/* prctl(PR_SET_NAME) */
	/* What crash.c's handler does for the faulting thread's name. */
	if (prctl(PR_GET_NAME, name, 0, 0, 0) || strcmp(name, "confined"))
		return NULL;
	return arg;
}

static void new_thread(void)
{
	pthread_t t;
	void *ret = NULL;

	/* glibc tries clone3 (ENOSYS here), then clone with thread flags. */
	if (pthread_create(&t, NULL, thread_fn, &ret) || pthread_join(t, &ret) || ret != &ret)
		_exit(3);
	_exit(0);
}

static void forbidden_fork(void)
{
	fork();
	_exit(0);
}

static void forbidden_exec_mapping(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(4);
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	_exit(0);
}

static void forbidden_exec_mmap(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	_exit(0);
}

static void allowed_guard_page(void)
{
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p, 4096, PROT_NONE))
		_exit(5);
	_exit(0);
}

static void forbidden_prctl(void)
{
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	_exit(0);
}

static void forbidden_open(void)
{
	open("/dev/null", O_RDONLY);	/* files are opened during set-up only */
	_exit(0);
}

static void assert_killed(void (*fn)(void), const char *what)
{
	int status = run_confined(fn);

	cr_assert(WIFSIGNALED(status), "%s was allowed (exit %d)", what, WEXITSTATUS(status));
	cr_assert_eq(WTERMSIG(status), SIGSYS);
}

static void assert_allowed(void (*fn)(void), const char *what)
{
	int status = run_confined(fn);

	cr_assert(WIFEXITED(status), "%s was killed by signal %d", what, WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "%s failed", what);
}

Test(seccomp, threads_may_start_and_name_themselves)
{
	assert_allowed(new_thread, "pthread_create");
}

Test(seccomp, no_new_processes)
{
	assert_killed(forbidden_fork, "fork");
}

Test(seccomp, no_new_executable_memory)
{
	assert_killed(forbidden_exec_mapping, "mprotect(PROT_EXEC)");
	assert_killed(forbidden_exec_mmap, "mmap(PROT_EXEC)");
	assert_allowed(allowed_guard_page, "mmap + mprotect(PROT_NONE)");
}

Test(seccomp, prctl_only_sets_thread_names)
{
	assert_killed(forbidden_prctl, "prctl(PR_SET_DUMPABLE)");
}

Test(seccomp, no_files_opened_after_set_up)
{
	assert_killed(forbidden_open, "open");
}

static void msi_ioctl(void)
{
	/* On a non-KVM fd it fails with an errno, when the filter lets it through. */
	ioctl(STDIN_FILENO, KVM_SET_GSI_ROUTING, NULL);
	_exit(0);
}

Test(seccomp, msi_routing_ioctls_only_with_the_pci_transport)
{
	int status = run_confined_as(msi_ioctl, false);

	cr_assert(WIFSIGNALED(status), "KVM_SET_GSI_ROUTING allowed without --transport pci");
	cr_assert_eq(WTERMSIG(status), SIGSYS);
	status = run_confined_as(msi_ioctl, true);
	cr_assert(WIFEXITED(status), "KVM_SET_GSI_ROUTING refused with --transport pci");
}

static void device_attr_ioctl(void)
{
	/* Not a KVM fd: fails with ENOTTY, but only after the filter let it through. */
	ioctl(STDIN_FILENO, KVM_SET_DEVICE_ATTR, NULL);
}

/* The vGIC/ITS reset of a guest reboot: not otherwise needed at run time. */
Test(seccomp, device_attrs_only_with_on_reset_reboot)
{
	int status = run_confined_with(device_attr_ioctl, true, false);

	cr_assert(WIFSIGNALED(status), "KVM_SET_DEVICE_ATTR allowed without --on-reset reboot");
	status = run_confined_with(device_attr_ioctl, false, true);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "KVM_SET_DEVICE_ATTR refused with --on-reset reboot (status 0x%x)", status);
}

static void tgkill_own_thread(void)
{
	/* Signal 0: only checks that the thread exists (what a kick's tgkill reaches). */
	if (syscall(__NR_tgkill, getpid(), gettid(), 0))
		_exit(6);
	_exit(0);
}

static pid_t parent_pid;	/* set before the fork: getppid() is not on the list */

static void tgkill_other_process(void)
{
	syscall(__NR_tgkill, parent_pid, parent_pid, 0);
	_exit(0);
}

/* tgkill reaches this process's threads only, never another process. */
Test(seccomp, tgkill_only_toward_this_process)
{
	parent_pid = getpid();
	assert_allowed(tgkill_own_thread, "tgkill toward its own thread");
	assert_killed(tgkill_other_process, "tgkill toward the parent process");
}

static void set_device_attr_on_vcpu_fd(void)
{
	ioctl(test_vcpu_fds[0], KVM_SET_DEVICE_ATTR, NULL);
	_exit(0);
}

static void set_one_reg_on_vcpu_fd(void)
{
	ioctl(test_vcpu_fds[0], KVM_SET_ONE_REG, NULL);
	_exit(0);
}

static void set_one_reg_on_gic_fd(void)
{
	ioctl(test_gic_fds[0], KVM_SET_ONE_REG, NULL);
	_exit(0);
}

static void get_device_attr_on_gic_fd(void)
{
	ioctl(test_gic_fds[0], KVM_GET_DEVICE_ATTR, NULL);
	_exit(0);
}

static void assert_status_allowed(int status, const char *what)
{
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s was refused (status 0x%x)",
		  what, status);
}

static void assert_status_killed(int status, const char *what)
{
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		  "%s was allowed (status 0x%x)", what, status);
}

/* --on-reset reboot: vCPU requests on the vCPU fds, device attributes on the vGIC's. */
Test(seccomp, reboot_ioctls_only_on_their_fds)
{
	assert_status_allowed(run_confined_with(set_one_reg_on_vcpu_fd, false, true),
			      "KVM_SET_ONE_REG on a vCPU fd");
	assert_status_killed(run_confined_with(set_one_reg_on_gic_fd, false, true),
			     "KVM_SET_ONE_REG on the vGIC fd");
	assert_status_allowed(run_confined_with(get_device_attr_on_gic_fd, false, true),
			      "KVM_GET_DEVICE_ATTR on the vGIC fd");
	assert_status_killed(run_confined_with(set_device_attr_on_vcpu_fd, false, true),
			     "KVM_SET_DEVICE_ATTR on a vCPU fd");
	assert_status_killed(run_confined_with(set_one_reg_on_vcpu_fd, true, false),
			     "KVM_SET_ONE_REG without --on-reset reboot");
}

#define MANY_FDS 250
static int many_fds[MANY_FDS];

static void set_one_reg_on_last_of_many(void)
{
	ioctl(many_fds[MANY_FDS - 1], KVM_SET_ONE_REG, NULL);
	_exit(0);
}

static void set_one_reg_on_one_past_many(void)
{
	ioctl(many_fds[MANY_FDS - 1] + 1, KVM_SET_ONE_REG, NULL);
	_exit(0);
}

/* Many vCPUs: the pinned-fd checks are longer than an 8-bit jump. */
Test(seccomp, reboot_fd_pins_hold_for_many_vcpus)
{
	struct seccomp_policy pol = {
		.mode = SECCOMP_MODE_ON, .reboot = true,
		.vcpu_fds = many_fds, .nvcpu_fds = MANY_FDS,
		.gic_fds = test_gic_fds, .ngic_fds = 1,
	};

	for (int i = 0; i < MANY_FDS; i++)
		many_fds[i] = 1000 + i;
	assert_status_allowed(run_confined_policy(set_one_reg_on_last_of_many, &pol),
			      "KVM_SET_ONE_REG on the last of 250 vCPU fds");
	assert_status_killed(run_confined_policy(set_one_reg_on_one_past_many, &pol),
			     "KVM_SET_ONE_REG on an fd not pinned");
	assert_status_allowed(run_confined_policy(get_device_attr_on_gic_fd, &pol),
			      "KVM_GET_DEVICE_ATTR on the vGIC fd, past 250 vCPU fds");
}

static void ioeventfd_ioctl(void)
{
	ioctl(STDIN_FILENO, KVM_IOEVENTFD, NULL);
	_exit(0);
}

static void irqfd_ioctl(void)
{
	ioctl(STDIN_FILENO, KVM_IRQFD, NULL);
	_exit(0);
}

static void signal_msi_ioctl(void)
{
	ioctl(STDIN_FILENO, KVM_SIGNAL_MSI, NULL);
	_exit(0);
}

/* --transport pci with INTx only: the notification BAR, no MSI ioctls. */
Test(seccomp, intx_only_pci_has_no_msi_ioctls)
{
	struct seccomp_policy pol = { .mode = SECCOMP_MODE_ON, .pci = true, .msi = false };

	assert_status_allowed(run_confined_policy(ioeventfd_ioctl, &pol), "KVM_IOEVENTFD (INTx)");
	assert_status_killed(run_confined_policy(msi_ioctl, &pol), "KVM_SET_GSI_ROUTING (INTx)");
	assert_status_killed(run_confined_policy(irqfd_ioctl, &pol), "KVM_IRQFD (INTx)");
	assert_status_killed(run_confined_policy(signal_msi_ioctl, &pol), "KVM_SIGNAL_MSI (INTx)");
	pol.msi = true;
	assert_status_allowed(run_confined_policy(signal_msi_ioctl, &pol), "KVM_SIGNAL_MSI (MSI-X)");
}

/* Run @fn under the filter with crash.c's handlers; its stderr in @buf, its wait status. */
static int run_reported(void (*fn)(void), char *buf, size_t size)
{
	struct seccomp_policy pol = { .mode = SECCOMP_MODE_ON };
	int pipefd[2], status;
	size_t len = 0;
	ssize_t got;
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct tvm_error err;

		dup2(pipefd[1], STDERR_FILENO);
		crash_handler_install();
		if (seccomp_install(&pol, &err))
			_exit(100);
		fn();
		_exit(0);
	}
	close(pipefd[1]);
	while (len + 1 < size && (got = read(pipefd[0], buf + len, size - 1 - len)) > 0)
		len += (size_t)got;
	buf[len] = '\0';
	close(pipefd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void refused_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
}

/* A refused call is named on stderr, and the run ends with exit code 10. */
Test(seccomp, a_refused_call_is_named_and_exits_10)
{
	char out[1024], want[128];
	int status = run_reported(refused_socket, out, sizeof(out));

	cr_assert(WIFEXITED(status), "died of signal %d, not exit 10; stderr: %s",
		  WTERMSIG(status), out);
	cr_assert_eq(WEXITSTATUS(status), TVM_EXIT_SECCOMP, "stderr: %s", out);
	snprintf(want, sizeof(want), "tinyvmm: seccomp refused system call %d (socket) in thread ",
		 __NR_socket);
	cr_assert_not_null(strstr(out, want), "stderr: %s", out);
	cr_assert_not_null(strstr(out, "Exit code 10\n"), "stderr: %s", out);
}

static void refused_ioctl(void)
{
	ioctl(STDIN_FILENO, TUNSETIFF, NULL);
}

Test(seccomp, a_refused_ioctl_names_its_fd_and_request)
{
	char out[1024], want[128];
	int status = run_reported(refused_ioctl, out, sizeof(out));

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == TVM_EXIT_SECCOMP,
		  "status 0x%x; stderr: %s", status, out);
	snprintf(want, sizeof(want), "(ioctl on fd 0, request 0x%016lx)",
		 (unsigned long)TUNSETIFF);
	cr_assert_not_null(strstr(out, want), "want %s; stderr: %s", want, out);
}

Test(seccomp, too_many_fds_to_pin_is_refused_before_anything_is_installed)
{
	static int fds[SECCOMP_MAX_PINNED_FDS];
	struct seccomp_policy pol = { .mode = SECCOMP_MODE_ON, .reboot = true,
				      .vcpu_fds = fds, .nvcpu_fds = SECCOMP_MAX_PINNED_FDS,
				      .gic_fds = fds, .ngic_fds = 1 };
	struct tvm_error err = { 0 };

	cr_assert_eq(seccomp_install(&pol, &err), -1);
	cr_assert_eq(err.kind, TVM_ERR_INPUT, "--seccomp off or fewer --cpus fixes it: %s", err.msg);
	cr_assert_eq(err.errnum, 0);
	cr_assert_eq(err.code, TVM_EXIT_ERROR);
	cr_assert_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0, "nothing was installed");
	cr_assert_not_null(strstr(err.msg, "Use --seccomp off"), "%s", err.msg);
}

static void make_self_batch(void)
{
	struct sched_param none = { 0 };

	_exit(sched_setscheduler(0, SCHED_BATCH, &none) ? 1 : 0);
}

static void make_self_fifo(void)
{
	struct sched_param one = { .sched_priority = 1 };

	sched_setscheduler(0, SCHED_FIFO, &one);
	_exit(0);
}

/* Its own pid, but the filter admits 0 only: no pid names another process. */
static void make_pid_batch(void)
{
	struct sched_param none = { 0 };

	sched_setscheduler(getpid(), SCHED_BATCH, &none);
	_exit(0);
}

Test(seccomp, worker_sched_batch_lets_a_thread_make_itself_batch_only)
{
	int status = run_confined_sched(make_self_batch, true);

	cr_assert(WIFEXITED(status), "killed by signal %d", WTERMSIG(status));
	cr_assert_neq(WEXITSTATUS(status), 100, "the filter did not install");
	cr_assert_eq(WEXITSTATUS(status), 0, "SCHED_BATCH on itself refused");
	status = run_confined_sched(make_self_fifo, true);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "SCHED_FIFO was allowed");
	status = run_confined_sched(make_pid_batch, true);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "a pid other than 0 was allowed");
}

Test(seccomp, worker_sched_normal_allows_no_policy_change)
{
	int status = run_confined_sched(make_self_batch, false);

	cr_assert(WIFSIGNALED(status), "sched_setscheduler() was allowed");
	cr_assert_eq(WTERMSIG(status), SIGSYS);
}
