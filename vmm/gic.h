/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_GIC_H
#define TINYVMM_GIC_H

#include "vmm/cli.h"
#include "lib/util.h"

struct gic {
	int fd;		/* KVM device fd */
	int version;	/* 2 or 3 */
};

/*
 * Create the in-kernel vGIC and place its frames. Must happen before any
 * vCPU runs; GIC_AUTO tries v3, then v2.
 */
int gic_create(int vm_fd, enum gic_request req, unsigned int ncpus,
	       struct gic *gic, struct tvm_error *err);

/* Set the SPI count and initialise: after all vCPUs exist, before KVM_RUN. */
int gic_finalize(struct gic *gic, struct tvm_error *err);

void gic_close(struct gic *gic);

#endif
