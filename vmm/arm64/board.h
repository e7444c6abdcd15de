/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_BOARD_H
#define TINYVMM_BOARD_H

#include <stdbool.h>

#include "fdt/fdt.h"

/*
 * The fixed devices of the memory map (vmm/arm64/layout.h) as the device tree
 * describes them: the GIC frames for @gic_version with @ncpus
 * redistributors, the UART, the timer PPIs, and the exit-status device when
 * @exit_device.
 */
void board_fdt_platform(struct fdt_platform *b, int gic_version, unsigned int ncpus,
			bool exit_device);

#endif
