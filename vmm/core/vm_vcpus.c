// SPDX-License-Identifier: MIT
/*
 * The VM's side of the vCPU seam: each vCPU gets its environment (struct
 * vcpu_env: the fds, memory and bus it reads) at creation, polls the VM's
 * order through vm_vcpu_order() and reports its events to vm_vcpu_event(),
 * which turns them into stop and reboot requests (vm_stop.c). vcpu.c
 * knows nothing of struct vm.
 */
#include <stdio.h>
#include <stdlib.h>

#include "vmm/core/vm_internal.h"

static enum vcpu_order vm_vcpu_order(void *ctx)
{
	const struct vm *vm = ctx;

	if (vm_stopping(vm))
		return VCPU_ORDER_STOP;
	return vm_rebooting(vm) ? VCPU_ORDER_REBOOT : VCPU_ORDER_RUN;
}

/* What each event means for the run: its exit code and message, or a reboot. */
static void vm_vcpu_event(void *ctx, unsigned int vcpu_id, enum vcpu_event event,
			  const char *detail)
{
	struct vm *vm = ctx;

	switch (event) {
	case VCPU_EVENT_POWEROFF:
		vm_request_stop(vm, TVM_EXIT_POWEROFF, NULL);
		break;
	case VCPU_EVENT_RESET:
		if (vm->cfg->reboot_on_reset)
			vm_request_reboot(vm);
		else
			vm_request_stop(vm, TVM_EXIT_RESET,
					"guest requested a reset (PSCI SYSTEM_RESET); exit code 3");
		break;
	case VCPU_EVENT_CRASH:
		vm_request_stop(vm, TVM_EXIT_CRASH, "guest reported a crash; exit code 5");
		break;
	case VCPU_EVENT_BAD_ACCESS:
		vm_request_stop(vm, TVM_EXIT_CRASH,
				"vCPU %u: guest accessed an address that is neither RAM nor an emulated device, or with an instruction KVM cannot emulate; exit code 5",
				vcpu_id);
		break;
	case VCPU_EVENT_ERROR:
		vm_request_stop(vm, TVM_EXIT_ERROR, "%s", detail ? detail : "vCPU error");
		break;
	}
}

int vm_create_vcpus(struct vm *vm, struct tvm_error *err)
{
	const struct vcpu_env env = {
		.vm_fd = vm->kvm.vm_fd,
		.run_size = (size_t)vm->kvm.run_size,
		.cpu = &vm->cpu,
		.bus = &vm->bus,
		.mem = &vm->mem,
		.boot = &vm->boot,
		.order = vm_vcpu_order,
		.report = vm_vcpu_event,
		.ctx = vm,
	};

	vm->vcpus = calloc(vm->cfg->cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return tvm_fail(err, TVM_EXIT_ERROR, "out of memory for vCPUs");
	for (unsigned int i = 0; i < vm->cfg->cpus; i++) {
		vm->ncpus = i + 1;	/* a half-made one too: vm_destroy_vcpus() undoes it */
		if (vcpu_create(&vm->vcpus[i], i, &env, err))
			return -1;
	}
	return 0;
}

int vm_init_pmus(struct vm *vm, struct tvm_error *err)
{
	for (unsigned int i = 0; i < vm->ncpus; i++)
		if (vcpu_init_pmu(&vm->vcpus[i], err))
			return -1;
	return 0;
}

int vm_start_vcpus(struct vm *vm, struct tvm_error *err)
{
	for (unsigned int i = 0; i < vm->ncpus; i++)
		if (vcpu_start(&vm->vcpus[i], err))
			return -1;
	return 0;
}

/*
 * A guest that ran into --timeout likely hung: say where each vCPU was, and
 * for those in the guest kernel, their stack. Best effort: on any failure
 * to allocate the text there is simply no detail.
 */
void vm_describe_vcpus(struct vm *vm)
{
	char *stacks = NULL;
	size_t summary_len, stacks_len;
	FILE *summary = open_memstream(&vm->stop_detail, &summary_len);
	FILE *stack_out = open_memstream(&stacks, &stacks_len);

	if (!summary || !stack_out)
		goto out;
	fprintf(summary, "at the timeout:");
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		fprintf(summary, "%s ", i ? "," : "");
		vcpu_describe(&vm->vcpus[i], summary, stack_out);
	}
	fflush(stack_out);
	if (stacks && stacks[0])
		fprintf(summary, "%s\ntinyvmm: (Image+0xOFF: offset in the kernel Image; "
			"scripts/guest-symbols System.map names the functions)", stacks);
out:
	if (stack_out)
		fclose(stack_out);
	free(stacks);
	if (summary)
		fclose(summary);
}

void vm_stop_vcpus(struct vm *vm)
{
	/* A vCPU waiting on a full stdout would not see the kick. */
	if (vm->console_open)
		console_abandon(&vm->console);
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
	if (vm->console_open)
		console_resume(&vm->console);
}

void vm_destroy_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->ncpus = 0;
}
