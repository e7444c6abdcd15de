// SPDX-License-Identifier: MIT
/*
 * The PL011 UART (devices/pl011.c) driven by a hostile guest through its MMIO
 * handler, with host input and reboots in between. Input: a list of
 *
 *   u8 kind, u16 offset, u32 value
 *
 * kind bit 0: write; bits 1-3: access width 1, 2, 4, 8, 3, 1, 2, 4 bytes;
 * bits 4-5: 0 and 1 an MMIO access at offset % 0x1010 (past the frame too),
 * 2 host input of value % 24 bytes, 3 a reboot (pl011_reset).
 *
 * Checked after every step: FIFO bounds, register widths, the interrupt line
 * follows RIS & IMSC with no redundant calls, host callbacks run without the
 * device lock, FR never reports a busy or full transmitter, the IDs never
 * change, host input lands in the FIFO whole, and the host hears that its
 * input was read exactly when the FIFO is empty (or loopback dropped it).
 */
#include <pthread.h>

#include "devices/pl011.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pl011 uart;
static bool line;

static void check_unlocked(void)
{
	FZ_CHECK(pthread_mutex_trylock(&uart.lock) == 0);
	pthread_mutex_unlock(&uart.lock);
}

static void on_tx(void *opaque, const uint8_t *buf, size_t len)
{
	check_unlocked();
	FZ_CHECK(len == 1);
}

static void on_irq(void *opaque, bool level)
{
	FZ_CHECK(level != line);
	line = level;
}

static void on_drained(void *opaque)
{
	check_unlocked();
	/* Emptied, or input dropped in loopback (earlier input may still wait). */
	FZ_CHECK((!uart.rx_count && !uart.rx_drain_armed) || (uart.cr & PL011_CR_LBE));
}

static uint32_t read32(uint32_t off)
{
	uint8_t b[4];

	pl011_mmio(&uart, off, b, 4, false);
	return primecell_write_value(b, 4);
}

static void check_state(void)
{
	static const uint8_t id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	uint32_t fr = read32(PL011_FR);

	FZ_CHECK(uart.rx_count <= PL011_FIFO_DEPTH && uart.rx_head < PL011_FIFO_DEPTH);
	FZ_CHECK(line == ((uart.ris & uart.imsc) != 0));
	FZ_CHECK(!(uart.ris & ~PL011_INT_ALL) && !(uart.imsc & ~PL011_INT_ALL));
	FZ_CHECK(!(uart.cr & ~0xff87u) && !(uart.lcr_h & ~0xffu) && !(uart.ifls & ~0x3fu));
	FZ_CHECK(!(uart.ibrd & ~0xffffu) && !(uart.fbrd & ~0x3fu) && !(uart.dmacr & ~7u));
	FZ_CHECK((fr & (PL011_FR_TXFE | PL011_FR_TXFF | PL011_FR_BUSY)) == PL011_FR_TXFE);
	FZ_CHECK(!(fr & PL011_FR_RXFE) == (uart.rx_count != 0));
	FZ_CHECK(!uart.rx_drain_armed || uart.rx_count);
	for (unsigned int i = 0; i < 8; i++)
		FZ_CHECK(read32(PRIMECELL_ID_BASE + 4 * i) == id[i]);
}

static void host_input(uint32_t value)
{
	uint8_t buf[24];
	size_t len = value % sizeof(buf), before = uart.rx_count, n;
	bool loopback = uart.cr & PL011_CR_LBE;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(value >> 8) + (uint8_t)i;
	n = pl011_receive(&uart, buf, len);
	FZ_CHECK(n <= len);
	if (loopback) {
		FZ_CHECK(n == len && uart.rx_count == before);
	} else {
		FZ_CHECK(uart.rx_count == before + n);
		FZ_CHECK(n == len || uart.rx_count >= (uart.lcr_h & PL011_LCR_H_FEN ? 16u : 1u));
	}
}

static void guest_access(uint8_t kind, uint16_t offset, uint32_t value)
{
	static const unsigned int widths[8] = { 1, 2, 4, 8, 3, 1, 2, 4 };
	unsigned int len = widths[(kind >> 1) & 7];
	bool is_write = kind & 1;
	uint8_t b[8];

	for (unsigned int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)value >> (8 * (i & 3)));
	pl011_mmio(&uart, offset % 0x1010u, b, len, is_write);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uart_ops ops = { .tx = on_tx, .set_irq = on_irq, .rx_drained = on_drained };
	struct fz f = { data, size };

	line = false;
	pl011_init(&uart, &ops);
	while (f.n >= 7) {
		uint8_t kind = fz_u8(&f);
		uint16_t offset = fz_u16(&f);
		uint32_t value = fz_u32(&f);

		switch ((kind >> 4) & 3) {
		case 2:
			host_input(value);
			break;
		case 3:
			pl011_reset(&uart);
			FZ_CHECK(!line && !uart.rx_count);
			break;
		default:
			guest_access(kind, offset, value);
			break;
		}
		check_state();
	}
	pl011_destroy(&uart);
	return 0;
}
