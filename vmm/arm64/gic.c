// SPDX-License-Identifier: MIT
/*
 * The in-kernel vGIC (Documentation/virt/kvm/devices/arm-vgic-v3.rst and
 * arm-vgic.rst). Order matters: create and place the frames before the
 * vCPUs run, set NR_IRQS and CTRL_INIT after every vCPU has been created.
 */
#include "vmm/arm64/gic.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/arm64/layout.h"

static int set_attr(int fd, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)value,
	};

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a);
}

static int create_device(int vm_fd, uint32_t type)
{
	struct kvm_create_device dev = { .type = type };

	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &dev) < 0)
		return -1;
	return (int)dev.fd;
}

static int place_v3(int fd, unsigned int ncpus)
{
	uint64_t dist = LAYOUT_GIC_DIST_BASE, redist = LAYOUT_GICV3_REDIST_BASE;

	(void)ncpus;	/* the redistributor region grows with the vCPU count */
	if (set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist) ||
	    set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist))
		return -1;
	return 0;
}

static int place_v2(int fd)
{
	uint64_t dist = LAYOUT_GIC_DIST_BASE, cpu = LAYOUT_GICV2_CPU_BASE;

	if (set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, &dist) ||
	    set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, &cpu))
		return -1;
	return 0;
}

static int try_v3(int vm_fd, unsigned int ncpus, struct gic *gic, struct tvm_error *err)
{
	int fd;

	if (ncpus > LAYOUT_MAX_CPUS_GICV3)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"GICv3 here supports at most %llu vCPUs. Lower --cpus",
				(unsigned long long)LAYOUT_MAX_CPUS_GICV3);
	fd = create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3);
	if (fd < 0)
		return tvm_fail(err, TVM_EXIT_NO_KVM,
				"this host cannot create a GICv3 for guests (%s). Use --gic v2 or --gic auto",
				strerror(errno));
	if (place_v3(fd, ncpus)) {
		close(fd);
		return tvm_fail(err, TVM_EXIT_ERROR, "placing the GICv3 frames failed: %s",
				strerror(errno));
	}
	gic->fd = fd;
	gic->version = 3;
	return 0;
}

static int try_v2(int vm_fd, unsigned int ncpus, struct gic *gic, struct tvm_error *err)
{
	int fd;

	if (ncpus > LAYOUT_MAX_CPUS_GICV2)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"GICv2 supports at most %d vCPUs. Lower --cpus to 8 or use a GICv3 host",
				LAYOUT_MAX_CPUS_GICV2);
	fd = create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V2);
	if (fd < 0)
		return tvm_fail(err, TVM_EXIT_NO_KVM,
				"this host cannot create a GICv2 for guests (%s). Use --gic v3 or --gic auto",
				strerror(errno));
	if (place_v2(fd)) {
		close(fd);
		return tvm_fail(err, TVM_EXIT_ERROR, "placing the GICv2 frames failed: %s",
				strerror(errno));
	}
	gic->fd = fd;
	gic->version = 2;
	return 0;
}

int gic_create(int vm_fd, enum gic_request req, unsigned int ncpus,
	       struct gic *gic, struct tvm_error *err)
{
	struct tvm_error v3_err;

	gic->fd = -1;
	gic->its_fd = -1;
	if (req == GIC_V3)
		return try_v3(vm_fd, ncpus, gic, err);
	if (req == GIC_V2)
		return try_v2(vm_fd, ncpus, gic, err);
	if (!try_v3(vm_fd, ncpus, gic, &v3_err))
		return 0;
	if (!try_v2(vm_fd, ncpus, gic, err))
		return 0;
	/* Neither: the v3 reason is the more useful one on modern hosts. */
	*err = v3_err;
	return -1;
}

int gic_finalize(struct gic *gic, struct tvm_error *err)
{
	uint32_t nr_irqs = LAYOUT_GIC_NR_IRQS;

	if (set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs))
		return tvm_fail(err, TVM_EXIT_ERROR, "setting the vGIC interrupt count failed: %s",
				strerror(errno));
	if (set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))
		return tvm_fail(err, TVM_EXIT_ERROR, "initialising the vGIC failed: %s",
				strerror(errno));
	return 0;
}

int gic_its_create(struct gic *gic, int vm_fd, struct tvm_error *err)
{
	uint64_t base = LAYOUT_GIC_ITS_BASE;
	int fd;

	if (gic->version != 3)
		return tvm_fail(err, TVM_EXIT_ERROR, "an ITS needs a GICv3, this VM has a GICv%d",
				gic->version);
	fd = create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_ITS);
	if (fd < 0)
		return tvm_fail(err, TVM_EXIT_ERROR,
				"this host cannot create a vITS (%s). PCI devices fall back to INTx",
				strerror(errno));
	if (set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &base) ||
	    set_attr(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL)) {
		close(fd);
		return tvm_fail(err, TVM_EXIT_ERROR, "setting up the vITS at 0x%llx failed: %s",
				(unsigned long long)base, strerror(errno));
	}
	gic->its_fd = fd;
	return 0;
}

void gic_close(struct gic *gic)
{
	if (gic->its_fd >= 0)
		close(gic->its_fd);
	if (gic->fd >= 0)
		close(gic->fd);
	gic->fd = gic->its_fd = -1;
}
