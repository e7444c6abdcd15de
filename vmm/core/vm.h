/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VM_H
#define TINYVMM_VM_H

#include "vmm/core/vm_config.h"
#include "lib/util.h"

/*
 * Build the VM described by @cfg, run it until the guest powers off, resets,
 * times out or is stopped, and tear it down. Returns the exit code
 * (enum tvm_exit_code), or -1 with @err filled when set-up fails.
 */
int vm_run(const struct vm_config *cfg, struct tvm_error *err);

#endif
