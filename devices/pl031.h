/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_PL031_H
#define TINYVMM_PL031_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/primecell.h"

/*
 * An ARM PrimeCell RTC PL031 (DDI 0224; Linux "arm,pl031", rtc-pl031), as
 * QEMU's virt board has it: a 32-bit seconds counter that starts at the
 * host's time when the device is created and runs for ever (CR reads 1),
 * a match register and its interrupt on one level line.
 *
 * The host side:
 *   set_irq    with the lock held, only when the level changes (must not
 *              block: KVM_IRQ_LINE).
 *   arm_timer  (optional) with the lock held, when the next match moves:
 *              call pl031_timer() at @deadline_ns on the time source's
 *              clock (CLOCK_REALTIME by default: a timerfd with
 *              TFD_TIMER_ABSTIME), or never if @deadline_ns is 0. It must
 *              only arm a timer. Without it a match is still seen whenever
 *              the guest reads a register.
 *   now_ns     (optional) the time source, nanoseconds since the epoch; the
 *              default reads CLOCK_REALTIME (tests pass a fake clock).
 */
struct pl031_ops {
	void (*set_irq)(void *opaque, bool level);
	void (*arm_timer)(void *opaque, uint64_t deadline_ns);
	uint64_t (*now_ns)(void *opaque);
	void *opaque;
};

struct pl031 {
	pthread_mutex_t lock;
	struct pl031_ops ops;
	uint32_t offset;	/* counter = time source's seconds + offset (mod 2^32) */
	uint32_t last_count;	/* the counter when last looked at, to see it pass MR */
	uint32_t mr, lr;
	bool imsc, ris;
	bool irq_level;
	uint64_t armed_ns;	/* the deadline last given to arm_timer (0: none) */
};

void pl031_init(struct pl031 *rtc, const struct pl031_ops *ops);
void pl031_destroy(struct pl031 *rtc);
/*
 * A guest reboot (the bus reset, PRESETn): match, load, mask and interrupt
 * back to zero and the line low. The counter keeps running, as a
 * battery-backed RTC does (and QEMU's): a time the guest loaded stays.
 */
void pl031_reset(struct pl031 *rtc);

/* MMIO handler (struct mmio_bus signature); @offset is from the PL031 base. */
void pl031_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		bool is_write);

/* The deadline given to ops.arm_timer has passed: raise the match interrupt if due. */
void pl031_timer(struct pl031 *rtc);

#define PL031_MMIO_SIZE	PRIMECELL_MMIO_SIZE

/* Register offsets (DDI 0224 table 3-1). */
#define PL031_DR	0x000	/* counter, read-only */
#define PL031_MR	0x004	/* match */
#define PL031_LR	0x008	/* load: writing sets the counter */
#define PL031_CR	0x00c	/* start: reads 1, the counter always runs */
#define PL031_IMSC	0x010	/* bit 0: match interrupt enabled */
#define PL031_RIS	0x014
#define PL031_MIS	0x018
#define PL031_ICR	0x01c	/* write 1 to bit 0: clear */
#define PL031_PERIPH_ID0 0xfe0	/* 0x31 0x10 0x14 0x00: part 0x031, ARM, revision 1 */

#define PL031_INT_MATCH	1u

#endif
