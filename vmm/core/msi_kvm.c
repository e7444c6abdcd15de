// SPDX-License-Identifier: MIT
/*
 * KVM_SET_GSI_ROUTING, KVM_IRQFD (assign and KVM_IRQFD_FLAG_DEASSIGN),
 * KVM_SIGNAL_MSI and KVM_CAP_MSI_DEVID (Documentation/virt/kvm/api.rst).
 */
#include "vmm/core/msi_kvm.h"

#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

int msi_kvm_set_routing(void *opaque, const struct kvm_irq_routing *table)
{
	struct kvm *kvm = opaque;

	return ioctl(kvm->vm_fd, KVM_SET_GSI_ROUTING, table) < 0 ? -1 : 0;
}

static int irqfd(void *opaque, int fd, unsigned int gsi, bool assign)
{
	struct kvm *kvm = opaque;
	struct kvm_irqfd req = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(kvm->vm_fd, KVM_IRQFD, &req) < 0 ? -1 : 0;
}

static int signal_msi(void *opaque, const struct msi_route_msg *msg)
{
	struct kvm *kvm = opaque;
	struct kvm_msi m = {
		.address_lo = (uint32_t)msg->addr,
		.address_hi = (uint32_t)(msg->addr >> 32),
		.data = msg->data,
		.flags = msg->has_devid ? KVM_MSI_VALID_DEVID : 0,
		.devid = msg->has_devid ? msg->devid : 0,
	};

	/* 0: the guest blocked it (e.g. an unmapped ITS event): still not ours to fix. */
	return ioctl(kvm->vm_fd, KVM_SIGNAL_MSI, &m) < 0 ? -1 : 0;
}

static int spi_pulse(void *opaque, unsigned int spi)
{
	struct kvm *kvm = opaque;
	unsigned int intid = spi + 32;

	if (kvm_irq_line(kvm, intid, true) || kvm_irq_line(kvm, intid, false))
		return -1;
	return 0;
}

const struct msi_kvm_ops msi_kvm_ops = {
	.irqfd = irqfd,
	.signal_msi = signal_msi,
	.spi_pulse = spi_pulse,
};

bool msi_kvm_has_devid(struct kvm *kvm)
{
	return ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID) > 0;
}

enum msi_mode msi_kvm_mode(const struct gic *gic)
{
	return msi_mode_choose(gic->version, gic->its_fd >= 0);
}
