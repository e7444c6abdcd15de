// SPDX-License-Identifier: MIT
/*
 * Optional vCPU features (Documentation/virt/kvm/api.rst, KVM_ARM_VCPU_INIT
 * and KVM_ARM_VCPU_FINALIZE; devices/vcpu.rst, KVM_ARM_VCPU_PMU_V3_CTRL).
 * Order, as KVM requires it: feature bits at KVM_ARM_VCPU_INIT; SVE
 * finalized before KVM_RUN and before the vCPU's registers are touched;
 * the PMU's interrupt set (needs the in-kernel vGIC) and the PMU
 * initialised after the vGIC's CTRL_INIT, before the first KVM_RUN.
 */
#include "vmm/arm64/vcpu_features.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/arm64/layout.h"

#define ARM64_ID_AA64MMFR0_EL1 ARM64_SYS_REG(3, 0, 0, 7, 0)

static bool has_cap(int vm_fd, int cap)
{
	return ioctl(vm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

void vcpu_features_offered(int vm_fd, struct cpu_features_offered *offered)
{
	offered->pmu = has_cap(vm_fd, KVM_CAP_ARM_PMU_V3);
	/* KVM takes the two keys together or not at all. */
	offered->pauth = has_cap(vm_fd, KVM_CAP_ARM_PTRAUTH_ADDRESS) &&
			 has_cap(vm_fd, KVM_CAP_ARM_PTRAUTH_GENERIC);
	offered->sve = has_cap(vm_fd, KVM_CAP_ARM_SVE);
}

uint32_t vcpu_features_init_bits(const struct cpu_features *f)
{
	uint32_t bits = 0;

	if (f->pmu == CPU_FEATURE_ON)
		bits |= 1U << KVM_ARM_VCPU_PMU_V3;
	if (f->pauth == CPU_FEATURE_ON)
		bits |= 1U << KVM_ARM_VCPU_PTRAUTH_ADDRESS | 1U << KVM_ARM_VCPU_PTRAUTH_GENERIC;
	if (f->sve == CPU_FEATURE_ON)
		bits |= 1U << KVM_ARM_VCPU_SVE;
	return bits;
}

int vcpu_features_finalize(int vcpu_fd, unsigned int id, struct cpu_features *f,
			   struct tvm_error *err)
{
	struct kvm_one_reg vls = { .id = KVM_REG_ARM64_SVE_VLS,
				   .addr = (uint64_t)(uintptr_t)f->sve_vls };
	int what = KVM_ARM_VCPU_SVE;

	if (f->sve != CPU_FEATURE_ON)
		return 0;
	/* Every vCPU gets the same default set: the lengths the host offers. */
	if (ioctl(vcpu_fd, KVM_GET_ONE_REG, &vls) < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "reading the SVE vector lengths of vCPU %u failed: %s. Run with --no-sve",
				      id, strerror(errno));
	if (ioctl(vcpu_fd, KVM_ARM_VCPU_FINALIZE, &what) < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "KVM_ARM_VCPU_FINALIZE(SVE) for vCPU %u failed: %s. Run with --no-sve",
				      id, strerror(errno));
	return 0;
}

int vcpu_pmu_init(int vcpu_fd, unsigned int id, struct tvm_error *err)
{
	int intid = LAYOUT_PPI_BASE + LAYOUT_PMU_PPI;
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = KVM_ARM_VCPU_PMU_V3_IRQ,
		.addr = (uint64_t)(uintptr_t)&intid,
	};

	if (ioctl(vcpu_fd, KVM_SET_DEVICE_ATTR, &attr) < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "setting the PMU interrupt (INTID %d) of vCPU %u failed: %s. Run with --no-pmu",
				      intid, id, strerror(errno));
	attr.attr = KVM_ARM_VCPU_PMU_V3_INIT;
	attr.addr = 0;
	if (ioctl(vcpu_fd, KVM_SET_DEVICE_ATTR, &attr) < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "initialising the PMU of vCPU %u failed: %s. Run with --no-pmu",
				      id, strerror(errno));
	return 0;
}

int vcpu_read_mmfr0(int vcpu_fd, uint64_t *mmfr0)
{
	struct kvm_one_reg reg = { .id = ARM64_ID_AA64MMFR0_EL1,
				   .addr = (uint64_t)(uintptr_t)mmfr0 };

	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &reg);
}
