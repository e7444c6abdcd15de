// SPDX-License-Identifier: MIT
/*
 * CI smoke tests: --expect / --fail-on on the console, the --exit-device
 * register, and the boot milestones. The matching itself is in
 * console_match.c and console_watch.c; this file decides what a match, an
 * exit-device write or the end of the run means for the exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/core/vm_internal.h"

static void exit_dev_request(void *opaque, unsigned int status, uint32_t written)
{
	struct vm *vm = opaque;

	if (vm_request_stop(vm, (int)status,
			    "guest wrote 0x%x to the exit device; exit code %u", written, status))
		vm->exit_device_stop = true;
}

static int add_exit_device(struct vm *vm, struct tvm_error *err)
{
	struct exit_dev_ops ops = { .request_exit = exit_dev_request, .opaque = vm };

	exit_dev_init(&vm->exit_dev, &ops);
	if (mmio_bus_register(&vm->bus, vm->board->exit_device.base, vm->board->exit_device.size,
			      exit_dev_mmio, &vm->exit_dev, "exit-device"))
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "cannot register the exit device");
	return 0;
}

static int add_watch(struct vm *vm, struct tvm_error *err)
{
	const struct vm_config *cfg = vm->cfg;
	struct console_match_config mc = {
		.expect = cfg->expect,
		.fail_on = cfg->fail_on,
		.nfail_on = cfg->nfail_on,
		.default_fail_on = cfg->expect && !cfg->no_default_fail_on,
	};

	vm->console_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->console_efd < 0)
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "cannot create an eventfd: %s", strerror(errno));
	vm->watch = malloc(sizeof(*vm->watch));
	if (!vm->watch)
		return tvm_fail_kind(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				     "out of memory for the console matcher");
	if (console_watch_init(vm->watch, &mc, vm->console_efd, err)) {
		free(vm->watch);
		vm->watch = NULL;
		return -1;
	}
	return 0;
}

int vm_smoke_setup(struct vm *vm, struct tvm_error *err)
{
	const struct vm_config *cfg = vm->cfg;

	boot_milestones_init(&vm->milestones);
	vm->match_deferred_at = -1;
	if (cfg->exit_device && add_exit_device(vm, err))
		return -1;
	if ((cfg->expect || cfg->nfail_on) && add_watch(vm, err))
		return -1;
	if (cfg->expect && !cfg->timeout_s)
		tvm_warn("--expect without --timeout waits for ever if the guest hangs before it matches. Add --timeout SECONDS");
	return 0;
}

void vm_smoke_teardown(struct vm *vm)
{
	if (vm->watch) {
		console_watch_destroy(vm->watch);
		free(vm->watch);
	}
	vm->watch = NULL;
	if (vm->console_efd >= 0)
		close(vm->console_efd);
	vm->console_efd = -1;
}

/* The run ends on a match: say which pattern, when, and (failures) the line. */
static void stop_on_match(struct vm *vm, enum console_match_kind kind, double t)
{
	const struct console_match *m = &vm->watch->match;

	if (kind == CONSOLE_MATCH_EXPECT) {
		vm->milestones.expect_matched = t;
		vm_request_stop(vm, TVM_EXIT_POWEROFF,
				"console matched --expect '%s' after %.2f s; guest stopped; exit code 0",
				m->matched->text, t);
		return;
	}
	vm->fail_stopped = vm_request_stop(vm, TVM_EXIT_FAIL_ON,
			"console matched --fail-on '%s'%s after %.2f s in line \"%s\"; guest stopped; exit code 8",
			m->matched->text,
			m->matched->is_default ? " (a default with --expect; --no-default-fail-on drops it)" : "",
			t, m->matched_line);
}

/*
 * A --fail-on match stops the guest only once it has had its say: when the
 * console has been quiet for SMOKE_FAIL_QUIET_S, at most SMOKE_FAIL_GRACE_S
 * after the match. A panic's reason and backtrace come after the line that
 * matched, and are what the job's log is for.
 */
#define SMOKE_FAIL_QUIET_S	1.0
#define SMOKE_FAIL_GRACE_S	10.0
/* Longest a burst's deferred search waits (console_match_check_bounded()). */
#define SMOKE_DEFER_S		0.05

static void matched(struct vm *vm, enum console_match_kind kind, double now)
{
	double t = now - vm->start_time;

	if (kind == CONSOLE_MATCH_EXPECT) {
		stop_on_match(vm, kind, t);
		return;
	}
	vm->fail_pending = true;
	vm->match_time = t;
}

/* vCPU thread, no device lock held: every byte the guest writes to the console. */
void vm_smoke_output(struct vm *vm, const uint8_t *buf, size_t len)
{
	if (vm->milestones.first_user_line < 0)
		boot_milestones_output(&vm->milestones, buf, len, report_now, vm->start_time);
	if (vm->watch)
		console_watch_output(vm->watch, buf, len);
}

/*
 * Main loop: the watch's eventfd fired (a burst of output began). The
 * search may be deferred to bound its work per burst; deferred bytes are
 * searched SMOKE_DEFER_S after the first of them (vm_smoke_tick()).
 */
void vm_smoke_check(struct vm *vm)
{
	enum console_match_kind kind;
	double now = report_now();
	bool pending;

	eventfd_drain(vm->console_efd);
	vm->last_output = now;
	kind = console_watch_poll(vm->watch, &pending);
	if (kind)
		matched(vm, kind, now);
	if (!pending)
		vm->match_deferred_at = -1;
	else if (vm->match_deferred_at < 0)
		vm->match_deferred_at = now;
}

/* Seconds until deferred output is due to be searched (0: now), or -1. */
static double deferred_due_in(const struct vm *vm, double now)
{
	double due;

	if (vm->match_deferred_at < 0)
		return -1;
	due = vm->match_deferred_at + SMOKE_DEFER_S - now;
	return due > 0 ? due : 0;
}

/* Seconds until a pending --fail-on stop is due (0: now), or -1. */
static double fail_due_in(const struct vm *vm, double now)
{
	double quiet, grace;

	if (!vm->fail_pending)
		return -1;
	quiet = vm->last_output + SMOKE_FAIL_QUIET_S - now;
	grace = vm->start_time + vm->match_time + SMOKE_FAIL_GRACE_S - now;
	quiet = quiet < grace ? quiet : grace;
	return quiet > 0 ? quiet : 0;
}

int vm_smoke_wait_ms(const struct vm *vm)
{
	double now, due, deferred;

	if (!vm->fail_pending && vm->match_deferred_at < 0)
		return -1;
	now = report_now();
	due = fail_due_in(vm, now);
	deferred = deferred_due_in(vm, now);
	if (deferred >= 0 && (due < 0 || deferred < due))
		due = deferred;
	return due < 0 ? -1 : (int)(due * 1000) + 1;
}

void vm_smoke_tick(struct vm *vm)
{
	enum console_match_kind kind;
	double now;

	if (!vm->fail_pending && vm->match_deferred_at < 0)
		return;
	now = report_now();
	if (deferred_due_in(vm, now) == 0) {
		vm->match_deferred_at = -1;
		kind = console_watch_check(vm->watch);
		if (kind)
			matched(vm, kind, now);
	}
	if (vm->fail_pending && fail_due_in(vm, now) == 0)
		stop_on_match(vm, CONSOLE_MATCH_FAIL, vm->match_time);
}

/* Stops the console's last words may still overrule (see vm_smoke_finish). */
static bool guest_side_stop(const struct vm *vm)
{
	int code = vm->exit_code;

	return (code == TVM_EXIT_POWEROFF && !vm->exit_device_stop) ||
	       code == TVM_EXIT_RESET || code == TVM_EXIT_TIMEOUT;
}

/*
 * After the vCPUs are joined (nothing writes any more). Output the guest
 * wrote before it powered off, reset or was stopped at the timeout may not
 * have been searched yet, or its match may have lost the race with that
 * stop: then the match decides. A --fail-on whose grace period the guest
 * cut short still fails the run, and its message is written again now,
 * with all of its line. Then, with --expect, a power-off without the match
 * is a failure of its own. Stop requests are single-threaded now, so
 * reopening the first-request-wins exit_code is safe.
 */
void vm_smoke_finish(struct vm *vm)
{
	const struct console_match *m;
	enum console_match_kind kind;

	vm->stop_time = report_now();
	boot_milestones_flush(&vm->milestones);
	if (!vm->watch)
		return;
	m = &vm->watch->match;
	kind = console_watch_check(vm->watch);
	if (kind == CONSOLE_MATCH_EXPECT) {
		vm->milestones.expect_matched = vm->stop_time - vm->start_time;
	} else if (kind == CONSOLE_MATCH_FAIL) {
		vm->fail_pending = true;
		vm->match_time = vm->stop_time - vm->start_time;
	}
	/* Also when the main loop's match lost the race to the guest's stop. */
	if (m->result == CONSOLE_MATCH_EXPECT && guest_side_stop(vm)) {
		vm->exit_code = -1;
		stop_on_match(vm, CONSOLE_MATCH_EXPECT, vm->milestones.expect_matched);
	}
	if (vm->fail_pending && (vm->fail_stopped || guest_side_stop(vm))) {
		vm->exit_code = -1;
		stop_on_match(vm, CONSOLE_MATCH_FAIL, vm->match_time);
	}
	if (m->has_expect && m->result != CONSOLE_MATCH_EXPECT &&
	    vm->exit_code == TVM_EXIT_POWEROFF && !vm->exit_device_stop) {
		vm->exit_code = -1;
		vm_request_stop(vm, TVM_EXIT_NO_EXPECT,
				"guest powered off before the console matched --expect '%s'; exit code 9",
				m->expect.text);
	}
}

void vm_smoke_print(const struct vm *vm)
{
	if (!vm->cfg->quiet)
		boot_milestones_print(&vm->milestones, vm->stop_time - vm->start_time, stderr);
}
