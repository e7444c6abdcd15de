// SPDX-License-Identifier: MIT
#include "devices/pl031.h"

#include "lib/dev_lock.h"

#include <string.h>
#include <time.h>

#define NS_PER_SEC 1000000000ull

/*
 * PeriphID0-3: part 0x031, designer 0x41 (ARM), revision 1, as QEMU's;
 * Linux's rtc-pl031 matches 0x00041031 under mask 0x000fffff.
 */
static const uint8_t pl031_periph_id[4] = { 0x31, 0x10, 0x14, 0x00 };

static uint64_t realtime_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t now_s(const struct pl031 *rtc)
{
	return rtc->ops.now_ns(rtc->ops.opaque) / NS_PER_SEC;
}

static uint32_t count_at(const struct pl031 *rtc, uint64_t secs)
{
	return (uint32_t)secs + rtc->offset;
}

/*
 * Bring the counter up to @secs and raise the match interrupt if it passed
 * MR since it was last looked at (so a late timer, or a guest that polls,
 * still sees the match). A counter that went back (the host's clock was
 * set back) matches nothing on the way.
 */
static uint32_t sync_count(struct pl031 *rtc, uint64_t secs)
{
	uint32_t c = count_at(rtc, secs), moved = c - rtc->last_count;

	if (moved && moved < 0x80000000u && (uint32_t)(rtc->mr - rtc->last_count - 1) < moved)
		rtc->ris = true;
	rtc->last_count = c;
	return c;
}

/* Tell the host when the counter next reaches MR (it changes only with MR, LR, a match). */
static void rearm(struct pl031 *rtc, uint64_t secs, uint32_t count)
{
	uint32_t ticks = rtc->mr - count;
	uint64_t deadline = 0;

	if (ticks)	/* 0: matched now; the next one is 2^32 seconds away */
		deadline = secs + ticks > UINT64_MAX / NS_PER_SEC ? UINT64_MAX
								   : (secs + ticks) * NS_PER_SEC;
	if (deadline != rtc->armed_ns && rtc->ops.arm_timer) {
		rtc->armed_ns = deadline;
		rtc->ops.arm_timer(rtc->ops.opaque, deadline);
	}
}

static void update_irq(struct pl031 *rtc)
{
	bool level = rtc->ris && rtc->imsc;

	if (level != rtc->irq_level) {
		rtc->irq_level = level;
		rtc->ops.set_irq(rtc->ops.opaque, level);
	}
}

void pl031_init(struct pl031 *rtc, const struct pl031_ops *ops)
{
	memset(rtc, 0, sizeof(*rtc));
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->ops = *ops;
	if (!rtc->ops.now_ns)
		rtc->ops.now_ns = realtime_ns;
	/* Power-on: the counter reads the host's time (offset 0). */
	rtc->last_count = count_at(rtc, now_s(rtc));
}

void pl031_destroy(struct pl031 *rtc)
{
	pthread_mutex_destroy(&rtc->lock);
}

void pl031_reset(struct pl031 *rtc)
{
	uint64_t secs;

	dev_lock(&rtc->lock);
	secs = now_s(rtc);
	rtc->last_count = count_at(rtc, secs);
	rtc->mr = rtc->lr = 0;
	rtc->imsc = rtc->ris = false;
	rearm(rtc, secs, rtc->last_count);
	update_irq(rtc);
	dev_unlock(&rtc->lock);
}

static uint32_t pl031_read(struct pl031 *rtc, uint32_t reg, uint32_t count)
{
	uint32_t value;

	switch (reg) {
	case PL031_DR:
		return count;
	case PL031_MR:
		return rtc->mr;
	case PL031_LR:
		return rtc->lr;
	case PL031_CR:
		return 1;
	case PL031_IMSC:
		return rtc->imsc;
	case PL031_RIS:
		return rtc->ris;
	case PL031_MIS:
		return rtc->ris && rtc->imsc;
	default:
		/* ICR is write-only; reserved offsets read as zero. */
		return primecell_id_read(pl031_periph_id, reg, &value) ? value : 0;
	}
}

/* Writes; returns the counter as it now reads. */
static uint32_t pl031_write(struct pl031 *rtc, uint32_t reg, uint32_t value,
			    uint64_t secs, uint32_t count)
{
	switch (reg) {
	case PL031_MR:
		rtc->mr = value;
		if (value == count)
			rtc->ris = true;
		break;
	case PL031_LR:
		rtc->lr = value;
		rtc->offset = value - (uint32_t)secs;
		rtc->last_count = count = value;
		if (value == rtc->mr)
			rtc->ris = true;
		break;
	case PL031_IMSC:
		rtc->imsc = value & PL031_INT_MATCH;
		break;
	case PL031_ICR:
		if (value & PL031_INT_MATCH)
			rtc->ris = false;
		break;
	default:
		/* DR, RIS, MIS, the IDs are read-only; CR's start bit is already set. */
		break;
	}
	return count;
}

void pl031_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		bool is_write)
{
	struct pl031 *rtc = opaque;
	uint32_t reg, count, value = 0;
	uint64_t secs;

	if (!primecell_decode(offset, len, is_write, &reg)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	dev_lock(&rtc->lock);
	secs = now_s(rtc);
	count = sync_count(rtc, secs);
	if (is_write)
		count = pl031_write(rtc, reg, primecell_write_value(data, len), secs, count);
	else
		value = pl031_read(rtc, reg, count);
	rearm(rtc, secs, count);
	update_irq(rtc);
	dev_unlock(&rtc->lock);
	if (!is_write)
		primecell_read_lanes(value, offset, data, len);
}

void pl031_timer(struct pl031 *rtc)
{
	uint64_t secs;

	dev_lock(&rtc->lock);
	secs = now_s(rtc);
	rtc->armed_ns = 0;	/* that timer is spent: arm again if the match is still ahead */
	rearm(rtc, secs, sync_count(rtc, secs));
	update_irq(rtc);
	dev_unlock(&rtc->lock);
}
