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

static int place_v3(int fd, const struct board *b)
{
	/* The redistributor region grows with the vCPU count. */
	uint64_t dist = b->gic_dist.base, redist = b->gicv3_redist_base;

	if (set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist) ||
	    set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist))
		return -1;
	return 0;
}

static int place_v2(int fd, const struct board *b)
{
	uint64_t dist = b->gic_dist.base, cpu = b->gicv2_cpu.base;

	if (set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, &dist) ||
	    set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, &cpu))
		return -1;
	return 0;
}

static int try_v3(int vm_fd, unsigned int ncpus, struct gic *gic, struct tvm_error *err)
{
	int fd;

	if (ncpus > board_max_cpus(gic->board, 3))
		return tvm_fail(err, TVM_EXIT_USAGE,
				"GICv3 here supports at most %u vCPUs. Lower --cpus",
				board_max_cpus(gic->board, 3));
	fd = create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3);
	if (fd < 0)
		return tvm_fail(err, TVM_EXIT_NO_KVM,
				"this host cannot create a GICv3 for guests (%s). Use --gic v2 or --gic auto",
				strerror(errno));
	if (place_v3(fd, gic->board)) {
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
	if (place_v2(fd, gic->board)) {
		close(fd);
		return tvm_fail(err, TVM_EXIT_ERROR, "placing the GICv2 frames failed: %s",
				strerror(errno));
	}
	gic->fd = fd;
	gic->version = 2;
	return 0;
}

int gic_create(int vm_fd, enum gic_request req, unsigned int ncpus,
	       const struct board *board, struct gic *gic, struct tvm_error *err)
{
	struct tvm_error v3_err;

	gic->fd = -1;
	gic->its_fd = -1;
	gic->board = board;
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
	uint64_t base = gic->board->gic_its.base;
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

/* Distributor registers (GICv2 and v3 offsets), one bit per interrupt. */
#define GICD_ICENABLER	0x180
#define GICD_ICPENDR	0x280
#define GICD_ICACTIVER	0x380

/*
 * A guest reboot, every vCPU stopped (KVM refuses register access while
 * one runs). Re-initialising the vCPUs resets their timers and PMU, and
 * each kernel sets up its redistributor's SGIs and PPIs itself, but the
 * distributor keeps what the last boot left: SPIs enabled, pending (a
 * level never lowered, a late MSI) or active (an interrupt the old kernel
 * was handling). A reset clears them, written through KVM's register
 * interface (cpuid/MPIDR 0: the distributor is not banked for SPIs). The
 * ITS forgets its tables and caches (KVM_DEV_ARM_ITS_CTRL_RESET); the next
 * kernel programs it from scratch.
 */
int gic_reset(struct gic *gic, struct tvm_error *err)
{
	static const uint64_t regs[] = { GICD_ICENABLER, GICD_ICPENDR, GICD_ICACTIVER };
	uint32_t all = 0xffffffffU;

	for (unsigned int r = 0; r < sizeof(regs) / sizeof(regs[0]); r++)
		for (unsigned int irq = 32; irq < LAYOUT_GIC_NR_IRQS; irq += 32)
			if (set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
				     regs[r] + irq / 8, &all))
				return tvm_fail(err, TVM_EXIT_ERROR,
						"rebooting: clearing vGIC distributor register 0x%llx failed: %s",
						(unsigned long long)(regs[r] + irq / 8),
						strerror(errno));
	if (gic->its_fd >= 0 &&
	    set_attr(gic->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET, NULL))
		return tvm_fail(err, TVM_EXIT_ERROR, "rebooting: resetting the vITS failed: %s",
				strerror(errno));
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
