/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_EXIT_DEV_H
#define TINYVMM_EXIT_DEV_H

#include <stdbool.h>
#include <stdint.h>

/*
 * --exit-device: lets a guest that cannot power off with a status (a
 * bare-metal test, an OS without PSCI) end the run with one. Device tree:
 * compatible = "tinyvmm,exit", one reg. One register, write-only:
 *
 *   offset 0, 32 bits: STATUS. Writing V ends the run; tinyvmm exits with
 *                      status V & 0xff (what a shell can represent).
 *
 * Every other access (reads, other offsets, 8/16/64-bit writes) is
 * ignored and counted; reads return 0.
 */
#define EXIT_DEV_STATUS		0x0

struct exit_dev_ops {
	/* The guest asked to end the run with @status (0-255). */
	void (*request_exit)(void *opaque, unsigned int status, uint32_t written);
	void *opaque;
};

struct exit_dev {
	struct exit_dev_ops ops;
	unsigned long ignored;	/* accesses that were not a STATUS write */
};

void exit_dev_init(struct exit_dev *dev, const struct exit_dev_ops *ops);

/* MMIO handler (struct mmio_bus signature); @offset is from the base. */
void exit_dev_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		   bool is_write);

#endif
