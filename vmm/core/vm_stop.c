// SPDX-License-Identifier: MIT
/*
 * How a run ends or restarts: any thread (a vCPU's event, a device, the main
 * loop's signals and timers) asks; the main loop, woken on the stop eventfd,
 * acts. A file of its own that calls nothing else of the VM's, so that
 * everything may ask without a call back into vm.c.
 */
#include <stdarg.h>
#include <stdio.h>

#include "vmm/core/vm_internal.h"

bool vm_request_stop(struct vm *vm, int code, const char *fmt, ...)
{
	int running = -1;
	va_list ap;

	if (!__atomic_compare_exchange_n(&vm->exit_code, &running, code, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(vm->stop_message, sizeof(vm->stop_message), fmt, ap);
		va_end(ap);
	}
	/* A failed write is harmless: the main loop also polls exit_code. */
	eventfd_signal(vm->stop_efd);
	return true;
}

void vm_request_reboot(struct vm *vm)
{
	__atomic_store_n(&vm->reboot_pending, true, __ATOMIC_RELEASE);
	/* The stop eventfd wakes the main loop; it tells a reboot by the flag. */
	eventfd_signal(vm->stop_efd);
}
