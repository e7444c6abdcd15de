// SPDX-License-Identifier: MIT
/* PL031 RTC model through its MMIO handler, on a fake clock. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "devices/pl031.h"
#include "bus_access.h"

#define SEC 1000000000ull
#define BOOT_TIME 1700000000ull	/* 2023-11-14, the fake host's time at power-on */

struct mock {
	uint64_t now_ns;
	bool level;
	unsigned int raises, drops;
	uint64_t deadline;
	unsigned int arms;
};

static struct mock mock;
static struct pl031 rtc;

static uint64_t fake_now(void *opaque)
{
	return ((struct mock *)opaque)->now_ns;
}

static void mock_set_irq(void *opaque, bool level)
{
	struct mock *m = opaque;

	cr_assert(level != m->level, "set_irq called without a level change");
	m->level = level;
	if (level)
		m->raises++;
	else
		m->drops++;
}

static void mock_arm(void *opaque, uint64_t deadline_ns)
{
	struct mock *m = opaque;

	m->deadline = deadline_ns;
	m->arms++;
}

static void setup(void)
{
	struct pl031_ops ops = { .set_irq = mock_set_irq, .arm_timer = mock_arm,
				 .now_ns = fake_now, .opaque = &mock };

	memset(&mock, 0, sizeof(mock));
	mock.now_ns = BOOT_TIME * SEC + SEC / 2;
	pl031_init(&rtc, &ops);
}

static void teardown(void)
{
	pl031_destroy(&rtc);
}

TestSuite(pl031, .init = setup, .fini = teardown);

static uint32_t rd_len(uint64_t off, unsigned int len)
{
	return dev_rd(pl031_mmio, &rtc, off, len);
}

static void wr_len(uint64_t off, unsigned int len, uint64_t v)
{
	dev_wr(pl031_mmio, &rtc, off, len, v);
}

static uint32_t rd(uint64_t off)
{
	return rd_len(off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
	wr_len(off, 4, v);
}

static void advance(uint64_t ns)
{
	mock.now_ns += ns;
}

Test(pl031, ids_are_what_rtc_pl031_matches)
{
	uint32_t pid = 0, cid = 0;

	for (unsigned int i = 0; i < 4; i++) {
		pid |= (rd(0xfe0 + 4 * i) & 0xff) << (8 * i);
		cid |= (rd(0xff0 + 4 * i) & 0xff) << (8 * i);
	}
	cr_assert_eq(pid, 0x00141031);
	cr_assert_eq(pid & 0x000fffff, 0x00041031, "rtc-pl031's id under its mask");
	cr_assert_eq(cid, 0xb105f00d);
}

Test(pl031, counter_starts_at_host_time_and_counts_seconds)
{
	cr_assert_eq(rd(PL031_DR), BOOT_TIME);
	advance(SEC / 2 - 1);
	cr_assert_eq(rd(PL031_DR), BOOT_TIME);
	advance(1);
	cr_assert_eq(rd(PL031_DR), BOOT_TIME + 1);
	advance(3600 * SEC);
	cr_assert_eq(rd(PL031_DR), BOOT_TIME + 3601);
	wr(PL031_DR, 5);
	cr_assert_eq(rd(PL031_DR), BOOT_TIME + 3601, "DR is read-only");
}

Test(pl031, power_on_values)
{
	cr_assert_eq(rd(PL031_CR), 1, "the RTC runs from power-on");
	wr(PL031_CR, 0);
	cr_assert_eq(rd(PL031_CR), 1, "its start bit cannot be cleared");
	cr_assert_eq(rd(PL031_MR), 0);
	cr_assert_eq(rd(PL031_LR), 0);
	cr_assert_eq(rd(PL031_IMSC), 0);
	cr_assert_eq(rd(PL031_RIS), 0);
	cr_assert_eq(rd(PL031_MIS), 0);
	cr_assert_eq(rd(PL031_ICR), 0, "write-only");
	cr_assert_not(mock.level);
}

/* The default time source is the host's CLOCK_REALTIME. */
Test(pl031, default_clock_is_the_hosts)
{
	struct pl031_ops ops = { .set_irq = mock_set_irq, .opaque = &mock };
	struct pl031 real;
	uint8_t b[4];
	uint32_t dr;
	time_t before = time(NULL), after;

	pl031_init(&real, &ops);
	pl031_mmio(&real, PL031_DR, b, 4, false);
	after = time(NULL);
	dr = (uint32_t)(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24);
	cr_assert_geq(dr, (uint32_t)before);
	cr_assert_leq(dr, (uint32_t)after);
	pl031_destroy(&real);
}

Test(pl031, load_sets_the_counter)
{
	wr(PL031_LR, 1000);
	cr_assert_eq(rd(PL031_LR), 1000);
	cr_assert_eq(rd(PL031_DR), 1000);
	advance(SEC / 2);	/* the next host second: the counter ticks with it */
	cr_assert_eq(rd(PL031_DR), 1001);
	advance(10 * SEC);
	cr_assert_eq(rd(PL031_DR), 1011);
	cr_assert_eq(rd(PL031_LR), 1000, "LR keeps what was written");
	wr(PL031_LR, 0xffffffff);
	advance(SEC);
	cr_assert_eq(rd(PL031_DR), 0, "32-bit counter wraps");
}

Test(pl031, match_interrupt_from_the_timer)
{
	uint32_t now = rd(PL031_DR);

	wr(PL031_IMSC, 1);
	wr(PL031_MR, now + 5);
	cr_assert_eq(rd(PL031_MR), now + 5);
	cr_assert_eq(mock.deadline, (BOOT_TIME + 5) * SEC, "timer at the match second");
	advance(4 * SEC);	/* a timer firing early changes nothing, and is armed again */
	mock.arms = 0;
	pl031_timer(&rtc);
	cr_assert_not(mock.level);
	cr_assert_eq(mock.arms, 1);
	cr_assert_eq(mock.deadline, (BOOT_TIME + 5) * SEC);
	advance(SEC);
	pl031_timer(&rtc);
	cr_assert(mock.level);
	cr_assert_eq(rd(PL031_RIS), 1);
	cr_assert_eq(rd(PL031_MIS), 1);
	cr_assert_eq(mock.arms, 1, "no new deadline: the next match is 2^32 s away");
	wr(PL031_ICR, 1);
	cr_assert_not(mock.level);
	cr_assert_eq(rd(PL031_RIS), 0);
	advance(10 * SEC);
	pl031_timer(&rtc);
	cr_assert_eq(rd(PL031_RIS), 0, "one match, one interrupt");
}

/* A late timer, or none: the guest still sees a match it passed. */
Test(pl031, match_seen_late_and_without_a_timer)
{
	struct pl031_ops ops = { .set_irq = mock_set_irq, .now_ns = fake_now, .opaque = &mock };

	pl031_destroy(&rtc);
	pl031_init(&rtc, &ops);
	wr(PL031_MR, (uint32_t)BOOT_TIME + 2);
	advance(30 * SEC);
	cr_assert_eq(rd(PL031_RIS), 1);
	cr_assert_eq(mock.arms, 0);
}

Test(pl031, match_on_writing_mr_or_lr_equal_to_the_counter)
{
	wr(PL031_IMSC, 1);
	wr(PL031_MR, rd(PL031_DR));
	cr_assert(mock.level);
	wr(PL031_ICR, 1);
	cr_assert_not(mock.level);
	wr(PL031_MR, 77);
	cr_assert_not(mock.level);
	wr(PL031_LR, 77);
	cr_assert(mock.level);
	cr_assert_eq(rd(PL031_RIS), 1);
}

Test(pl031, mask_decides_the_line)
{
	wr(PL031_MR, rd(PL031_DR));
	cr_assert_eq(rd(PL031_RIS), 1);
	cr_assert_eq(rd(PL031_MIS), 0);
	cr_assert_not(mock.level);
	wr(PL031_IMSC, 0xffffffff);
	cr_assert_eq(rd(PL031_IMSC), 1, "one mask bit");
	cr_assert(mock.level);
	cr_assert_eq(rd(PL031_MIS), 1);
	wr(PL031_IMSC, 0);
	cr_assert_not(mock.level);
	wr(PL031_ICR, 0xfffffffe);
	cr_assert_eq(rd(PL031_RIS), 1, "only bit 0 clears");
	wr(PL031_RIS, 0);
	cr_assert_eq(rd(PL031_RIS), 1, "RIS is read-only");
}

Test(pl031, wraps_through_zero_to_a_match)
{
	wr(PL031_LR, 0xfffffffe);
	wr(PL031_MR, 1);
	cr_assert_eq(mock.deadline, (BOOT_TIME + 3) * SEC);
	advance(2 * SEC);
	cr_assert_eq(rd(PL031_DR), 0);
	cr_assert_eq(rd(PL031_RIS), 0);
	advance(SEC);
	pl031_timer(&rtc);
	cr_assert_eq(rd(PL031_RIS), 1);
}

/* The host's clock set back: no match on the way back. */
Test(pl031, host_clock_going_back_matches_nothing)
{
	wr(PL031_MR, (uint32_t)BOOT_TIME - 100);
	mock.now_ns -= 1000 * SEC;
	cr_assert_eq(rd(PL031_DR), BOOT_TIME - 1000);
	cr_assert_eq(rd(PL031_RIS), 0);
	advance(900 * SEC);
	pl031_timer(&rtc);
	cr_assert_eq(rd(PL031_RIS), 1, "forward again it matches");
}

Test(pl031, reset_clears_the_interrupt_and_keeps_the_time)
{
	wr(PL031_LR, 5000);
	wr(PL031_IMSC, 1);
	wr(PL031_MR, 5000);
	cr_assert(mock.level);
	advance(7 * SEC);
	pl031_reset(&rtc);
	cr_assert_not(mock.level);
	cr_assert_eq(rd(PL031_MR), 0);
	cr_assert_eq(rd(PL031_LR), 0);
	cr_assert_eq(rd(PL031_IMSC), 0);
	cr_assert_eq(rd(PL031_RIS), 0);
	cr_assert_eq(rd(PL031_DR), 5007, "an RTC keeps time across a reboot");
	cr_assert_eq(mock.deadline, (BOOT_TIME + 7 + (uint32_t)(0 - 5007)) * SEC,
		     "armed for MR 0");
}

Test(pl031, reads_do_not_rearm_the_timer)
{
	wr(PL031_MR, rd(PL031_DR) + 60);
	mock.arms = 0;
	for (int i = 0; i < 30; i++) {
		advance(SEC);
		rd(PL031_DR);
	}
	cr_assert_eq(mock.arms, 0);
}

Test(pl031, widths_and_offsets)
{
	wr(PL031_LR, 0x12345678);
	cr_assert_eq(rd_len(PL031_LR, 1), 0x78);
	cr_assert_eq(rd_len(PL031_LR + 2, 2), 0x1234);
	cr_assert_eq(rd_len(PL031_LR, 8), 0, "8-byte access");
	cr_assert_eq(rd_len(PL031_LR + 3, 2), 0, "across a word");
	wr_len(PL031_LR + 1, 1, 0xff);
	cr_assert_eq(rd(PL031_LR), 0x12345678, "narrow write into a word ignored");
	wr_len(PL031_LR, 8, 7);
	cr_assert_eq(rd(PL031_LR), 0x12345678);
	static const uint64_t off[] = { 0x20, 0x100, 0xfdc, 0x1000, 0xffffffffffffff00ull };
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		wr(off[i], 0xffffffff);
		cr_assert_eq(rd(off[i]), 0);
	}
	static const unsigned int widths[] = { 1, 2, 3, 4, 8 };
	uint8_t b[8];
	for (uint64_t o = 0; o < 0x1010; o++)
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			pl031_mmio(&rtc, o, b, widths[w], false);
			memset(b, 0xa5, sizeof(b));
			pl031_mmio(&rtc, o, b, widths[w], true);
		}
}
