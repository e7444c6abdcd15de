// SPDX-License-Identifier: MIT
/*
 * Tier 3: a tinyvmm built for a host that is not ARM64 cannot run ARM64
 * guests with KVM. Say so clearly and point at the emulated host.
 */
#include <sys/utsname.h>

#include "vmm/check.h"
#include "vmm/core/vm.h"

int vm_run(const struct vm_config *cfg, struct tvm_error *err)
{
	struct utsname u;

	if (uname(&u))
		u.machine[0] = '\0';
	return tvm_fail_kind(err, TVM_ERR_KVM, TVM_EXIT_NO_KVM,
			     "this %s host cannot run ARM64 guests with KVM (Tier 3: KVM for ARM64 needs an ARM64 host). Run tinyvmm inside the emulated ARM64 host: scripts/emuhost -- tinyvmm --kernel ...",
			     u.machine[0] ? u.machine : "non-ARM64");
}

int kvm_check_probe(struct kvm_check_info *info)
{
	(void)info;
	return -1;	/* no ARM64 KVM code in this build */
}
