// SPDX-License-Identifier: MIT
/*
 * The main thread's event loop: console input, signals, the --timeout timer
 * and stop requests from vCPU threads, all through one epoll set so nothing
 * busy-waits and every way out goes through the same teardown.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "vmm/core/seccomp.h"
#include "lib/dev_lock.h"
#include "vmm/core/vm_internal.h"
#include "vmm/core/vm_pci.h"

enum loop_source {
	SRC_STOP, SRC_SIGNAL, SRC_TIMER, SRC_STDIN, SRC_NETLINK, SRC_TAP_GONE,
	SRC_UART_SPACE, SRC_INPUT_PACE, SRC_CONSOLE, SRC_RTC,
};

/*
 * Console input is paced so that a host pipe (`yes | tinyvmm`) cannot starve
 * the guest: each byte costs the guest's 8250 driver register exits (LSR,
 * RBR, and the echo), which under nested virtualisation take longer than a
 * real line delivers bytes. So a FIFO's worth goes in only after the guest
 * has read the last one, and only after a pause as long as that reading
 * took (the guest keeps at least half its time), and never faster than a
 * 16550 at 115200 baud (10 bits a byte).
 */
#define INPUT_NS_PER_BYTE	86806ULL

struct loop {
	int epfd, sigfd, timerfd, nlfd, pacefd;
	uint8_t pending[2 * UART_RX_FIFO_SIZE];	/* filtered input not yet in the FIFO */
	size_t pending_len;
	bool stdin_watched;	/* stdin is in the epoll set */
	bool pacing;		/* pacefd armed: wait before feeding the FIFO again */
	bool in_fifo;		/* bytes fed that the guest has not read yet */
	uint64_t fed_ns;	/* when they were fed */
	size_t fed_bytes;
};


static int watch(struct loop *l, int fd, enum loop_source src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = src };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * stdin is level-triggered: in the set only while we would read it. Taken
 * out, not left with no events: epoll reports EPOLLHUP regardless, so a
 * closed pipe would wake the loop forever while input waits for the guest.
 */
static void watch_stdin(struct vm *vm, struct loop *l, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = SRC_STDIN };

	if (vm->console.in_fd < 0 || l->stdin_watched == on)
		return;
	if (epoll_ctl(l->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, STDIN_FILENO, &ev) == 0)
		l->stdin_watched = on;
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
	struct sockaddr_nl from;
	socklen_t from_len = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(l->nlfd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &from_len)) > 0) {
		/* Only the kernel speaks for links: any process can unicast to us. */
		if (from_len != sizeof(from) || from.nl_pid != 0) {
			from_len = sizeof(from);
			continue;
		}
		from_len = sizeof(from);
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

/* A worker found the TAP unreadable (workers never take the device lock). */
static void handle_tap_gone(struct vm *vm)
{
	if (eventfd_drain(vm->net->tap_gone_fd))
		virtio_net_link_down(vm->net, "is gone (read failed)");
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
	l->pacefd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->epfd < 0 || l->sigfd < 0 || l->pacefd < 0 || watch(l, vm->stop_efd, SRC_STOP) ||
	    watch(l, l->sigfd, SRC_SIGNAL) || watch(l, l->pacefd, SRC_INPUT_PACE) ||
	    watch(l, vm->uart_space_efd, SRC_UART_SPACE) ||
	    (vm->net && watch(l, vm->net->tap_gone_fd, SRC_TAP_GONE)))
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "setting up the event loop: %s", strerror(errno));
	if (vm->cfg->timeout_s) {
		struct itimerspec its = { .it_value.tv_sec = vm->cfg->timeout_s };

		l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (l->timerfd < 0 || timerfd_settime(l->timerfd, 0, &its, NULL) ||
		    watch(l, l->timerfd, SRC_TIMER))
			return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
					      "setting up --timeout: %s", strerror(errno));
	}
	if (vm->rtc_timerfd >= 0 && watch(l, vm->rtc_timerfd, SRC_RTC))
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "watching the RTC's timer: %s", strerror(errno));
	if (vm->console_efd >= 0 && watch(l, vm->console_efd, SRC_CONSOLE))
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "watching the console for --expect/--fail-on: %s",
				      strerror(errno));
	open_link_monitor(vm, l);
	/* stdin may be /dev/null or a file, which epoll refuses: then no input. */
	if (watch(l, STDIN_FILENO, SRC_STDIN))
		vm->console.in_fd = -1;
	else
		l->stdin_watched = true;
	return 0;
}

static void loop_close(struct loop *l)
{
	if (l->nlfd >= 0)
		close(l->nlfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->pacefd >= 0)
		close(l->pacefd);
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void start_pacing(struct loop *l, uint64_t ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(ns / 1000000000ULL),
			      .tv_nsec = (long)(ns % 1000000000ULL) },
	};

	if (!ns)
		return;
	l->pacing = timerfd_settime(l->pacefd, 0, &its, NULL) == 0;
}

/* The guest read the last byte fed: pause as long as that took, at least the line time. */
static void input_drained(struct vm *vm, struct loop *l)
{
	uint64_t now = now_ns(), took = now - l->fed_ns;
	uint64_t line_end = l->fed_ns + l->fed_bytes * INPUT_NS_PER_BYTE;
	uint64_t next = now + took > line_end ? now + took : line_end;

	l->in_fifo = false;
	start_pacing(l, next - now);
}

/*
 * Move pending input into the UART's FIFO when the guest has read what it
 * had and the pause is over, and read stdin again only when nothing is
 * pending. Called on every event that can change that: new input, the
 * pacing timer, the guest draining the FIFO (uart_space_efd). Nothing here
 * polls.
 */
static void feed_input(struct vm *vm, struct loop *l)
{
	size_t n;

	if (l->pending_len && !l->pacing && !l->in_fifo) {
		n = vm_serial_receive(vm, l->pending, l->pending_len);
		memmove(l->pending, l->pending + n, l->pending_len - n);
		l->pending_len -= n;
		if (n) {
			l->in_fifo = true;
			l->fed_ns = now_ns();
			l->fed_bytes = n;
		}
	}
	watch_stdin(vm, l, !l->pending_len && !l->pacing && !l->in_fifo);
}

static void handle_stdin(struct vm *vm, struct loop *l)
{
	uint8_t raw[UART_RX_FIFO_SIZE];
	bool quit;
	ssize_t n;

	if (l->pending_len)
		return;	/* not watched while input is pending; a stale event */
	n = read(STDIN_FILENO, raw, sizeof(raw));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF: the guest keeps running without input. */
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
		vm->console.in_fd = -1;
		l->stdin_watched = false;
		return;
	}
	l->pending_len = console_filter_input(&vm->console, raw, (size_t)n, l->pending, &quit);
	if (quit)
		vm_request_stop(vm, TVM_EXIT_QUIT, "quit with Ctrl-A x; exit code 7");
	feed_input(vm, l);
}

static void handle_pace_timer(struct vm *vm, struct loop *l)
{
	uint64_t expirations;

	if (read(l->pacefd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	l->pacing = false;
	feed_input(vm, l);
}

static void dispatch(struct vm *vm, struct loop *l, enum loop_source src)
{
	struct tvm_error err;

	switch (src) {
	case SRC_STOP:
		/*
		 * exit_code is set, or a vCPU asked for a reboot (--on-reset
		 * reboot). Drained either way: a second vCPU's request that the
		 * last reboot already served must not keep waking the loop.
		 */
		if (vm_stopping(vm))
			break;
		eventfd_drain(vm->stop_efd);
		if (vm_rebooting(vm) && vm_reboot(vm, &err))
			vm_request_stop(vm, err.code, "%s", err.msg);
		break;
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
	case SRC_TAP_GONE:
		handle_tap_gone(vm);
		break;
	case SRC_UART_SPACE:
		eventfd_drain(vm->uart_space_efd);
		input_drained(vm, l);
		feed_input(vm, l);
		break;
	case SRC_INPUT_PACE:
		handle_pace_timer(vm, l);
		break;
	case SRC_CONSOLE:
		vm_smoke_check(vm);
		break;
	case SRC_RTC:
		vm_rtc_timer(vm);
		break;
	}
}

/* The kick may end KVM_RUN only: the threads' mask (loop_open() set it) minus the kick. */
static int set_kick_masks(struct vm *vm, struct tvm_error *err)
{
	sigset_t blocked;

	pthread_sigmask(SIG_BLOCK, NULL, &blocked);
	for (unsigned int i = 0; i < vm->ncpus; i++)
		if (vcpu_set_kick_mask(&vm->vcpus[i], &blocked, err))
			return -1;
	return 0;
}

/*
 * The allow-list for this configuration: the pci and MSI lists only where
 * they are used, sched_setscheduler only with --worker-sched batch, the
 * reboot requests only on the vCPU and vGIC/ITS fds.
 */
static int install_sandbox(struct vm *vm, struct tvm_error *err)
{
	int gic_fds[2] = { vm->gic.fd, vm->gic.its_fd };
	int *vcpu_fds = calloc(vm->ncpus, sizeof(*vcpu_fds));
	struct seccomp_policy pol = {
		.mode = (enum seccomp_mode)vm->cfg->seccomp,
		.pci = vm->pci != NULL,
		.msi = vm->pci && vm_pci_msi_mode(vm) != MSI_MODE_INTX,
		.reboot = vm->cfg->reboot_on_reset,
		.flash = vm->flash.nbanks > 0,
		/* Also under vhost-net: --vhost auto may fall back to Tier 2's workers. */
		.worker_batch = vm->net && vm->net->opts.worker_batch,
		.vcpu_fds = vcpu_fds,
		.nvcpu_fds = vm->ncpus,
		.gic_fds = gic_fds,
		.ngic_fds = vm->gic.its_fd >= 0 ? 2 : 1,
	};
	int ret;

	if (!vcpu_fds)
		return tvm_fail_kind(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				     "out of memory building the seccomp filter");
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_fds[i] = vm->vcpus[i].fd;
	ret = seccomp_install(&pol, err);
	free(vcpu_fds);
	return ret;
}

int vm_main_loop(struct vm *vm)
{
	struct tvm_error err;
	struct loop l = { .epfd = -1, .sigfd = -1, .timerfd = -1, .nlfd = -1, .pacefd = -1 };

	/*
	 * Everything is open; from here on the process needs only the calls on
	 * the seccomp allow-list. The kick handler is installed before it, as
	 * part of set-up (rt_sigaction stays allowed only for glibc's own
	 * handlers on the first pthread_create).
	 */
	vcpu_install_kick_signal();
	if (loop_open(vm, &l, &err) || set_kick_masks(vm, &err) ||
	    install_sandbox(vm, &err) ||
	    vm_start_vcpus(vm, &err)) {
		vm_request_stop(vm, err.code, "%s", err.msg);
		loop_close(&l);
		return vm->exit_code;
	}
	while (!vm_stopping(vm)) {
		struct epoll_event evs[8];
		int n;

		dev_lock_assert_none("the main loop's epoll_wait");
		n = epoll_wait(l.epfd, evs, 8, vm_smoke_wait_ms(vm));

		if (n < 0 && errno != EINTR) {
			vm_request_stop(vm, TVM_EXIT_ERROR, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(vm, &l, (enum loop_source)evs[i].data.u32);
		vm_smoke_tick(vm);
	}
	loop_close(&l);
	return vm->exit_code;
}
