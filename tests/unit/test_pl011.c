// SPDX-License-Identifier: MIT
/*
 * PL011 UART model driven through its MMIO handler, with mock backends.
 * Also built for ThreadSanitizer (tests/tsan): only the assertions its
 * stand-in header has.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "devices/pl011.h"
#include "bus_access.h"
#include "thread_fixture.h"

struct mock {
	uint8_t tx[256];
	size_t ntx;
	bool level;
	unsigned int raises, drops;
	unsigned int drained;	/* rx_drained calls */
};

static struct mock mock;
static struct pl011 uart;

/*
 * A callback that finds the device lock taken was called under it. (Asserted
 * here: Criterion reports but does not fail a test for assertions in .fini.)
 */
static void check_unlocked(void)
{
	cr_assert_eq(pthread_mutex_trylock(&uart.lock), 0, "a host callback ran under the device lock");
	pthread_mutex_unlock(&uart.lock);
}

static void mock_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct mock *m = opaque;

	check_unlocked();
	cr_assert_leq(m->ntx + len, sizeof(m->tx));
	memcpy(m->tx + m->ntx, buf, len);
	m->ntx += len;
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

/* For the threaded tests: set_irq runs on their threads, where no assertion may fail. */
static void thread_set_irq(void *opaque, bool level)
{
	struct mock *m = opaque;

	m->level = level;	/* called under the device lock */
}

static void mock_rx_drained(void *opaque)
{
	struct mock *m = opaque;

	check_unlocked();
	m->drained++;
}

static void setup(void)
{
	struct uart_ops ops = { .tx = mock_tx, .set_irq = mock_set_irq,
				.rx_drained = mock_rx_drained, .opaque = &mock };

	memset(&mock, 0, sizeof(mock));
	pl011_init(&uart, &ops);
}

static void teardown(void)
{
	pl011_destroy(&uart);
}

TestSuite(pl011, .init = setup, .fini = teardown, .timeout = 20);

static uint32_t rd_len(uint64_t off, unsigned int len)
{
	return dev_rd(pl011_mmio, &uart, off, len);
}

static void wr_len(uint64_t off, unsigned int len, uint64_t v)
{
	dev_wr(pl011_mmio, &uart, off, len, v);
}

static uint32_t rd(uint64_t off)
{
	return rd_len(off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
	wr_len(off, 4, v);
}

static size_t rx(const char *s)
{
	return pl011_receive(&uart, (const uint8_t *)s, strlen(s));
}

static void fifos_on(void)
{
	wr(PL011_LCR_H, PL011_LCR_H_FEN | 0x60);	/* FIFOs, 8 bits */
}

#define FR_IDLE (PL011_FR_TXFE | PL011_FR_RXFE | PL011_FR_CTS | PL011_FR_DSR | PL011_FR_DCD)

Test(pl011, ids_are_what_linux_amba_bus_matches)
{
	uint32_t pid = 0, cid = 0;

	for (unsigned int i = 0; i < 4; i++) {
		pid |= (rd(0xfe0 + 4 * i) & 0xff) << (8 * i);
		cid |= (rd(0xff0 + 4 * i) & 0xff) << (8 * i);
	}
	cr_assert_eq(pid, 0x00141011);
	cr_assert_eq(pid & 0x000fffff, 0x00041011, "amba-pl011's id under its mask");
	cr_assert_lt((pid >> 20) & 0xf, 3, "revision 3+ means a 32-entry FIFO to Linux");
	cr_assert_eq(cid, 0xb105f00d);
	/* Read-only. */
	wr(0xfe0, 0x55);
	cr_assert_eq(rd(0xfe0), 0x11);
	cr_assert_eq(rd(0xfec), 0x00);
}

/* Every register as at power-on, the FIFO empty, the line low. */
static void assert_power_on_state(void)
{
	static const uint32_t zero[] = { PL011_RSR, PL011_ILPR, PL011_IBRD, PL011_FBRD,
					 PL011_LCR_H, PL011_IMSC, PL011_RIS, PL011_MIS,
					 PL011_ICR, PL011_DMACR };

	cr_assert_eq(rd(PL011_CR), PL011_CR_TXE | PL011_CR_RXE);
	cr_assert_eq(rd(PL011_IFLS), 0x12);
	cr_assert_eq(rd(PL011_FR), FR_IDLE);
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		cr_assert_eq(rd(zero[i]), 0, "register 0x%x", zero[i]);
	cr_assert_eq(pl011_rx_space(&uart), 1, "FIFOs are off at power-on");
	cr_assert_not(mock.level);
}

Test(pl011, power_on_values)
{
	assert_power_on_state();
	cr_assert_eq(rd(PL011_DR), 0);
}

Test(pl011, dr_write_transmits_at_any_width_even_disabled)
{
	wr(PL011_DR, 'h');		/* writel: earlycon=pl011,mmio32 */
	wr_len(PL011_DR, 1, 'i');	/* writeb: earlycon=pl011 */
	wr_len(PL011_DR, 2, 0x0f00 | '!');	/* writew: amba-pl011; upper bits dropped */
	wr(PL011_DR, 0xffffff00 | '\n');
	cr_assert_eq(mock.ntx, 4);
	cr_assert_arr_eq(mock.tx, "hi!\n", 4);
	cr_assert_eq(rd(PL011_CR) & PL011_CR_UARTEN, 0, "sent with UARTEN clear, as QEMU does");
	cr_assert_eq(rd(PL011_FR), FR_IDLE, "TXFE, never TXFF or BUSY");
	cr_assert_not(mock.level, "no interrupt without IMSC");
}

Test(pl011, register_widths)
{
	static const struct { uint32_t reg, mask; } regs[] = {
		{ PL011_ILPR, 0xff }, { PL011_IBRD, 0xffff }, { PL011_FBRD, 0x3f },
		{ PL011_LCR_H, 0xff }, { PL011_CR, 0xff87 }, { PL011_IFLS, 0x3f },
		{ PL011_IMSC, 0x7ff }, { PL011_DMACR, 0x7 },
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		wr(regs[i].reg, 0xffffffff);
		cr_assert_eq(rd(regs[i].reg), regs[i].mask, "0x%x", regs[i].reg);
		wr(regs[i].reg, 0x5a5a5a5a);
		cr_assert_eq(rd(regs[i].reg), 0x5a5a5a5a & regs[i].mask, "0x%x", regs[i].reg);
		wr(regs[i].reg, 0);
		cr_assert_eq(rd(regs[i].reg), 0);
	}
	/* The divisor Linux programs for 115200 at 24 MHz reads back. */
	wr_len(PL011_IBRD, 2, 13);
	wr_len(PL011_FBRD, 2, 1);
	cr_assert_eq(rd_len(PL011_IBRD, 2), 13);
	cr_assert_eq(rd_len(PL011_FBRD, 2), 1);
}

Test(pl011, read_only_registers_ignore_writes)
{
	wr(PL011_IMSC, PL011_INT_TX);
	wr(PL011_FR, 0);
	wr(PL011_RIS, PL011_INT_ALL);
	wr(PL011_MIS, PL011_INT_ALL);
	cr_assert_eq(rd(PL011_FR), FR_IDLE);
	cr_assert_eq(rd(PL011_RIS), 0);
	cr_assert_eq(rd(PL011_MIS), 0);
	cr_assert_not(mock.level);
	cr_assert_eq(mock.ntx, 0);
}

Test(pl011, fifo_16_entries_full_and_empty)
{
	uint8_t buf[20];

	fifos_on();
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)('A' + i);
	cr_assert_eq(pl011_rx_space(&uart), 16);
	cr_assert_eq(pl011_receive(&uart, buf, 10), 10);
	cr_assert_eq(rd(PL011_FR) & (PL011_FR_RXFE | PL011_FR_RXFF), 0);
	cr_assert_eq(pl011_rx_space(&uart), 6);
	cr_assert_eq(pl011_receive(&uart, buf + 10, 10), 6, "only what fits");
	cr_assert_eq(rd(PL011_FR) & (PL011_FR_RXFE | PL011_FR_RXFF), PL011_FR_RXFF);
	cr_assert_eq(pl011_receive(&uart, buf, 1), 0, "a full FIFO takes nothing");
	cr_assert_eq(rd(PL011_RIS) & PL011_INT_OE, 0, "host input never overruns");
	for (unsigned int i = 0; i < 16; i++) {
		cr_assert_eq(rd(PL011_FR) & PL011_FR_RXFE, 0);
		cr_assert_eq(rd(PL011_DR), buf[i], "entry %u", i);
		cr_assert_eq(rd(PL011_FR) & PL011_FR_RXFF, 0);
	}
	cr_assert_eq(rd(PL011_FR), FR_IDLE);
	cr_assert_eq(rd(PL011_DR), 0, "an empty FIFO reads 0");
	cr_assert_eq(pl011_rx_space(&uart), 16);
}

Test(pl011, fifo_wraps_around)
{
	uint8_t buf[16];

	fifos_on();
	for (int round = 0; round < 7; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(round * 16 + i);
		cr_assert_eq(pl011_receive(&uart, buf, 11), 11);
		for (size_t i = 0; i < 11; i++)
			cr_assert_eq(rd(PL011_DR), buf[i]);
	}
}

Test(pl011, fifos_off_hold_one_character)
{
	cr_assert_eq(rx("ab"), 1);
	cr_assert_eq(rd(PL011_FR) & (PL011_FR_RXFE | PL011_FR_RXFF), PL011_FR_RXFF);
	cr_assert_eq(pl011_rx_space(&uart), 0);
	cr_assert_eq(rx("b"), 0);
	cr_assert_eq(rd(PL011_DR), 'a');
	cr_assert_eq(rd(PL011_FR) & (PL011_FR_RXFE | PL011_FR_RXFF), PL011_FR_RXFE);
	cr_assert_eq(rx("b"), 1);
	cr_assert_eq(rd(PL011_DR), 'b');
}

Test(pl011, switching_fifos_keeps_what_was_received)
{
	fifos_on();
	cr_assert_eq(rx("xyz"), 3);
	wr(PL011_LCR_H, 0x60);	/* FIFOs off with three waiting */
	cr_assert_eq(rd(PL011_FR) & PL011_FR_RXFF, PL011_FR_RXFF);
	cr_assert_eq(pl011_rx_space(&uart), 0);
	cr_assert_eq(rd(PL011_DR), 'x');
	fifos_on();
	cr_assert_eq(pl011_rx_space(&uart), 14);
	cr_assert_eq(rd(PL011_DR), 'y');
	cr_assert_eq(rd(PL011_DR), 'z');
}

/* RX rises when the FIFO reaches IFLS's level, and falls below it. */
Test(pl011, rx_interrupt_at_each_fifo_level)
{
	static const unsigned int level[] = { 2, 4, 8, 12, 14 };
	uint8_t buf[16] = { 0 };

	fifos_on();
	wr(PL011_IMSC, PL011_INT_RX);
	for (unsigned int sel = 0; sel < 5; sel++) {
		wr(PL011_IFLS, sel << 3);
		for (unsigned int i = 0; i + 1 < level[sel]; i++)
			cr_assert_eq(pl011_receive(&uart, buf, 1), 1);
		cr_assert_eq(rd(PL011_RIS) & PL011_INT_RX, 0, "level %u: early", level[sel]);
		cr_assert_not(mock.level);
		cr_assert_eq(pl011_receive(&uart, buf, 1), 1);
		cr_assert_eq(rd(PL011_RIS) & PL011_INT_RX, PL011_INT_RX, "level %u", level[sel]);
		cr_assert_eq(rd(PL011_MIS), PL011_INT_RX);
		cr_assert(mock.level);
		rd(PL011_DR);
		cr_assert_eq(rd(PL011_RIS) & PL011_INT_RX, 0, "below the level again");
		cr_assert_not(mock.level);
		while (!(rd(PL011_FR) & PL011_FR_RXFE))
			rd(PL011_DR);
	}
}

Test(pl011, rx_interrupt_without_fifos_on_every_character)
{
	wr(PL011_IMSC, PL011_INT_RX);
	cr_assert_eq(rx("q"), 1);
	cr_assert(mock.level);
	cr_assert_eq(rd(PL011_DR), 'q');
	cr_assert_not(mock.level);
	cr_assert_eq(mock.raises, 1);
	cr_assert_eq(mock.drops, 1);
}

/* Fewer characters than the level: the receive timeout tells the guest. */
Test(pl011, receive_timeout_below_the_level)
{
	fifos_on();
	wr(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	cr_assert_eq(rx("abc"), 3);
	cr_assert_eq(rd(PL011_RIS) & (PL011_INT_RX | PL011_INT_RT), PL011_INT_RT);
	cr_assert(mock.level);
	cr_assert_eq(rd(PL011_DR), 'a');
	cr_assert(mock.level, "RT stays until the FIFO is empty");
	cr_assert_eq(rd(PL011_DR), 'b');
	cr_assert_eq(rd(PL011_DR), 'c');
	cr_assert_eq(rd(PL011_RIS), 0);
	cr_assert_not(mock.level);
	/* Masked, RT is only raw status. */
	wr(PL011_IMSC, 0);
	cr_assert_eq(rx("d"), 1);
	cr_assert_eq(rd(PL011_RIS), PL011_INT_RT);
	cr_assert_eq(rd(PL011_MIS), 0);
	cr_assert_not(mock.level);
}

Test(pl011, icr_clears_rx_and_rt_with_data_still_waiting)
{
	uint8_t buf[8] = "12345678";

	fifos_on();
	wr(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	cr_assert_eq(pl011_receive(&uart, buf, 8), 8);
	cr_assert_eq(rd(PL011_RIS), PL011_INT_RX | PL011_INT_RT);
	wr(PL011_ICR, PL011_INT_RT);
	cr_assert_eq(rd(PL011_RIS), PL011_INT_RX, "ICR clears only the bits written");
	cr_assert(mock.level);
	wr(PL011_ICR, PL011_INT_RX);
	cr_assert_eq(rd(PL011_RIS), 0);
	cr_assert_not(mock.level);
	cr_assert_eq(rd(PL011_DR), '1', "the data stays");
}

/*
 * TX marks the transmit FIFO draining through its level: not at power-on
 * (enabling TXIM alone raises nothing, as on the real part), but after
 * every character, since each one leaves at once.
 */
Test(pl011, tx_interrupt_after_each_character)
{
	wr(PL011_IMSC, PL011_INT_TX);
	cr_assert_eq(rd(PL011_RIS), 0);
	cr_assert_not(mock.level);
	wr(PL011_DR, 'a');
	cr_assert_eq(rd(PL011_RIS), PL011_INT_TX);
	cr_assert_eq(rd(PL011_MIS), PL011_INT_TX);
	cr_assert(mock.level);
	wr(PL011_ICR, PL011_INT_TX);
	cr_assert_not(mock.level);
	cr_assert_eq(rd(PL011_RIS), 0);
	fifos_on();
	wr_len(PL011_DR, 1, 'b');
	cr_assert(mock.level);
	cr_assert_eq(mock.ntx, 2);
	wr(PL011_IMSC, 0);
	cr_assert_not(mock.level);
	cr_assert_eq(rd(PL011_RIS), PL011_INT_TX, "masking keeps the raw status");
	wr(PL011_IMSC, PL011_INT_TX);
	cr_assert(mock.level, "unmasking a raw interrupt raises the line");
}

Test(pl011, mask_decides_the_line_for_every_source)
{
	fifos_on();
	cr_assert_eq(rx("a"), 1);		/* RT */
	wr(PL011_DR, 'x');			/* TX */
	wr(PL011_CR, PL011_CR_RESET | PL011_CR_LBE);	/* modem lines change: CTS, DSR, DCD */
	cr_assert_eq(rd(PL011_RIS), PL011_INT_RT | PL011_INT_TX | PL011_INT_CTS |
		     PL011_INT_DSR | PL011_INT_DCD);
	cr_assert_not(mock.level);
	static const uint32_t each[] = { PL011_INT_RT, PL011_INT_TX, PL011_INT_CTS,
					 PL011_INT_DSR, PL011_INT_DCD };
	for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
		wr(PL011_IMSC, each[i]);
		cr_assert(mock.level, "source 0x%x", each[i]);
		cr_assert_eq(rd(PL011_MIS), each[i]);
		wr(PL011_IMSC, PL011_INT_ALL & ~each[i] & ~(PL011_INT_RT | PL011_INT_TX |
							     PL011_INT_CTS | PL011_INT_DSR |
							     PL011_INT_DCD));
		cr_assert_not(mock.level);
	}
	wr(PL011_IMSC, PL011_INT_ALL);
	wr(PL011_ICR, PL011_INT_ALL);
	cr_assert_eq(rd(PL011_RIS), 0);
	cr_assert_not(mock.level);
}

Test(pl011, loopback_returns_characters_and_modem_lines)
{
	fifos_on();
	wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE | PL011_CR_LBE);
	cr_assert_eq(rd(PL011_FR) & 0x107, 0, "outputs low: every line low");
	wr(PL011_ICR, PL011_INT_ALL);
	wr(PL011_IMSC, PL011_INT_RT);
	wr(PL011_DR, 'L');
	wr_len(PL011_DR, 1, 'B');
	cr_assert_eq(mock.ntx, 0, "loopback does not transmit");
	cr_assert(mock.level);
	cr_assert_eq(rd(PL011_DR), 'L');
	cr_assert_eq(rd(PL011_DR), 'B');
	cr_assert_not(mock.level);
	/* DTR->DSR, RTS->CTS, Out1->DCD, Out2->RI, each with its interrupt. */
	static const struct { uint32_t cr, fr, ints; } lines[] = {
		{ PL011_CR_DTR, PL011_FR_DSR, PL011_INT_DSR },
		{ PL011_CR_RTS, PL011_FR_CTS, PL011_INT_CTS },
		{ PL011_CR_OUT1, PL011_FR_DCD, PL011_INT_DCD },
		{ PL011_CR_OUT2, PL011_FR_RI, PL011_INT_RI },
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		wr(PL011_ICR, PL011_INT_ALL);
		wr(PL011_CR, PL011_CR_LBE | lines[i].cr);
		cr_assert_eq(rd(PL011_FR) & 0x107, lines[i].fr);
		cr_assert_eq(rd(PL011_RIS), lines[i].ints | (i ? lines[i - 1].ints : 0));
	}
	/* Out of loopback, the line is connected again and output goes out. */
	wr(PL011_CR, PL011_CR_RESET);
	cr_assert_eq(rd(PL011_FR), FR_IDLE);
	wr(PL011_DR, 'T');
	cr_assert_eq(mock.ntx, 1);
	cr_assert_eq(mock.tx[0], 'T');
}

Test(pl011, loopback_overrun_and_break)
{
	wr(PL011_CR, PL011_CR_RESET | PL011_CR_LBE);	/* FIFOs off: one entry */
	wr(PL011_IMSC, PL011_INT_OE);
	wr(PL011_DR, '1');
	cr_assert_eq(rd(PL011_RSR), 0);
	cr_assert_not(mock.level);
	wr(PL011_DR, '2');	/* lost */
	cr_assert_eq(rd(PL011_RSR), PL011_RSR_OE, "overrun shows at once");
	cr_assert_eq(rd(PL011_RIS) & PL011_INT_OE, PL011_INT_OE);
	cr_assert(mock.level);
	cr_assert_eq(rd(PL011_DR), '1', "the FIFO keeps what it had");
	wr(PL011_DR, '3');
	cr_assert_eq(rd(PL011_DR), PL011_DR_OE | '3', "the next character carries OE");
	cr_assert_eq(rd(PL011_RSR), PL011_RSR_OE);
	wr(PL011_RSR, 0);	/* ECR */
	cr_assert_eq(rd(PL011_RSR), 0);
	wr(PL011_ICR, PL011_INT_OE);
	cr_assert_not(mock.level);
	/* A break sent is a break received: NUL with BE, and BEIS. */
	wr(PL011_LCR_H, PL011_LCR_H_BRK);
	cr_assert_eq(rd(PL011_RIS) & PL011_INT_BE, PL011_INT_BE);
	cr_assert_eq(rd(PL011_DR), PL011_DR_BE);
	cr_assert_eq(rd(PL011_RSR), PL011_RSR_BE);
	wr(PL011_LCR_H, PL011_LCR_H_BRK);	/* still on: no second break */
	cr_assert_eq(rd(PL011_FR) & PL011_FR_RXFE, PL011_FR_RXFE);
	cr_assert_eq(mock.ntx, 0);
}

/* In loopback the receive line is disconnected: input is lost, pacing goes on. */
Test(pl011, host_input_in_loopback_is_dropped_and_drained)
{
	wr(PL011_CR, PL011_CR_RESET | PL011_CR_LBE);
	cr_assert_eq(rx("typed"), 5);
	cr_assert_eq(rd(PL011_FR) & PL011_FR_RXFE, PL011_FR_RXFE);
	cr_assert_eq(mock.drained, 1);
	cr_assert_eq(rx(""), 0);
	cr_assert_eq(mock.drained, 1);
}

Test(pl011, host_is_told_once_when_the_guest_has_read_all_input)
{
	fifos_on();
	cr_assert_eq(rx("abc"), 3);
	cr_assert_eq(rd(PL011_DR), 'a');
	cr_assert_eq(rd(PL011_DR), 'b');
	cr_assert_eq(mock.drained, 0, "told before the FIFO was empty");
	cr_assert_eq(rd(PL011_DR), 'c');
	cr_assert_eq(mock.drained, 1);
	rd(PL011_DR);
	rd(PL011_FR);
	cr_assert_eq(mock.drained, 1, "an empty FIFO read again is no news");
}

Test(pl011, reset_returns_to_power_on_state)
{
	fifos_on();
	wr(PL011_IBRD, 13);
	wr(PL011_FBRD, 1);
	wr(PL011_ILPR, 9);
	wr(PL011_DMACR, 3);
	wr(PL011_IFLS, 0x24);
	wr(PL011_CR, 0xff87);
	wr(PL011_IMSC, PL011_INT_ALL);
	wr(PL011_DR, 'x');
	wr(PL011_CR, PL011_CR_RESET);
	cr_assert_eq(rx("left unread"), 11);
	cr_assert(mock.level, "set-up should have raised the line");
	pl011_reset(&uart);
	cr_assert_not(mock.level, "the interrupt line stays high across the reset");
	cr_assert_eq(mock.drained, 1, "the host side was not told the input is gone");
	assert_power_on_state();
	/* The next boot works as the first did. */
	wr(PL011_IMSC, PL011_INT_RX);
	cr_assert_eq(rx("b"), 1);
	cr_assert(mock.level);
	cr_assert_eq(rd(PL011_DR), 'b');
	cr_assert_not(mock.level);
	cr_assert_eq(mock.drained, 2);
}

Test(pl011, reset_with_nothing_pending_is_quiet)
{
	pl011_reset(&uart);
	cr_assert_eq(mock.drained, 0);
	cr_assert_eq(mock.raises + mock.drops, 0, "the line moved without a cause");
}

/* 8- and 16-bit reads as polled bare-metal drivers and amba-pl011 do them. */
Test(pl011, narrow_reads_read_the_register)
{
	fifos_on();
	wr(PL011_IBRD, 0xbeef);
	cr_assert_eq(rd_len(PL011_IBRD, 1), 0xef);
	cr_assert_eq(rd_len(PL011_IBRD + 1, 1), 0xbe, "byte lane 1");
	cr_assert_eq(rd_len(PL011_IBRD + 2, 2), 0);
	cr_assert_eq(rd_len(PL011_FR, 2), FR_IDLE);
	cr_assert_eq(rd_len(PL011_FR, 1), FR_IDLE & 0xff);
	cr_assert_eq(rx("pq"), 2);
	cr_assert_eq(rd_len(PL011_DR, 1), 'p', "ldrb of DR pops a character");
	cr_assert_eq(rd_len(PL011_DR, 2), 'q');
	cr_assert_eq(rd(PL011_FR) & PL011_FR_RXFE, PL011_FR_RXFE);
}

/* Accesses that reach no register: zeros, no side effect, no crash. */
Test(pl011, accesses_that_decode_to_nothing)
{
	fifos_on();
	cr_assert_eq(rx("k"), 1);
	cr_assert_eq(rd_len(PL011_DR, 8), 0, "8-byte read");
	cr_assert_eq(rd_len(PL011_DR + 3, 2), 0, "read across a word");
	cr_assert_eq(rd_len(PL011_DR + 2, 4), 0, "unaligned word");
	wr_len(PL011_DR, 8, 'X');
	wr_len(PL011_DR + 1, 1, 'X');
	wr_len(PL011_DR + 2, 2, 'X');
	cr_assert_eq(mock.ntx, 0, "none of those transmit");
	wr(PL011_CR, PL011_CR_RESET);
	wr_len(PL011_CR + 1, 1, 0xff);	/* a byte into the middle of CR */
	cr_assert_eq(rd(PL011_CR), PL011_CR_RESET);
	cr_assert_eq(rd(PL011_DR), 'k', "the FIFO was left alone");
	/* Reserved offsets and past the frame. */
	static const uint64_t off[] = { 0x8, 0xc, 0x10, 0x14, 0x1c, 0x4c, 0x800, 0xfdc,
					0x1000, 0x1004, 0xffffffffffffffffull };
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		wr(off[i], 0xffffffff);
		cr_assert_eq(rd(off[i]), 0, "offset 0x%llx", (unsigned long long)off[i]);
	}
	cr_assert_eq(mock.ntx, 0);
	cr_assert_eq(rd(PL011_IMSC), 0);
}

/* Every offset, every width, both directions: never a crash (ASan/UBSan builds). */
Test(pl011, every_offset_and_width)
{
	static const unsigned int widths[] = { 1, 2, 3, 4, 8 };
	uint8_t b[8];

	for (uint64_t off = 0; off < 0x1010; off++) {
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			memset(b, 0, sizeof(b));
			pl011_mmio(&uart, off, b, widths[w], false);
			if (off == PL011_DR || off == PL011_LCR_H || off == PL011_CR)
				continue;	/* keep the mock's transmit buffer and loopback out */
			memset(b, 0xff, sizeof(b));
			pl011_mmio(&uart, off, b, widths[w], true);
		}
	}
	cr_assert_eq(rd(PL011_FR) & PL011_FR_TXFE, PL011_FR_TXFE);
}

/*
 * THE RULE (issue 24): ops.tx may block on a stdout nobody reads. It must run
 * without the device lock, so the main loop's pl011_receive() goes on.
 */
struct blocking_tx {
	pthread_mutex_t m;
	pthread_cond_t cv;
	bool in_tx, release;
	uint64_t received;	/* bytes the main-loop thread got in while tx blocked */
};

static struct blocking_tx btx = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
				  false, false, 0 };

static void blocking_tx_fn(void *opaque, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&btx.m);
	btx.in_tx = true;
	pthread_cond_broadcast(&btx.cv);
	while (!btx.release)
		pthread_cond_wait(&btx.cv, &btx.m);
	pthread_mutex_unlock(&btx.m);
}

static void *vcpu_writes_dr(void *arg)
{
	wr(PL011_DR, 'v');
	return NULL;
}

static void *main_loop_receives(void *arg)
{
	uint8_t c = 'i';

	__atomic_add_fetch(&btx.received, pl011_receive(&uart, &c, 1), __ATOMIC_RELAXED);
	__atomic_add_fetch(&btx.received, pl011_rx_space(&uart) == 0, __ATOMIC_RELAXED);
	return NULL;
}

Test(pl011, a_blocked_tx_does_not_block_receive)
{
	struct uart_ops ops = { .tx = blocking_tx_fn, .set_irq = thread_set_irq, .opaque = &mock };
	pthread_t vcpu, loop;
	bool got_in;

	pl011_destroy(&uart);
	pl011_init(&uart, &ops);
	cr_assert_eq(pthread_create(&vcpu, NULL, vcpu_writes_dr, NULL), 0);
	pthread_mutex_lock(&btx.m);
	while (!btx.in_tx)
		pthread_cond_wait(&btx.cv, &btx.m);
	pthread_mutex_unlock(&btx.m);
	/* The vCPU is stuck in tx. Input must still get in. */
	cr_assert_eq(pthread_create(&loop, NULL, main_loop_receives, NULL), 0);
	got_in = wait_counter(&btx.received, 2);
	pthread_mutex_lock(&btx.m);
	btx.release = true;
	pthread_cond_broadcast(&btx.cv);
	pthread_mutex_unlock(&btx.m);
	pthread_join(vcpu, NULL);
	pthread_join(loop, NULL);
	cr_assert(got_in, "pl011_receive waited for a blocked tx");
	cr_assert_eq(rd(PL011_DR), 'i');
}

/* Output from several vCPUs at once: every byte once, the model's state intact. */
static void *vcpu_writes_many(void *arg)
{
	for (int i = 0; i < 200; i++)
		wr(PL011_DR, 'a' + (uint32_t)(uintptr_t)arg);
	return NULL;
}

static uint64_t counted_tx;

static void counting_tx(void *opaque, const uint8_t *buf, size_t len)
{
	__atomic_add_fetch(&counted_tx, len, __ATOMIC_RELAXED);
}

Test(pl011, concurrent_writers_and_input)
{
	struct uart_ops ops = { .tx = counting_tx, .set_irq = thread_set_irq, .opaque = &mock };
	pthread_t t[3];
	uint8_t c = 'z';
	size_t got = 0;

	pl011_destroy(&uart);
	pl011_init(&uart, &ops);
	fifos_on();
	for (uintptr_t i = 0; i < 3; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, vcpu_writes_many, (void *)i), 0);
	for (int i = 0; i < 200; i++) {
		got += pl011_receive(&uart, &c, 1);
		if (i % 7 == 0)
			while (!(rd(PL011_FR) & PL011_FR_RXFE))
				rd(PL011_DR);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(counter(&counted_tx), 600);
	cr_assert_geq(got, 16);
}
