// SPDX-License-Identifier: MIT
/*
 * The real allow-list, installed in a forked child: allowed calls work,
 * anything else kills the process with SIGSYS.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/seccomp.h"

/* Run @fn in a child under the filter; return its wait status. */
static int run_confined(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct tvm_error err;

		if (seccomp_install(SECCOMP_MODE_ON, &err))
			_exit(100);
		fn();
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
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
