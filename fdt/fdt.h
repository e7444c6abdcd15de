/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_FDT_H
#define TINYVMM_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

/* One virtio-mmio transport window and its SPI, for a "virtio,mmio" node. */
struct fdt_virtio_slot {
	uint64_t base;
	uint64_t size;
	unsigned int spi;	/* SPI number (INTID - 32) */
};

struct fdt_params {
	unsigned int ncpus;
	const uint64_t *mpidrs;	/* per vCPU; NULL: KVM's default numbering */
	int gic_version;	/* 2 or 3 */
	uint64_t ram_base;
	uint64_t ram_size;
	const char *cmdline;	/* may be NULL */
	uint64_t initrd_start;	/* initrd_size 0: no initrd */
	uint64_t initrd_size;
	const struct fdt_virtio_slot *virtio;
	unsigned int nvirtio;
	const uint8_t *rng_seed;	/* may be NULL; FDT_RNG_SEED_SIZE bytes */
	bool exit_device;	/* --exit-device: a "tinyvmm,exit" node */
	unsigned int pmu_ppi;	/* PMUv3 overflow PPI number; 0: no PMU node */
};

#define FDT_RNG_SEED_SIZE 64
#define FDT_PHANDLE_GIC 1

/*
 * Build the guest's flattened device tree into @buf (at most @size bytes).
 * The result is packed; fdt_totalsize() gives its length.
 */
int fdt_build(const struct fdt_params *p, void *buf, size_t size,
	      struct tvm_error *err);

/* MPIDR KVM gives vCPU @id when userspace does not set one. */
uint64_t fdt_default_mpidr(unsigned int id);

#endif
