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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/core/seccomp.h"

/*
 * Run @fn in a child under the filter (@msi: the --transport pci list,
 * @reboot: the --on-reset reboot list); its wait status.
 */
static int run_confined_with(void (*fn)(void), bool msi, bool reboot)
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct tvm_error err;

		if (seccomp_install(SECCOMP_MODE_ON, msi, reboot, false, &err))
			_exit(100);
		fn();
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
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
	cr_assert(WIFEXITED(status), "TUNSETOFFLOAD was refused");
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
