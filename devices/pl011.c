// SPDX-License-Identifier: MIT
#include "devices/pl011.h"

#include "lib/dev_lock.h"

#include <string.h>

/*
 * PeriphID0-3: part 0x011, designer 0x41 (ARM), revision 1. Linux's
 * amba-pl011 matches 0x00041011 under mask 0x000fffff and gives revisions
 * below 3 a 16-entry FIFO, the depth modelled here (QEMU's values too).
 */
static const uint8_t pl011_periph_id[4] = { 0x11, 0x10, 0x14, 0x00 };

/* Writable bits of each register; the rest read as zero. */
#define CR_MASK		0xff87u	/* bits 3-6 are reserved */
#define LCR_H_MASK	0xffu
#define IFLS_MASK	0x3fu
#define IBRD_MASK	0xffffu
#define FBRD_MASK	0x3fu
#define ILPR_MASK	0xffu
#define DMACR_MASK	0x7u

/* What an access leaves to do once the lock is released. */
struct pl011_after {
	uint8_t tx;
	bool have_tx;
	bool drained;	/* tell ops.rx_drained */
};

static unsigned int rx_depth(const struct pl011 *uart)
{
	return (uart->lcr_h & PL011_LCR_H_FEN) ? PL011_FIFO_DEPTH : 1;
}

/* The receive FIFO level that raises RX: IFLS's share of 16, or 1 without FIFOs. */
static unsigned int rx_trigger(const struct pl011 *uart)
{
	/* 1/8, 1/4, 1/2, 3/4, 7/8; the reserved encodings 5-7 act as 7/8. */
	static const unsigned int level[8] = { 2, 4, 8, 12, 14, 14, 14, 14 };

	if (!(uart->lcr_h & PL011_LCR_H_FEN))
		return 1;
	return level[PL011_IFLS_RX(uart->ifls)];
}

/*
 * The modem status inputs as FR shows them: a connected line (CTS, DSR, DCD
 * high, as the 16550 model reports), or in loopback the CR outputs wired
 * back: DTR to DSR, RTS to CTS, Out1 to DCD, Out2 to RI.
 */
static uint32_t modem_status(uint32_t cr)
{
	uint32_t fr = 0;

	if (!(cr & PL011_CR_LBE))
		return PL011_FR_CTS | PL011_FR_DSR | PL011_FR_DCD;
	if (cr & PL011_CR_DTR)
		fr |= PL011_FR_DSR;
	if (cr & PL011_CR_RTS)
		fr |= PL011_FR_CTS;
	if (cr & PL011_CR_OUT1)
		fr |= PL011_FR_DCD;
	if (cr & PL011_CR_OUT2)
		fr |= PL011_FR_RI;
	return fr;
}

/* The modem-status interrupts of the lines that differ between two FR values. */
static uint32_t modem_changes(uint32_t before, uint32_t after)
{
	uint32_t changed = before ^ after, ints = 0;

	if (changed & PL011_FR_RI)
		ints |= PL011_INT_RI;
	if (changed & PL011_FR_CTS)
		ints |= PL011_INT_CTS;
	if (changed & PL011_FR_DCD)
		ints |= PL011_INT_DCD;
	if (changed & PL011_FR_DSR)
		ints |= PL011_INT_DSR;
	return ints;
}

/*
 * One character arrives. A full FIFO keeps what it has and the character is
 * lost (overrun: OE at once in RSR and RIS, and on the next character that
 * gets in). RX is raised when the FIFO reaches its level from below, as on
 * the real part: the interrupt marks the transition, not the level.
 */
static void rx_push(struct pl011 *uart, uint16_t c)
{
	if (uart->rx_count >= rx_depth(uart)) {
		uart->overrun = true;
		uart->rsr |= PL011_RSR_OE;
		uart->ris |= PL011_INT_OE;
		return;
	}
	if (uart->overrun) {
		c |= PL011_DR_OE;
		uart->overrun = false;
	}
	uart->rx_fifo[(uart->rx_head + uart->rx_count) % PL011_FIFO_DEPTH] = c;
	uart->rx_count++;
	if (c & PL011_DR_BE)
		uart->ris |= PL011_INT_BE;
	if (uart->rx_count == rx_trigger(uart))
		uart->ris |= PL011_INT_RX;
}

/* The guest reads DR: RX drops below its level, RT once the FIFO is empty. */
static uint16_t rx_pop(struct pl011 *uart)
{
	uint16_t c;

	if (!uart->rx_count)
		return 0;
	c = uart->rx_fifo[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % PL011_FIFO_DEPTH;
	uart->rx_count--;
	if (uart->rx_count < rx_trigger(uart))
		uart->ris &= ~PL011_INT_RX;
	if (!uart->rx_count)
		uart->ris &= ~PL011_INT_RT;
	return c;
}

/* The registers' power-on values; the lock is held (or not yet shared). */
static void power_on_state(struct pl011 *uart)
{
	memset(uart->rx_fifo, 0, sizeof(uart->rx_fifo));
	uart->rx_head = uart->rx_count = 0;
	uart->rx_drain_armed = false;
	uart->overrun = false;
	uart->rsr = uart->ilpr = uart->ibrd = uart->fbrd = uart->lcr_h = 0;
	uart->imsc = uart->ris = uart->dmacr = 0;
	uart->cr = PL011_CR_RESET;
	uart->ifls = PL011_IFLS_RESET;
}

void pl011_init(struct pl011 *uart, const struct uart_ops *ops)
{
	memset(uart, 0, sizeof(*uart));
	pthread_mutex_init(&uart->lock, NULL);
	uart->ops = *ops;
	power_on_state(uart);
}

void pl011_destroy(struct pl011 *uart)
{
	pthread_mutex_destroy(&uart->lock);
}

/* Level-triggered line: any unmasked raw interrupt. Lock held. */
static void update_irq(struct pl011 *uart)
{
	bool level = (uart->ris & uart->imsc) != 0;

	if (level != uart->irq_level) {
		uart->irq_level = level;
		uart->ops.set_irq(uart->ops.opaque, level);
	}
}

/* End of an operation under the lock: the line, and whether the input was all read. */
static void settle(struct pl011 *uart, struct pl011_after *after)
{
	update_irq(uart);
	if (uart->rx_drain_armed && !uart->rx_count) {
		uart->rx_drain_armed = false;
		after->drained = true;
	}
}

/* The host calls, with the lock released (THE RULE: no host I/O under it). */
static void run_after(struct pl011 *uart, const struct pl011_after *after)
{
	if (after->have_tx)
		uart->ops.tx(uart->ops.opaque, &after->tx, 1);
	if (after->drained && uart->ops.rx_drained)
		uart->ops.rx_drained(uart->ops.opaque);
}

void pl011_reset(struct pl011 *uart)
{
	struct pl011_after after = { 0 };

	dev_lock(&uart->lock);
	after.drained = uart->rx_drain_armed;
	power_on_state(uart);
	update_irq(uart);
	dev_unlock(&uart->lock);
	run_after(uart, &after);
}

static uint32_t fr_value(const struct pl011 *uart)
{
	uint32_t fr = modem_status(uart->cr) | PL011_FR_TXFE;

	if (!uart->rx_count)
		fr |= PL011_FR_RXFE;
	if (uart->rx_count >= rx_depth(uart))
		fr |= PL011_FR_RXFF;
	return fr;
}

static uint32_t read_dr(struct pl011 *uart)
{
	uint16_t c = rx_pop(uart);

	/* FE, PE, BE describe the character just read; OE stays until ECR. */
	uart->rsr = (uart->rsr & PL011_RSR_OE) | ((c >> 8) & 0xfu);
	return c;
}

static uint32_t pl011_read(struct pl011 *uart, uint32_t reg)
{
	uint32_t value;

	switch (reg) {
	case PL011_DR:
		return read_dr(uart);
	case PL011_RSR:
		return uart->rsr;
	case PL011_FR:
		return fr_value(uart);
	case PL011_ILPR:
		return uart->ilpr;
	case PL011_IBRD:
		return uart->ibrd;
	case PL011_FBRD:
		return uart->fbrd;
	case PL011_LCR_H:
		return uart->lcr_h;
	case PL011_CR:
		return uart->cr;
	case PL011_IFLS:
		return uart->ifls;
	case PL011_IMSC:
		return uart->imsc;
	case PL011_RIS:
		return uart->ris;
	case PL011_MIS:
		return uart->ris & uart->imsc;
	case PL011_DMACR:
		return uart->dmacr;
	default:
		/* ICR is write-only; reserved offsets read as zero. */
		return primecell_id_read(pl011_periph_id, reg, &value) ? value : 0;
	}
}

/*
 * A character written to DR leaves at once (whatever UARTEN and TXE say:
 * QEMU's model sends it too, and bare-metal programs for QEMU's virt board
 * never enable the UART), so the transmit FIFO drains through its level
 * each time: TX. In loopback it comes back into the receive FIFO instead,
 * and the line is idle after it: RT.
 */
static void write_dr(struct pl011 *uart, uint32_t value, struct pl011_after *after)
{
	if (uart->cr & PL011_CR_LBE) {
		rx_push(uart, (uint16_t)(value & 0xff));
		uart->ris |= PL011_INT_RT;
	} else {
		after->tx = (uint8_t)value;
		after->have_tx = true;
	}
	uart->ris |= PL011_INT_TX;
}

static void write_lcr_h(struct pl011 *uart, uint32_t value)
{
	/* A break sent in loopback is received: a NUL character with BE. */
	if ((value & PL011_LCR_H_BRK) && !(uart->lcr_h & PL011_LCR_H_BRK) &&
	    (uart->cr & PL011_CR_LBE)) {
		rx_push(uart, PL011_DR_BE);
		uart->ris |= PL011_INT_RT;
	}
	/*
	 * Switching the FIFOs on or off keeps what was received (QEMU empties
	 * the FIFO here; nothing the user typed is lost this way). A FIFO
	 * holding more than one entry when they go off reads out normally.
	 */
	uart->lcr_h = value & LCR_H_MASK;
}

static void write_cr(struct pl011 *uart, uint32_t value)
{
	uint32_t before = modem_status(uart->cr);

	uart->cr = value & CR_MASK;
	uart->ris |= modem_changes(before, modem_status(uart->cr));
}

static void pl011_write(struct pl011 *uart, uint32_t reg, uint32_t value,
			struct pl011_after *after)
{
	switch (reg) {
	case PL011_DR:
		write_dr(uart, value, after);
		break;
	case PL011_RSR:		/* ECR: any write clears the error status */
		uart->rsr = 0;
		break;
	case PL011_ILPR:
		uart->ilpr = value & ILPR_MASK;
		break;
	case PL011_IBRD:
		uart->ibrd = value & IBRD_MASK;
		break;
	case PL011_FBRD:
		uart->fbrd = value & FBRD_MASK;
		break;
	case PL011_LCR_H:
		write_lcr_h(uart, value);
		break;
	case PL011_CR:
		write_cr(uart, value);
		break;
	case PL011_IFLS:
		uart->ifls = value & IFLS_MASK;
		break;
	case PL011_IMSC:
		uart->imsc = value & PL011_INT_ALL;
		break;
	case PL011_ICR:
		uart->ris &= ~value;
		break;
	case PL011_DMACR:
		uart->dmacr = value & DMACR_MASK;	/* no DMA: the bits only read back */
		break;
	default:
		break;	/* FR, RIS, MIS, the IDs are read-only; reserved space */
	}
}

void pl011_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		bool is_write)
{
	struct pl011 *uart = opaque;
	struct pl011_after after = { 0 };
	uint32_t reg, value = 0;

	if (!primecell_decode(offset, len, is_write, &reg)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	dev_lock(&uart->lock);
	if (is_write)
		pl011_write(uart, reg, primecell_write_value(data, len), &after);
	else
		value = pl011_read(uart, reg);
	settle(uart, &after);
	dev_unlock(&uart->lock);
	if (!is_write)
		primecell_read_lanes(value, offset, data, len);
	run_after(uart, &after);
}

size_t pl011_receive(struct pl011 *uart, const uint8_t *buf, size_t len)
{
	struct pl011_after after = { 0 };
	size_t n = 0;

	dev_lock(&uart->lock);
	if (uart->cr & PL011_CR_LBE) {
		/* The receive line is disconnected in loopback: the input is gone. */
		n = len;
		after.drained = len > 0;
	} else {
		while (n < len && uart->rx_count < rx_depth(uart))
			rx_push(uart, buf[n++]);
		if (n) {
			uart->rx_drain_armed = true;
			uart->ris |= PL011_INT_RT;	/* the burst is over: the line is idle */
		}
	}
	settle(uart, &after);
	dev_unlock(&uart->lock);
	run_after(uart, &after);
	return n;
}

size_t pl011_rx_space(struct pl011 *uart)
{
	size_t space;

	dev_lock(&uart->lock);
	space = uart->rx_count < rx_depth(uart) ? rx_depth(uart) - uart->rx_count : 0;
	dev_unlock(&uart->lock);
	return space;
}
