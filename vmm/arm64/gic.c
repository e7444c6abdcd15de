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

/* KVM_SET_DEVICE_ATTR or KVM_GET_DEVICE_ATTR (@request) of a device fd. */
static int device_attr(int fd, unsigned long request, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)value,
	};

	return ioctl(fd, request, &a);
}

static int set_attr(int fd, uint32_t group, uint64_t attr, void *value)
{
	return device_attr(fd, KVM_SET_DEVICE_ATTR, group, attr, value);
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
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "GICv3 here supports at most %u vCPUs. Lower --cpus",
				     board_max_cpus(gic->board, 3));
	fd = create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3);
	if (fd < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_NO_KVM,
				      "this host cannot create a GICv3 for guests (%s). Use --gic v2 or --gic auto",
				      strerror(errno));
	if (place_v3(fd, gic->board)) {
		tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
			       "placing the GICv3 frames failed: %s", strerror(errno));
		close(fd);
		return -1;
	}
	gic->fd = fd;
	gic->version = 3;
	return 0;
}

static int try_v2(int vm_fd, unsigned int ncpus, struct gic *gic, struct tvm_error *err)
{
	int fd;

	if (ncpus > LAYOUT_MAX_CPUS_GICV2)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "GICv2 supports at most %d vCPUs. Lower --cpus to 8 or use a GICv3 host",
				     LAYOUT_MAX_CPUS_GICV2);
	fd = create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V2);
	if (fd < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_NO_KVM,
				      "this host cannot create a GICv2 for guests (%s). Use --gic v3 or --gic auto",
				      strerror(errno));
	if (place_v2(fd, gic->board)) {
		tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
			       "placing the GICv2 frames failed: %s", strerror(errno));
		close(fd);
		return -1;
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
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "setting the vGIC interrupt count failed: %s",
				      strerror(errno));
	if (set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "initialising the vGIC failed: %s", strerror(errno));
	return 0;
}

int gic_its_create(struct gic *gic, int vm_fd, struct tvm_error *err)
{
	uint64_t base = gic->board->gic_its.base;
	int fd;

	if (gic->version != 3)
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "an ITS needs a GICv3, this VM has a GICv%d", gic->version);
	fd = create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_ITS);
	if (fd < 0)
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "this host cannot create a vITS (%s). PCI devices fall back to INTx",
				      strerror(errno));
	if (set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &base) ||
	    set_attr(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL)) {
		tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
			       "setting up the vITS at 0x%llx failed: %s",
			       (unsigned long long)base, strerror(errno));
		close(fd);
		return -1;
	}
	gic->its_fd = fd;
	return 0;
}

/* Distributor registers (GICv2 and v3 offsets), one bit per interrupt. */
#define GICD_ICENABLER	0x180
#define GICD_ISPENDR	0x200
#define GICD_ICPENDR	0x280
#define GICD_ICACTIVER	0x380

/* Redistributor RD_base registers (GICv3). */
#define GICR_CTLR		0x0000
#define GICR_CTLR_ENABLE_LPIS	(1U << 0)
#define GICR_CTLR_RWP		(1U << 3)
#define GICR_PROPBASER		0x0070
#define GICR_PENDBASER		0x0078

static int get_attr(int fd, uint32_t group, uint64_t attr, void *value)
{
	return device_attr(fd, KVM_GET_DEVICE_ATTR, group, attr, value);
}

/* KVM_DEV_ARM_VGIC_GRP_REDIST_REGS attr: the vCPU's affinity in bits 63:32, then @offset. */
static uint64_t redist_attr(uint64_t mpidr, uint32_t offset)
{
	uint64_t aff = (mpidr & 0xffffffULL) | ((mpidr >> 32) & 0xff) << 24;

	return aff << 32 | offset;
}

/*
 * SPIs disabled, not pending, not active. Through KVM's register interface
 * (cpuid/MPIDR 0: the distributor is not banked for SPIs) a GICv3's
 * ICPENDR is write-ignored and ISPENDR sets the pending latch to the value
 * written; a GICv2's ICPENDR clears. Both are written, so either clears.
 */
static int reset_spis(struct gic *gic, struct tvm_error *err)
{
	static const struct {
		uint64_t reg;
		uint32_t value;
	} writes[] = {
		{ GICD_ICENABLER, 0xffffffffU }, { GICD_ISPENDR, 0 },
		{ GICD_ICPENDR, 0xffffffffU }, { GICD_ICACTIVER, 0xffffffffU },
	};

	for (unsigned int w = 0; w < sizeof(writes) / sizeof(writes[0]); w++)
		for (unsigned int irq = 32; irq < LAYOUT_GIC_NR_IRQS; irq += 32) {
			uint64_t reg = writes[w].reg + irq / 8;
			uint32_t value = writes[w].value;

			if (set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, reg, &value))
				return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
						      "rebooting: writing vGIC distributor register 0x%llx failed: %s",
						      (unsigned long long)reg, strerror(errno));
		}
	return 0;
}

/*
 * GICR_CTLR.EnableLPIs to 0 on each redistributor (KVM drops the pending
 * LPIs then), read back: KVM ignores the write while a disable is still in
 * progress (RWP), and a host that cannot clear it would leave the next
 * kernel the last one's LPI tables in guest RAM ("Booted with LPIs
 * enabled, memory probably corrupted"); the run ends instead, with the
 * exit code of --on-reset exit.
 */
static int disable_lpis(struct gic *gic, const uint64_t *mpidrs, unsigned int ncpus,
			struct tvm_error *err)
{
	for (unsigned int i = 0; i < ncpus; i++) {
		uint64_t attr = redist_attr(mpidrs[i], GICR_CTLR);
		uint32_t ctlr = 0;

		if (set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, attr, &ctlr) ||
		    get_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, attr, &ctlr))
			return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
					      "rebooting: clearing vCPU %u's GICR_CTLR failed: %s", i,
					      strerror(errno));
		if (ctlr & (GICR_CTLR_ENABLE_LPIS | GICR_CTLR_RWP))
			return tvm_fail_kind(err, TVM_ERR_KVM, TVM_EXIT_RESET,
					     "rebooting: this host's KVM cannot disable vCPU %u's LPIs (GICR_CTLR 0x%x), so the next kernel would inherit the last one's interrupt tables; the guest reset ends the run (exit code 3). Use a newer host kernel, or --on-reset exit",
					     i, ctlr);
	}
	return 0;
}

/* GICR_PROPBASER and GICR_PENDBASER to 0 (KVM takes them only with LPIs disabled). */
static int clear_lpi_tables(struct gic *gic, const uint64_t *mpidrs, unsigned int ncpus,
			    struct tvm_error *err)
{
	static const uint32_t regs[] = { GICR_PROPBASER, GICR_PROPBASER + 4,
					 GICR_PENDBASER, GICR_PENDBASER + 4 };

	for (unsigned int i = 0; i < ncpus; i++)
		for (unsigned int r = 0; r < sizeof(regs) / sizeof(regs[0]); r++) {
			uint32_t zero = 0;

			if (set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				     redist_attr(mpidrs[i], regs[r]), &zero))
				return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
						      "rebooting: clearing vCPU %u's redistributor register 0x%x failed: %s",
						      i, regs[r], strerror(errno));
		}
	return 0;
}

/*
 * A guest reboot, every vCPU stopped (KVM refuses register access while
 * one runs). Re-initialising the vCPUs resets their timers and PMU, and
 * each kernel sets up its redistributor's SGIs and PPIs itself, but the
 * GIC keeps what the last boot left, KVM_ARM_VCPU_INIT resets none of it:
 * SPIs enabled, pending (a level never lowered, a late MSI) or active (an
 * interrupt the old kernel was handling), and on a GICv3 each
 * redistributor's LPI state (GICR_CTLR.EnableLPIs, GICR_PROPBASER and
 * GICR_PENDBASER, which a power-on clears). The ITS forgets its tables and
 * caches (KVM_DEV_ARM_ITS_CTRL_RESET, after the LPIs are off); the next
 * kernel programs it from scratch.
 */
int gic_reset(struct gic *gic, const uint64_t *mpidrs, unsigned int ncpus, struct tvm_error *err)
{
	if (reset_spis(gic, err))
		return -1;
	if (gic->version == 3 && disable_lpis(gic, mpidrs, ncpus, err))
		return -1;
	if (gic->its_fd >= 0 &&
	    set_attr(gic->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET, NULL))
		return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				      "rebooting: resetting the vITS failed: %s", strerror(errno));
	if (gic->version == 3)
		return clear_lpi_tables(gic, mpidrs, ncpus, err);
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
