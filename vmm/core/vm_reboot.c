// SPDX-License-Identifier: MIT
/*
 * --on-reset reboot: a guest's PSCI SYSTEM_RESET restarts it in place, in
 * the same process, with the same fds, memory and KVM objects.
 *
 * The vCPU that saw the reset only raises a flag and wakes the main loop;
 * the main thread does the rest with every vCPU thread joined, in the order
 * a machine reset needs: stop everything that can write guest RAM or raise
 * interrupts (vCPUs, then the NIC's data path), return the devices and the
 * vGIC to their power-on state, re-init the vCPUs, rewrite the boot images
 * and start again. The main loop keeps serving its timer and signals
 * between reboots, so a guest that reboots in a tight loop costs a reload
 * each time but cannot stop --timeout, SIGTERM or Ctrl-A x.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/core/vm_internal.h"
#include "vmm/core/vm_pci.h"

/*
 * The NIC first: status 0 takes the path a driver's reset takes (the data
 * path stops: workers joined or vhost rings stopped, TAP offloads follow
 * the next negotiation), then the transport's own registers.
 */
static void reset_net(struct vm *vm)
{
	if (!vm->net)
		return;
	if (vm->pci) {
		vm_pci_reset(vm);
		return;
	}
	virtio_mmio_reset(&vm->net_mmio);
}

static int reset_gic(struct vm *vm, struct tvm_error *err)
{
	uint64_t *mpidrs = calloc(vm->ncpus, sizeof(*mpidrs));
	int ret;

	if (!mpidrs)
		return tvm_fail(err, TVM_EXIT_ERROR, "rebooting: out of memory");
	for (unsigned int i = 0; i < vm->ncpus; i++)
		mpidrs[i] = vm->vcpus[i].mpidr;
	ret = gic_reset(&vm->gic, mpidrs, vm->ncpus, err);
	free(mpidrs);
	return ret;
}

static int reset_devices(struct vm *vm, struct tvm_error *err)
{
	reset_net(vm);
	vm_serial_reset(vm);
	vm_rtc_reset(vm);
	vm_flash_reset(&vm->flash);
	return reset_gic(vm, err);
}

static int restart_vcpus(struct vm *vm, struct tvm_error *err)
{
	const struct boot_layout *bl = &vm->boot;

	for (unsigned int i = 0; i < vm->ncpus; i++)
		if (vcpu_reinit(&vm->vcpus[i], err))
			return -1;
	if (vcpu_set_boot_regs(&vm->vcpus[0], bl->entry, bl->fdt_addr, err))
		return -1;
	__atomic_store_n(&vm->reboot_pending, false, __ATOMIC_RELEASE);
	return vm_start_vcpus(vm, err);
}

int vm_reboot(struct vm *vm, struct tvm_error *err)
{
	vm_stop_vcpus(vm);
	/* A stop that raced the reset (poweroff on another vCPU, a signal) wins. */
	if (vm_stopping(vm))
		return 0;
	if (reset_devices(vm, err))
		return -1;
	vm->reboots++;
	if (vm_place_images(vm, false, err))
		return -1;
	boot_milestones_init(&vm->milestones);
	if (!vm->cfg->quiet && tvm_ratelimit(&vm->reboot_msgs)) {
		console_end_line(&vm->console);
		fprintf(stderr, "tinyvmm: guest reset (PSCI SYSTEM_RESET): reboot %u\n", vm->reboots);
	}
	return restart_vcpus(vm, err);
}
