// SPDX-License-Identifier: MIT
/*
 * The board's PL031 RTC (devices/pl031.c): a guest's wall clock starts at
 * the host's time. Its match interrupt (an RTC alarm) comes from a
 * CLOCK_REALTIME timerfd the main loop watches, so nothing spins waiting.
 */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vmm/arm64/layout.h"
#include "vmm/core/vm_internal.h"

static void rtc_set_irq(void *opaque, bool level)
{
	struct vm *vm = opaque;

	kvm_irq_line(&vm->kvm, LAYOUT_SPI_BASE + vm->board->rtc_spi, level);
}

/* Under the RTC's lock: only arms the timer (timerfd_settime does not block). */
static void rtc_arm_timer(void *opaque, uint64_t deadline_ns)
{
	struct vm *vm = opaque;
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(deadline_ns / 1000000000ULL),
			      .tv_nsec = (long)(deadline_ns % 1000000000ULL) },
	};

	/* A deadline of 0 disarms; a past one fires at once. */
	timerfd_settime(vm->rtc_timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int vm_rtc_add(struct vm *vm, struct tvm_error *err)
{
	struct pl031_ops ops = { .set_irq = rtc_set_irq, .arm_timer = rtc_arm_timer, .opaque = vm };
	const struct board *b = vm->board;

	if (!b->rtc.size)
		return 0;
	vm->rtc_timerfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	if (vm->rtc_timerfd < 0)
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "cannot create the RTC's timer: %s", strerror(errno));
	pl031_init(&vm->rtc, &ops);
	vm->rtc_ready = true;
	if (mmio_bus_register(&vm->bus, b->rtc.base, b->rtc.size, pl031_mmio, &vm->rtc, "pl031"))
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "cannot register the RTC");
	return 0;
}

void vm_rtc_timer(struct vm *vm)
{
	uint64_t expirations;

	/* Nothing to read: a re-arm since it fired. Either way pl031_timer checks the time. */
	if (read(vm->rtc_timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	if (vm->rtc_ready)
		pl031_timer(&vm->rtc);
}

void vm_rtc_reset(struct vm *vm)
{
	if (vm->rtc_ready)
		pl031_reset(&vm->rtc);
}

void vm_rtc_destroy(struct vm *vm)
{
	if (vm->rtc_ready)
		pl031_destroy(&vm->rtc);
	vm->rtc_ready = false;
	if (vm->rtc_timerfd >= 0)
		close(vm->rtc_timerfd);
	vm->rtc_timerfd = -1;
}
