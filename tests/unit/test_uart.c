// SPDX-License-Identifier: MIT
/* 16550 UART model driven through its MMIO handler, with mock backends. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "devices/uart.h"
#include "lib/dev_lock.h"

struct mock {
	uint8_t tx[256];
	size_t ntx;
	bool level;
	unsigned int raises, drops;
	unsigned int redundant;	/* set_irq called without a level change */
	unsigned int drained;	/* rx_drained calls */
};

static struct mock mock;
static struct uart16550 uart;

static void mock_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct mock *m = opaque;

	cr_assert_leq(m->ntx + len, sizeof(m->tx));
	memcpy(m->tx + m->ntx, buf, len);
	m->ntx += len;
}

static void mock_set_irq(void *opaque, bool level)
{
	struct mock *m = opaque;

	if (level == m->level)
		m->redundant++;
	m->level = level;
	if (level)
		m->raises++;
	else
		m->drops++;
}

static void mock_rx_drained(void *opaque)
{
	struct mock *m = opaque;

	m->drained++;
}

static void setup(void)
{
	struct uart_ops ops = { .tx = mock_tx, .set_irq = mock_set_irq,
				.rx_drained = mock_rx_drained, .opaque = &mock };

	memset(&mock, 0, sizeof(mock));
	uart_init(&uart, &ops);
}

static void teardown(void)
{
	cr_assert_eq(mock.redundant, 0, "set_irq called without a level change");
	uart_destroy(&uart);
}

TestSuite(uart, .init = setup, .fini = teardown);

static uint8_t rd(unsigned int reg)
{
	uint8_t v = 0xcc;

	uart_mmio(&uart, reg, &v, 1, false);
	return v;
}

static void wr(unsigned int reg, uint8_t v)
{
	uart_mmio(&uart, reg, &v, 1, true);
}

static void rx(const char *s)
{
	size_t n = strlen(s);

	cr_assert_eq(uart_receive(&uart, (const uint8_t *)s, n), n);
}

Test(uart, thr_write_transmits)
{
	wr(UART_THR, 'h');
	wr(UART_THR, 'i');
	wr(UART_THR, 0);
	cr_assert_eq(mock.ntx, 3);
	cr_assert_arr_eq(mock.tx, "hi\0", 3);
	/* No interrupt without IER. */
	cr_assert_eq(mock.raises, 0);
	cr_assert_not(mock.level);
}

Test(uart, lsr_bits)
{
	cr_assert_eq(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	wr(UART_THR, 'x');
	cr_assert_eq(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT, "THR is always empty");
	rx("a");
	cr_assert_eq(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT | UART_LSR_DR);
	cr_assert_eq(rd(UART_RBR), 'a');
	cr_assert_eq(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
}

Test(uart, reset_state)
{
	cr_assert_eq(rd(UART_IER), 0);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
	cr_assert_eq(rd(UART_LCR), 0);
	cr_assert_eq(rd(UART_MCR), 0x08);
	cr_assert_eq(rd(UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
	cr_assert_eq(rd(UART_RBR), 0, "empty FIFO reads 0");
	cr_assert_eq(uart_rx_space(&uart), UART_RX_FIFO_SIZE);
	cr_assert_not(mock.level);
}

Test(uart, thri_enable_raises_and_iir_acknowledges)
{
	wr(UART_IER, UART_IER_THRI);
	cr_assert(mock.level, "enabling THRI with THR empty raises the line");
	cr_assert_eq(mock.raises, 1);
	cr_assert_eq(rd(UART_IER), UART_IER_THRI);
	cr_assert_eq(rd(UART_IIR), UART_IIR_THRI);
	cr_assert_not(mock.level, "IIR read acknowledges THRE");
	cr_assert_eq(mock.drops, 1);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
	cr_assert_not(mock.level);

	/* Each transmitted byte empties THR again: new interrupt. */
	wr(UART_THR, 'z');
	cr_assert(mock.level);
	cr_assert_eq(mock.raises, 2);
	cr_assert_eq(rd(UART_IIR), UART_IIR_THRI);
	cr_assert_not(mock.level);

	/* Re-writing IER with THRI already set does not re-arm it. */
	wr(UART_IER, UART_IER_THRI);
	cr_assert_not(mock.level);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
}

Test(uart, thri_disable_drops_line)
{
	wr(UART_IER, UART_IER_THRI);
	cr_assert(mock.level);
	wr(UART_IER, 0);
	cr_assert_not(mock.level);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
}

Test(uart, ier_upper_bits_masked)
{
	wr(UART_IER, 0xf0);
	cr_assert_eq(rd(UART_IER), 0);
	wr(UART_IER, 0xff);
	cr_assert_eq(rd(UART_IER), 0x0f);
}

Test(uart, rx_interrupt_and_order)
{
	wr(UART_IER, UART_IER_RDI);
	cr_assert_not(mock.level);
	rx("abc");
	cr_assert(mock.level);
	cr_assert_eq(mock.raises, 1);
	cr_assert_eq(rd(UART_IIR), UART_IIR_RDI);
	cr_assert(mock.level, "IIR read does not clear RDI");
	cr_assert_eq(rd(UART_RBR), 'a');
	cr_assert(mock.level);
	cr_assert_eq(rd(UART_RBR), 'b');
	cr_assert_eq(rd(UART_RBR), 'c');
	cr_assert_not(mock.level, "line drops once drained");
	cr_assert_eq(mock.drops, 1);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
}

Test(uart, rx_without_rdi_no_interrupt)
{
	rx("q");
	cr_assert_not(mock.level);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
	/* Enabling RDI with data waiting raises the line at once. */
	wr(UART_IER, UART_IER_RDI);
	cr_assert(mock.level);
	cr_assert_eq(rd(UART_IIR), UART_IIR_RDI);
}

Test(uart, rdi_has_priority_over_thri)
{
	wr(UART_IER, UART_IER_RDI | UART_IER_THRI);
	rx("k");
	cr_assert_eq(rd(UART_IIR), UART_IIR_RDI);
	cr_assert_eq(rd(UART_RBR), 'k');
	cr_assert(mock.level, "THRE still pending after RX drained");
	cr_assert_eq(rd(UART_IIR), UART_IIR_THRI);
	cr_assert_not(mock.level);
}

Test(uart, fifo_capacity)
{
	uint8_t buf[UART_RX_FIFO_SIZE + 10];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i + 1);
	cr_assert_eq(uart_receive(&uart, buf, 10), 10);
	cr_assert_eq(uart_rx_space(&uart), UART_RX_FIFO_SIZE - 10);
	cr_assert_eq(uart_receive(&uart, buf + 10, sizeof(buf) - 10), UART_RX_FIFO_SIZE - 10);
	cr_assert_eq(uart_rx_space(&uart), 0);
	cr_assert_eq(uart_receive(&uart, buf, 1), 0, "full FIFO refuses bytes");
	for (size_t i = 0; i < UART_RX_FIFO_SIZE; i++)
		cr_assert_eq(rd(UART_RBR), buf[i], "byte %zu", i);
	cr_assert_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	cr_assert_eq(uart_rx_space(&uart), UART_RX_FIFO_SIZE);
}

Test(uart, fifo_wraps_around)
{
	uint8_t buf[UART_RX_FIFO_SIZE];

	for (int round = 0; round < 5; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(round * 50 + i);
		/* Leave a partial fill so head moves around the ring. */
		cr_assert_eq(uart_receive(&uart, buf, 37), 37);
		for (size_t i = 0; i < 37; i++)
			cr_assert_eq(rd(UART_RBR), buf[i]);
	}
	cr_assert_eq(uart_receive(&uart, buf, 0), 0);
}

Test(uart, dlab_divisor_latch)
{
	wr(UART_IER, UART_IER_RDI);
	wr(UART_LCR, UART_LCR_DLAB | 0x03);
	cr_assert_eq(rd(UART_LCR), 0x83);
	wr(UART_DLL, 0x0c);
	wr(UART_DLM, 0x01);
	cr_assert_eq(rd(UART_DLL), 0x0c);
	cr_assert_eq(rd(UART_DLM), 0x01);
	cr_assert_eq(mock.ntx, 0, "DLL write must not transmit");
	cr_assert_not(mock.level, "DLL write must not raise THRE");
	wr(UART_LCR, 0x03);
	cr_assert_eq(rd(UART_IER), UART_IER_RDI, "DLM write did not touch IER");
	wr(UART_THR, 'A');
	cr_assert_eq(mock.ntx, 1);
	cr_assert_eq(mock.tx[0], 'A');
	/* With DLAB set, RBR reads DLL and leaves the FIFO alone. */
	rx("r");
	wr(UART_LCR, UART_LCR_DLAB);
	cr_assert_eq(rd(UART_RBR), 0x0c);
	wr(UART_LCR, 0);
	cr_assert_eq(rd(UART_RBR), 'r');
}

Test(uart, fcr_clear_rx_and_fifo_flag)
{
	wr(UART_IER, UART_IER_RDI);
	rx("12345");
	cr_assert(mock.level);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	cr_assert_not(mock.level, "cleared FIFO drops the RX interrupt");
	cr_assert_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	cr_assert_eq(uart_rx_space(&uart), UART_RX_FIFO_SIZE);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT | UART_IIR_FIFO);
	rx("6");
	cr_assert_eq(rd(UART_IIR), UART_IIR_RDI | UART_IIR_FIFO);
	cr_assert_eq(rd(UART_RBR), '6');
	wr(UART_FCR, 0);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
}

Test(uart, fcr_enable_keeps_data)
{
	rx("ab");
	wr(UART_FCR, UART_FCR_ENABLE);
	cr_assert_eq(rd(UART_RBR), 'a');
	cr_assert_eq(rd(UART_RBR), 'b');
}

Test(uart, loopback)
{
	wr(UART_IER, UART_IER_RDI);
	wr(UART_MCR, UART_MCR_LOOP);
	cr_assert_eq(rd(UART_MCR), UART_MCR_LOOP);
	wr(UART_THR, 'L');
	wr(UART_THR, 'B');
	cr_assert_eq(mock.ntx, 0, "loopback does not transmit");
	cr_assert(mock.level);
	cr_assert_eq(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	cr_assert_eq(rd(UART_RBR), 'L');
	cr_assert_eq(rd(UART_RBR), 'B');
	cr_assert_not(mock.level);
	wr(UART_MCR, 0);
	wr(UART_THR, 'T');
	cr_assert_eq(mock.ntx, 1);
	cr_assert_eq(mock.tx[0], 'T');
}

Test(uart, loopback_msr_mirrors_mcr)
{
	/* DTR->DSR(0x20), RTS->CTS(0x10), OUT1->RI(0x40), OUT2->DCD(0x80). */
	static const struct { uint8_t mcr, msr; } map[] = {
		{ 0x00, 0x00 }, { 0x01, 0x20 }, { 0x02, 0x10 }, { 0x04, 0x40 },
		{ 0x08, 0x80 }, { 0x0f, 0xf0 }, { 0x05, 0x60 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		wr(UART_MCR, UART_MCR_LOOP | map[i].mcr);
		cr_assert_eq(rd(UART_MSR), map[i].msr, "MCR 0x%x", map[i].mcr);
	}
	wr(UART_MCR, 0x0f);
	cr_assert_eq(rd(UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
	wr(UART_MCR, 0xff);
	cr_assert_eq(rd(UART_MCR), 0x1f, "MCR bits 5-7 are reserved");
}

Test(uart, scratch_register)
{
	cr_assert_eq(rd(UART_SCR), 0);
	wr(UART_SCR, 0xa5);
	cr_assert_eq(rd(UART_SCR), 0xa5);
	wr(UART_SCR, 0x5a);
	cr_assert_eq(rd(UART_SCR), 0x5a);
	cr_assert_eq(mock.ntx, 0);
}

Test(uart, read_only_registers_ignore_writes)
{
	wr(UART_LSR, 0);
	wr(UART_MSR, 0);
	cr_assert_eq(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	cr_assert_eq(rd(UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
	cr_assert_eq(rd(UART_SCR), 0);
}

Test(uart, offsets_beyond_registers)
{
	uint8_t v[4] = { 0xff, 0xff, 0xff, 0xff };

	wr(UART_SCR, 0x77);
	for (uint64_t off = 8; off < 0x1000; off += 0x1f1) {
		memset(v, 0xff, sizeof(v));
		uart_mmio(&uart, off, v, 4, false);
		cr_assert_eq(v[0] | v[1] | v[2] | v[3], 0, "offset 0x%llx", (unsigned long long)off);
	}
	/* Offset 8 would alias THR if masked: must not transmit. */
	v[0] = 'X';
	uart_mmio(&uart, 8, v, 1, true);
	uart_mmio(&uart, 0xff8, v, 1, true);
	cr_assert_eq(mock.ntx, 0);
	v[0] = 0;
	uart_mmio(&uart, 15, v, 1, true);	/* would alias SCR */
	cr_assert_eq(rd(UART_SCR), 0x77);
}

Test(uart, wide_reads_zero_fill)
{
	uint8_t v[8];

	wr(UART_SCR, 0x9e);
	memset(v, 0xff, sizeof(v));
	uart_mmio(&uart, UART_SCR, v, 4, false);
	cr_assert_eq(v[0], 0x9e);
	cr_assert_eq(v[1] | v[2] | v[3], 0);
	memset(v, 0xff, sizeof(v));
	uart_mmio(&uart, UART_LSR, v, 8, false);
	cr_assert_eq(v[0], UART_LSR_THRE | UART_LSR_TEMT);
	for (int i = 1; i < 8; i++)
		cr_assert_eq(v[i], 0);
	memset(v, 0xff, sizeof(v));
	uart_mmio(&uart, UART_MSR, v, 2, false);
	cr_assert_eq(v[1], 0);
}

Test(uart, wide_write_uses_low_byte)
{
	uint8_t v[4] = { 'w', 'x', 'y', 'z' };

	uart_mmio(&uart, UART_THR, v, 4, true);
	cr_assert_eq(mock.ntx, 1);
	cr_assert_eq(mock.tx[0], 'w');
}

Test(uart, host_is_told_once_when_the_guest_has_read_all_input)
{
	cr_assert_eq(uart_receive(&uart, (const uint8_t *)"abc", 3), 3);
	cr_assert_eq(rd(UART_RBR), 'a');
	cr_assert_eq(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	cr_assert_eq(rd(UART_RBR), 'b');
	cr_assert_eq(mock.drained, 0, "told before the FIFO was empty");
	cr_assert_eq(rd(UART_RBR), 'c');
	cr_assert_eq(mock.drained, 1);
	/* Reading an empty FIFO again is no new news. */
	rd(UART_RBR);
	rd(UART_LSR);
	cr_assert_eq(mock.drained, 1);
	/* A FIFO reset (FCR) empties it too. */
	cr_assert_eq(uart_receive(&uart, (const uint8_t *)"d", 1), 1);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	cr_assert_eq(mock.drained, 2);
}

/* A guest reboot: what the old kernel set up and left unread is gone. */
Test(uart, uart_reset_returns_to_power_on_state)
{
	wr(UART_LCR, UART_LCR_DLAB);
	wr(UART_DLL, 3);
	wr(UART_LCR, 0x03);
	wr(UART_SCR, 0x5a);
	wr(UART_FCR, UART_FCR_ENABLE);
	wr(UART_IER, UART_IER_RDI | UART_IER_THRI);
	rx("left unread");
	cr_assert(mock.level, "set-up should have raised the line");
	uart_reset(&uart);
	cr_assert_not(mock.level, "the interrupt line stays high across the reset");
	cr_assert_eq(mock.drained, 1, "the host side was not told the input is gone");
	cr_assert_eq(rd(UART_IER), 0);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
	cr_assert_eq(rd(UART_LCR), 0);
	cr_assert_eq(rd(UART_MCR), 0x08);
	cr_assert_eq(rd(UART_SCR), 0);
	cr_assert_eq(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT, "FIFO not empty");
	cr_assert_eq(uart_rx_space(&uart), UART_RX_FIFO_SIZE);
	wr(UART_LCR, UART_LCR_DLAB);
	cr_assert_eq(rd(UART_DLL), 0, "divisor kept");
	wr(UART_LCR, 0);
	/* The next boot works as the first did. */
	wr(UART_IER, UART_IER_RDI);
	rx("b");
	cr_assert(mock.level);
	cr_assert_eq(rd(UART_RBR), 'b');
	cr_assert_not(mock.level);
}

Test(uart, uart_reset_with_nothing_pending_is_quiet)
{
	uart_reset(&uart);
	cr_assert_eq(mock.drained, 0);
	cr_assert_eq(mock.raises + mock.drops, 0, "the line moved without a cause");
}

/*
 * The rule of lib/dev_lock.h: ops.tx may block (stdout's reader stalled)
 * and is called with no lock held, so the main loop's uart_receive() and
 * another vCPU's register reads return meanwhile. (Before: a vCPU waited
 * in ops.tx holding the UART lock, and the main loop, the one thread that
 * handles SIGTERM and --timeout, blocked in uart_receive() for good.)
 */
static struct {
	int release[2];		/* a pipe: tx blocks reading it */
	unsigned int entered, locks_in_tx;
	char sent[8];
} stall;

static void stalling_tx(void *opaque, const uint8_t *buf, size_t len)
{
	unsigned int n = __atomic_load_n(&stall.entered, __ATOMIC_ACQUIRE);
	char c;

	(void)opaque;
	stall.locks_in_tx += dev_locks_held();
	stall.sent[n] = (char)buf[0];
	__atomic_store_n(&stall.entered, n + 1, __ATOMIC_RELEASE);
	cr_assert_eq(read(stall.release[0], &c, 1), 1);
	(void)len;
}

static void *write_thr(void *arg)
{
	uint8_t v = (uint8_t)(uintptr_t)arg;

	uart_mmio(&uart, UART_THR, &v, 1, true);
	return NULL;
}

static void *receive_one(void *arg)
{
	uart_receive(&uart, (const uint8_t *)"y", 1);
	__atomic_store_n((bool *)arg, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait (up to 2 s) for *@count to reach @want. */
static bool wait_for(const unsigned int *count, unsigned int want)
{
	for (int i = 0; i < 2000 && __atomic_load_n(count, __ATOMIC_ACQUIRE) < want; i++)
		usleep(1000);
	return __atomic_load_n(count, __ATOMIC_ACQUIRE) >= want;
}

static void stalling_uart(void)
{
	struct uart_ops ops = { .tx = stalling_tx, .set_irq = mock_set_irq, .opaque = &mock };

	uart_destroy(&uart);
	uart_init(&uart, &ops);
	memset(&stall, 0, sizeof(stall));
	cr_assert_eq(pipe(stall.release), 0);
}

Test(uart, a_blocked_tx_holds_up_neither_receive_nor_register_reads)
{
	pthread_t vcpu, main_loop;
	bool received = false;

	stalling_uart();
	cr_assert_eq(pthread_create(&vcpu, NULL, write_thr, (void *)(uintptr_t)'x'), 0);
	cr_assert(wait_for(&stall.entered, 1), "tx was never called");
	cr_assert_eq(pthread_create(&main_loop, NULL, receive_one, &received), 0);
	for (int i = 0; i < 2000 && !__atomic_load_n(&received, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	cr_assert(__atomic_load_n(&received, __ATOMIC_ACQUIRE),
		  "uart_receive() waited behind a blocked tx");
	cr_assert(rd(UART_LSR) & UART_LSR_DR, "another vCPU reads the registers meanwhile");
	cr_assert_eq(write(stall.release[1], "g", 1), 1);
	pthread_join(vcpu, NULL);
	pthread_join(main_loop, NULL);
	cr_assert_eq(stall.locks_in_tx, 0, "tx was called with a device lock held");
}

/* Two vCPUs' bytes: sent one at a time, in the order THR was written. */
Test(uart, bytes_leave_in_thr_order_one_at_a_time)
{
	pthread_t a, b;

	stalling_uart();
	cr_assert_eq(pthread_create(&a, NULL, write_thr, (void *)(uintptr_t)'a'), 0);
	cr_assert(wait_for(&stall.entered, 1));
	cr_assert_eq(pthread_create(&b, NULL, write_thr, (void *)(uintptr_t)'b'), 0);
	usleep(100 * 1000);	/* room for a wrong 'b' to overtake */
	cr_assert_eq(__atomic_load_n(&stall.entered, __ATOMIC_ACQUIRE), 1,
		     "a second byte went to tx while the first was still in it");
	cr_assert_eq(write(stall.release[1], "gg", 2), 2);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	cr_assert_str_eq(stall.sent, "ab");
}
