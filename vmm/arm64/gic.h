/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_GIC_H
#define TINYVMM_GIC_H

#include "lib/util.h"
#include "vmm/arm64/board.h"

enum gic_request { GIC_AUTO = 0, GIC_V2 = 2, GIC_V3 = 3 };

struct gic {
	int fd;		/* KVM device fd */
	int version;	/* 2 or 3 */
	int its_fd;	/* the vITS device fd, -1 without one */
	const struct board *board;	/* where its frames are */
};

/*
 * Create the in-kernel vGIC and place its frames where @board has them.
 * Must happen before any vCPU runs; GIC_AUTO tries v3, then v2.
 */
int gic_create(int vm_fd, enum gic_request req, unsigned int ncpus,
	       const struct board *board, struct gic *gic, struct tvm_error *err);

/* Set the SPI count and initialise: after all vCPUs exist, before KVM_RUN. */
int gic_finalize(struct gic *gic, struct tvm_error *err);

/*
 * Add a KVM vITS (GICv3 only) at the board's ITS frame and initialise it
 * (Documentation/virt/kvm/devices/arm-vgic-its.rst): after gic_create, before
 * the vCPUs run. Then ask KVM_CAP_MSI_DEVID on the VM fd.
 */
int gic_its_create(struct gic *gic, int vm_fd, struct tvm_error *err);

/* A guest reboot, vCPUs stopped: SPIs disabled, not pending, not active; ITS reset. */
int gic_reset(struct gic *gic, struct tvm_error *err);
void gic_close(struct gic *gic);

#endif
