// SPDX-License-Identifier: MIT
/*
 * The one place that turns the memory map into what fdt/ writes, so the
 * device-tree builder needs no addresses of its own (and its tests can
 * describe other boards).
 */
#include "vmm/arm64/board.h"

#include "vmm/arm64/layout.h"

void board_fdt_platform(struct fdt_platform *b, int gic_version, unsigned int ncpus,
			bool exit_device)
{
	*b = (struct fdt_platform){
		.gic_dist = { LAYOUT_GIC_DIST_BASE, LAYOUT_GIC_DIST_SIZE },
		.uart = { LAYOUT_UART_BASE, LAYOUT_UART_SIZE },
		.uart_spi = LAYOUT_UART_SPI,
		.timer_ppis = { LAYOUT_TIMER_PPI_SEC, LAYOUT_TIMER_PPI_NONSEC,
				LAYOUT_TIMER_PPI_VIRT, LAYOUT_TIMER_PPI_HYP },
	};
	if (gic_version == 3)
		b->gic_cpu = (struct fdt_region){ LAYOUT_GICV3_REDIST_BASE,
						  LAYOUT_GICV3_REDIST_SIZE_PER_CPU * ncpus };
	else
		b->gic_cpu = (struct fdt_region){ LAYOUT_GICV2_CPU_BASE, LAYOUT_GICV2_CPU_SIZE };
	if (exit_device)
		b->exit_device = (struct fdt_region){ LAYOUT_EXIT_DEVICE_BASE,
						      LAYOUT_EXIT_DEVICE_SIZE };
}
