// SPDX-License-Identifier: MIT
/*
 * The main thread's event loop: console input, signals, the --timeout timer
 * and stop requests from vCPU threads, all through one epoll set so nothing
 * busy-waits and every way out goes through the same teardown.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vmm/seccomp.h"
#include "vmm/vm_internal.h"

enum loop_source { SRC_STOP, SRC_SIGNAL, SRC_TIMER, SRC_STDIN, SRC_NETLINK, SRC_CONSOLE };

struct loop {
	int epfd, sigfd, timerfd, nlfd;
	uint8_t pending[2 * UART_RX_FIFO_SIZE];	/* filtered input not yet in the FIFO */
	size_t pending_len;
};


static int watch(struct loop *l, int fd, enum loop_source src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = src };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * rtnetlink link events: how a TAP deleted on the host is noticed in every
 * tier. (An epoll entry on the TAP fd without EPOLLIN is never woken: tun
 * signals its detach with an EPOLLIN-keyed wakeup.)
 */
static int open_link_monitor(struct vm *vm, struct loop *l)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };

	l->nlfd = -1;
	if (!vm->net || !vm->net->tap_ifindex)
		return 0;
	l->nlfd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (l->nlfd < 0 || bind(l->nlfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    watch(l, l->nlfd, SRC_NETLINK)) {
		tvm_warn("cannot watch TAP %s for removal (rtnetlink: %s); continuing without",
			 vm->net->opts.tap_name, strerror(errno));
		if (l->nlfd >= 0)
			close(l->nlfd);
		l->nlfd = -1;
	}
	return 0;
}

static void handle_link_event(struct vm *vm, struct loop *l)
{
	char buf[8192];
	ssize_t n;

	while ((n = recv(l->nlfd, buf, sizeof(buf), 0)) > 0) {
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);

			if (h->nlmsg_type == RTM_DELLINK &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifi)) &&
			    ifi->ifi_index == vm->net->tap_ifindex)
				virtio_net_link_down(vm->net, "was deleted on the host");
		}
	}
}

void vm_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	/* Kept blocked here; vCPU threads unblock it for themselves. */
	sigaddset(set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int loop_open(struct vm *vm, struct loop *l, struct tvm_error *err)
{
	sigset_t set;

	vm_block_signals(&set);
	sigdelset(&set, VCPU_KICK_SIGNAL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	l->timerfd = -1;
	l->pending_len = 0;
	if (l->epfd < 0 || l->sigfd < 0 || watch(l, vm->stop_efd, SRC_STOP) ||
	    watch(l, l->sigfd, SRC_SIGNAL))
		return tvm_fail(err, TVM_EXIT_ERROR, "setting up the event loop: %s",
				strerror(errno));
	if (vm->cfg->timeout_s) {
		struct itimerspec its = { .it_value.tv_sec = vm->cfg->timeout_s };

		l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (l->timerfd < 0 || timerfd_settime(l->timerfd, 0, &its, NULL) ||
		    watch(l, l->timerfd, SRC_TIMER))
			return tvm_fail(err, TVM_EXIT_ERROR, "setting up --timeout: %s",
					strerror(errno));
	}
	if (vm->console_efd >= 0 && watch(l, vm->console_efd, SRC_CONSOLE))
		return tvm_fail(err, TVM_EXIT_ERROR, "watching the console for --expect/--fail-on: %s",
				strerror(errno));
	open_link_monitor(vm, l);
	/* stdin may be /dev/null or a file, which epoll refuses: then no input. */
	if (watch(l, STDIN_FILENO, SRC_STDIN))
		vm->console.in_fd = -1;
	return 0;
}

static void loop_close(struct loop *l)
{
	if (l->nlfd >= 0)
		close(l->nlfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
}

static void handle_signal(struct vm *vm, struct loop *l)
{
	struct signalfd_siginfo si;

	if (read(l->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1)
		report_print_stats(vm, stderr);
	else if (si.ssi_signo == SIGINT)
		vm_request_stop(vm, TVM_EXIT_SIGINT, "stopped by SIGINT; exit code 130");
	else
		vm_request_stop(vm, TVM_EXIT_SIGTERM, "stopped by signal %u; exit code 143",
				si.ssi_signo);
}

static void flush_pending(struct vm *vm, struct loop *l)
{
	size_t n = uart_receive(&vm->uart, l->pending, l->pending_len);

	memmove(l->pending, l->pending + n, l->pending_len - n);
	l->pending_len -= n;
}

static void handle_stdin(struct vm *vm, struct loop *l)
{
	uint8_t raw[UART_RX_FIFO_SIZE];
	bool quit;
	ssize_t n;

	if (l->pending_len)
		return;	/* guest has not drained the FIFO yet; retry on the tick */
	n = read(STDIN_FILENO, raw, sizeof(raw));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF: the guest keeps running without input. */
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
		vm->console.in_fd = -1;
		return;
	}
	l->pending_len = console_filter_input(&vm->console, raw, (size_t)n, l->pending, &quit);
	if (quit)
		vm_request_stop(vm, TVM_EXIT_QUIT, "quit with Ctrl-A x; exit code 7");
	flush_pending(vm, l);
}

static void dispatch(struct vm *vm, struct loop *l, enum loop_source src)
{
	switch (src) {
	case SRC_STOP:
		break;	/* exit_code is already set */
	case SRC_SIGNAL:
		handle_signal(vm, l);
		break;
	case SRC_TIMER:
		vm_request_stop(vm, TVM_EXIT_TIMEOUT,
				"--timeout of %u s expired; guest stopped; exit code 4",
				vm->cfg->timeout_s);
		break;
	case SRC_STDIN:
		handle_stdin(vm, l);
		break;
	case SRC_NETLINK:
		handle_link_event(vm, l);
		break;
	case SRC_CONSOLE:
		vm_smoke_check(vm);
		break;
	}
}

static int start_vcpus(struct vm *vm, struct tvm_error *err)
{
	for (unsigned int i = 0; i < vm->ncpus; i++)
		if (vcpu_start(&vm->vcpus[i], err))
			return -1;
	return 0;
}

int vm_main_loop(struct vm *vm)
{
	struct tvm_error err;
	struct loop l = { .epfd = -1, .sigfd = -1, .timerfd = -1, .nlfd = -1 };

	/*
	 * Everything is open; from here on the process needs only the calls on
	 * the seccomp allow-list. The kick handler is installed first
	 * (rt_sigaction is not on the list).
	 */
	vcpu_install_kick_signal();
	if (loop_open(vm, &l, &err) || seccomp_install(vm->cfg->seccomp, &err) ||
	    start_vcpus(vm, &err)) {
		vm_request_stop(vm, err.code, "%s", err.msg);
		loop_close(&l);
		return vm->exit_code;
	}
	while (!vm_stopping(vm)) {
		struct epoll_event evs[4];
		int wait_ms = vm_smoke_wait_ms(vm), n;

		/* While input waits for FIFO space, poll it every 10 ms. */
		if (l.pending_len && (wait_ms < 0 || wait_ms > 10))
			wait_ms = 10;
		n = epoll_wait(l.epfd, evs, 4, wait_ms);

		if (n < 0 && errno != EINTR) {
			vm_request_stop(vm, TVM_EXIT_ERROR, "epoll_wait: %s", strerror(errno));
			break;
		}
		if (l.pending_len)
			flush_pending(vm, &l);
		for (int i = 0; i < n; i++)
			dispatch(vm, &l, (enum loop_source)evs[i].data.u32);
		vm_smoke_tick(vm);
	}
	loop_close(&l);
	return vm->exit_code;
}
