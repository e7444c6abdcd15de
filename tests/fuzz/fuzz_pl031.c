// SPDX-License-Identifier: MIT
/*
 * The PL031 RTC (devices/pl031.c) driven by a hostile guest through its MMIO
 * handler on a fake clock the input moves. Input: a list of
 *
 *   u8 kind, u16 offset, u32 value
 *
 * kind bits 4-5: 0 an MMIO access at offset % 0x1010 (bit 0: write; bits
 * 1-3: width 1, 2, 4, 8, 3, 1, 2, 4 bytes), 1 the clock moves forward by
 * value * 2^kind[1-3] ns, 2 the host timer fires, 3 a reboot, or with bit 0
 * the host's clock is set to value seconds (forward or back).
 *
 * Checked after every step: the line follows RIS & IMSC with no redundant
 * calls, DR counts the clock's seconds from the last load, CR reads 1, the
 * IDs never change, a deadline given to the host lies ahead of the clock,
 * and a timer that fires at or after its deadline finds the match raised
 * (unless the guest moved MR, LR or cleared it, or the clock went back).
 */
#include "devices/pl031.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEC 1000000000ull

static struct pl031 rtc;
static bool line;
static uint64_t now_ns, deadline;
static bool deadline_clean;	/* nothing since arming could move or clear the match */

static uint64_t fake_now(void *opaque)
{
	return now_ns;
}

static void on_irq(void *opaque, bool level)
{
	FZ_CHECK(level != line);
	line = level;
}

static void on_arm(void *opaque, uint64_t deadline_ns)
{
	FZ_CHECK(!deadline_ns || deadline_ns > now_ns);
	deadline = deadline_ns;
	deadline_clean = true;
}

static uint32_t read32(uint32_t off)
{
	uint8_t b[4];

	pl031_mmio(&rtc, off, b, 4, false);
	return primecell_write_value(b, 4);
}

static void check_state(void)
{
	static const uint8_t id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

	FZ_CHECK(line == (rtc.ris && rtc.imsc));
	FZ_CHECK(read32(PL031_DR) == (uint32_t)(now_ns / SEC) + rtc.offset);
	FZ_CHECK(read32(PL031_CR) == 1);
	FZ_CHECK(read32(PL031_MIS) == (uint32_t)(rtc.ris && rtc.imsc));
	for (unsigned int i = 0; i < 8; i++)
		FZ_CHECK(read32(PRIMECELL_ID_BASE + 4 * i) == id[i]);
}

static void guest_access(uint8_t kind, uint16_t offset, uint32_t value)
{
	static const unsigned int widths[8] = { 1, 2, 4, 8, 3, 1, 2, 4 };
	uint8_t b[8];

	for (unsigned int i = 0; i < 8; i++)
		b[i] = (uint8_t)(value >> (8 * (i & 3)));
	if (kind & 1)
		deadline_clean = false;	/* MR, LR, ICR may move or clear the match */
	pl031_mmio(&rtc, offset % 0x1010u, b, widths[(kind >> 1) & 7], kind & 1);
}

static void timer_fires(void)
{
	bool due = deadline && deadline_clean && now_ns >= deadline &&
		   now_ns - deadline < 0x7fffffffull * SEC;

	pl031_timer(&rtc);
	if (due)
		FZ_CHECK(rtc.ris);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl031_ops ops = { .set_irq = on_irq, .arm_timer = on_arm, .now_ns = fake_now };
	struct fz f = { data, size };

	line = false;
	deadline = 0;
	deadline_clean = false;
	now_ns = 1700000000ull * SEC;
	pl031_init(&rtc, &ops);
	while (f.n >= 7) {
		uint8_t kind = fz_u8(&f);
		uint16_t offset = fz_u16(&f);
		uint32_t value = fz_u32(&f);

		switch ((kind >> 4) & 3) {
		case 1:
			now_ns += (uint64_t)value << ((kind >> 1) & 7);
			break;
		case 2:
			timer_fires();
			break;
		case 3:
			if (kind & 1) {
				deadline_clean = false;	/* back, or too far for the counter to tell */
				now_ns = (uint64_t)value * SEC;
			} else {
				pl031_reset(&rtc);
				FZ_CHECK(!line && !rtc.ris);
			}
			break;
		default:
			guest_access(kind, offset, value);
			break;
		}
		check_state();
	}
	pl031_destroy(&rtc);
	return 0;
}
