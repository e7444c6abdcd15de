// SPDX-License-Identifier: MIT
/* /dev/kvm and the VM file descriptor (Documentation/virt/kvm/api.rst). */
#include "vmm/core/kvm.h"

#include "vmm/arm64/ipa.h"
#include "vmm/arm64/vcpu_features.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct required_cap {
	int cap;
	const char *name;
};

static const struct required_cap required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG" },
	{ KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2" },
	{ KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL" },
	/* Lets a vCPU thread be stopped without racing its next KVM_RUN. */
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

/* Right after open("/dev/kvm") failed: errno says why. */
static int open_failure(struct tvm_error *err)
{
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_NO_KVM,
				      "/dev/kvm does not exist: this host cannot run ARM64 guests with KVM. Enable KVM in the host kernel (CONFIG_KVM, boot at EL2) or run inside the emulated host: scripts/emuhost -- tinyvmm ...");
	if (errno == EACCES || errno == EPERM)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_NO_KVM,
				      "/dev/kvm: permission denied. Add your user to the kvm group (sudo usermod -aG kvm $USER, then log in again)");
	return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_NO_KVM, "cannot open /dev/kvm: %s",
			      strerror(errno));
}

int kvm_open(struct kvm *kvm, struct tvm_error *err)
{
	int version;

	memset(kvm, 0, sizeof(*kvm));
	kvm->vm_fd = -1;
	kvm->fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm->fd < 0)
		return open_failure(err);
	version = ioctl(kvm->fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		kvm_close(kvm);
		return tvm_fail_kind(err, TVM_ERR_KVM, TVM_EXIT_NO_KVM,
				     "/dev/kvm speaks KVM API %d, tinyvmm needs %d. Use a newer host kernel",
				     version, KVM_API_VERSION);
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(kvm->fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			kvm_close(kvm);
			return tvm_fail_kind(err, TVM_ERR_KVM, TVM_EXIT_NO_KVM,
					     "host KVM lacks %s. Use a host kernel of 4.14 or newer",
					     required_caps[i].name);
		}
	}
	kvm->run_size = ioctl(kvm->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm->run_size <= 0) {
		tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
			       "KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		kvm_close(kvm);
		return -1;
	}
	return 0;
}

/* Type 0 means 40 bits; a host that has the capability takes the size explicitly. */
static unsigned long vm_type(int host_max_ipa, unsigned int bits)
{
	return host_max_ipa > 0 ? KVM_VM_TYPE_ARM_IPA_SIZE(bits) : 0;
}

int kvm_create_vm(struct kvm *kvm, uint64_t ram_base, uint64_t ram_bytes, struct tvm_error *err)
{
	int max_ipa = ioctl(kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	int n;

	if (ipa_choose(max_ipa, ram_base, ram_bytes, &kvm->ipa_bits, err))
		return -1;
	kvm->vm_fd = ioctl(kvm->fd, KVM_CREATE_VM, vm_type(max_ipa, kvm->ipa_bits));
	if (kvm->vm_fd < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "KVM_CREATE_VM (%u-bit IPA) failed: %s",
				      kvm->ipa_bits, strerror(errno));
	n = ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	kvm->max_vcpus = n > 0 ? (unsigned int)n : 1;
	return 0;
}

int kvm_add_memory(struct kvm *kvm, const struct guest_mem *mem, struct tvm_error *err)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = mem->gpa_base,
		.memory_size = mem->size,
		.userspace_addr = (uint64_t)(uintptr_t)mem->host,
	};

	if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "KVM_SET_USER_MEMORY_REGION (%llu MiB at 0x%llx) failed: %s. Lower --mem",
				      (unsigned long long)(mem->size >> 20),
				      (unsigned long long)mem->gpa_base, strerror(errno));
	return 0;
}

int kvm_irq_line(struct kvm *kvm, unsigned int intid, bool level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | intid,
		.level = level,
	};

	return ioctl(kvm->vm_fd, KVM_IRQ_LINE, &irq);
}

int kvm_irqfd(struct kvm *kvm, int fd, unsigned int spi, struct tvm_error *err)
{
	/* Default arm64 routing maps GSI n to SPI n, i.e. INTID n + 32. */
	struct kvm_irqfd req = { .fd = (uint32_t)fd, .gsi = spi };

	if (ioctl(kvm->vm_fd, KVM_IRQFD, &req) < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "KVM_IRQFD for SPI %u failed: %s. The host KVM needs irqfd support (Linux 4.1+)",
				      spi, strerror(errno));
	return 0;
}

int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, uint32_t value, int fd,
		  struct tvm_error *err)
{
	struct kvm_ioeventfd req = {
		.datamatch = value,
		.addr = addr,
		.len = 4,
		.fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	if (ioctl(kvm->vm_fd, KVM_IOEVENTFD, &req) < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "KVM_IOEVENTFD at 0x%llx failed: %s. The host KVM needs ioeventfd support",
				      (unsigned long long)addr, strerror(errno));
	return 0;
}

void kvm_close(struct kvm *kvm)
{
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->fd >= 0)
		close(kvm->fd);
	kvm->vm_fd = kvm->fd = -1;
}

static bool can_create_gic(int vm_fd, uint32_t type)
{
	struct kvm_create_device dev = { .type = type, .flags = KVM_CREATE_DEVICE_TEST };

	return ioctl(vm_fd, KVM_CREATE_DEVICE, &dev) == 0;
}

/*
 * A scratch vCPU with SVE when offered: the vector lengths a guest would get
 * and the CPU's ID_AA64MMFR0_EL1 (its translation granules).
 */
static void probe_scratch_vcpu(int vm_fd, struct kvm_check_info *info)
{
	struct kvm_one_reg vls = { .id = KVM_REG_ARM64_SVE_VLS,
				   .addr = (uint64_t)(uintptr_t)info->sve_vls };
	struct kvm_vcpu_init init;
	int fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0UL);

	if (fd < 0)
		return;
	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) == 0) {
		if (info->cpu.sve)
			init.features[0] |= 1U << KVM_ARM_VCPU_SVE;
		if (ioctl(fd, KVM_ARM_VCPU_INIT, &init) == 0 &&
		    vcpu_read_mmfr0(fd, &info->mmfr0) == 0)
			info->vcpu_ok = true;
		if (info->vcpu_ok && info->cpu.sve && ioctl(fd, KVM_GET_ONE_REG, &vls) < 0)
			memset(info->sve_vls, 0, sizeof(info->sve_vls));
	}
	close(fd);
}

int kvm_check_probe(struct kvm_check_info *info)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm_fd;
	unsigned int ipa_bits = IPA_DEFAULT_BITS;
	struct tvm_error ignored;	/* no RAM: always fits */

	memset(info, 0, sizeof(*info));
	if (fd < 0)
		return -1;
	info->api_version = ioctl(fd, KVM_GET_API_VERSION, 0);
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++)
		if (!info->missing_cap && ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			info->missing_cap = required_caps[i].name;
	info->max_ipa_bits = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	info->max_ipa_bits = info->max_ipa_bits > 0 ? info->max_ipa_bits : 0;
	info->max_vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	info->binary_stats = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) > 0;
	/* A scratch VM, sized as a run's would be: the vGIC models are a per-VM question. */
	ipa_choose(info->max_ipa_bits, 0, 0, &ipa_bits, &ignored);
	vm_fd = ioctl(fd, KVM_CREATE_VM, vm_type(info->max_ipa_bits, ipa_bits));
	info->vm_errno = vm_fd < 0 ? errno : 0;
	if (vm_fd >= 0) {
		info->gic_v3 = can_create_gic(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3);
		info->gic_v2 = can_create_gic(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V2);
		info->gic_its = can_create_gic(vm_fd, KVM_DEV_TYPE_ARM_VGIC_ITS);
		info->irq_routing = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) > 0;
		info->signal_msi = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) > 0;
		info->irqfd = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) > 0;
		vcpu_features_offered(vm_fd, &info->cpu);
		probe_scratch_vcpu(vm_fd, info);
		close(vm_fd);
	}
	close(fd);
	return 0;
}
