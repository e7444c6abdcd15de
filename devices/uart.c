// SPDX-License-Identifier: MIT
#include "devices/uart.h"

#include <string.h>

#include "lib/dev_lock.h"

void uart_init(struct uart16550 *uart, const struct uart_ops *ops)
{
	memset(uart, 0, sizeof(*uart));
	pthread_mutex_init(&uart->lock, NULL);
	pthread_mutex_init(&uart->tx_lock, NULL);
	pthread_cond_init(&uart->tx_cond, NULL);
	uart->ops = *ops;
	uart->mcr = 0x08;	/* OUT2: lets the interrupt through on PCs; harmless here */
}

void uart_destroy(struct uart16550 *uart)
{
	pthread_mutex_destroy(&uart->lock);
	pthread_mutex_destroy(&uart->tx_lock);
	pthread_cond_destroy(&uart->tx_cond);
}

static void rx_push(struct uart16550 *uart, uint8_t c)
{
	if (uart->rx_count == UART_RX_FIFO_SIZE)
		return;
	uart->rx_fifo[(uart->rx_head + uart->rx_count) % UART_RX_FIFO_SIZE] = c;
	uart->rx_count++;
}

static uint8_t rx_pop(struct uart16550 *uart)
{
	uint8_t c;

	if (!uart->rx_count)
		return 0;
	c = uart->rx_fifo[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % UART_RX_FIFO_SIZE;
	uart->rx_count--;
	return c;
}

/* Highest-priority pending interrupt, as IIR reports it. */
static uint8_t pending_iir(const struct uart16550 *uart)
{
	if ((uart->ier & UART_IER_RDI) && uart->rx_count)
		return UART_IIR_RDI;
	if ((uart->ier & UART_IER_THRI) && uart->thre_pending)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

/* Level-triggered line: follows "any interrupt pending". Call with lock held. */
static void update_irq(struct uart16550 *uart)
{
	bool level = pending_iir(uart) != UART_IIR_NO_INT;

	if (level != uart->irq_level) {
		uart->irq_level = level;
		uart->ops.set_irq(uart->ops.opaque, level);
	}
}

/*
 * Power-on state again (a guest reboot): registers, FIFO, interrupt line
 * low. Input the old kernel never read is dropped, and the host side is
 * told, as if it had been read, so its pacing does not wait for ever.
 */
void uart_reset(struct uart16550 *uart)
{
	bool drained;

	dev_lock(&uart->lock);
	drained = uart->rx_drain_armed;
	uart->ier = uart->lcr = uart->scr = uart->dll = uart->dlm = uart->fcr = 0;
	uart->mcr = 0x08;
	uart->thre_pending = false;
	uart->rx_head = uart->rx_count = 0;
	uart->rx_drain_armed = false;
	update_irq(uart);
	dev_unlock(&uart->lock);
	if (drained && uart->ops.rx_drained)
		uart->ops.rx_drained(uart->ops.opaque);
}

static uint8_t uart_read(struct uart16550 *uart, unsigned int reg)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;
	uint8_t iir, msr;

	switch (reg) {
	case UART_RBR:
		return dlab ? uart->dll : rx_pop(uart);
	case UART_IER:
		return dlab ? uart->dlm : uart->ier;
	case UART_IIR:
		iir = pending_iir(uart);
		/* Reading IIR while it reports THRE acknowledges that interrupt. */
		if (iir == UART_IIR_THRI)
			uart->thre_pending = false;
		return iir | ((uart->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0);
	case UART_LCR:
		return uart->lcr;
	case UART_MCR:
		return uart->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT | (uart->rx_count ? UART_LSR_DR : 0);
	case UART_MSR:
		if (uart->mcr & UART_MCR_LOOP) {
			/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
			msr = (uint8_t)((uart->mcr & 0x01) << 5 | (uart->mcr & 0x02) << 3 |
					(uart->mcr & 0x04) << 4 | (uart->mcr & 0x08) << 4);
			return msr;
		}
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	default:
		return uart->scr;
	}
}

/* What an access leaves to do once the lock is dropped (the rule in lib/dev_lock.h). */
struct uart_after {
	bool tx;		/* send @byte, in turn @ticket */
	uint8_t byte;
	uint64_t ticket;
	bool drained;		/* call ops.rx_drained */
};

static void uart_write(struct uart16550 *uart, unsigned int reg, uint8_t v,
		       struct uart_after *after)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab) {
			uart->dll = v;
		} else {
			if (uart->mcr & UART_MCR_LOOP) {
				rx_push(uart, v);
			} else {
				after->tx = true;
				after->byte = v;
				after->ticket = uart->tx_next++;
			}
			/* Sent at once: THR is empty again, which is an interrupt. */
			uart->thre_pending = true;
		}
		break;
	case UART_IER:
		if (dlab) {
			uart->dlm = v;
			break;
		}
		/* Enabling THRI with THR empty raises the interrupt (16550 behaviour). */
		if ((v & UART_IER_THRI) && !(uart->ier & UART_IER_THRI))
			uart->thre_pending = true;
		uart->ier = v & 0x0f;
		break;
	case UART_FCR:
		if (v & UART_FCR_CLEAR_RX)
			uart->rx_head = uart->rx_count = 0;
		uart->fcr = v & UART_FCR_ENABLE;
		break;
	case UART_LCR:
		uart->lcr = v;
		break;
	case UART_MCR:
		uart->mcr = v & 0x1f;
		break;
	case UART_SCR:
		uart->scr = v;
		break;
	default:
		break;	/* LSR and MSR are read-only */
	}
}

/*
 * Hand a transmitted byte to ops.tx, which may wait for stdout's reader,
 * with no lock held: the main loop's uart_receive() must never wait behind
 * it. Bytes leave in the order the guest wrote THR (the tickets taken under
 * the lock), whichever vCPUs wrote them.
 */
static void send_in_turn(struct uart16550 *uart, uint8_t byte, uint64_t ticket)
{
	pthread_mutex_lock(&uart->tx_lock);
	while (uart->tx_turn != ticket)
		pthread_cond_wait(&uart->tx_cond, &uart->tx_lock);
	pthread_mutex_unlock(&uart->tx_lock);
	uart->ops.tx(uart->ops.opaque, &byte, 1);
	pthread_mutex_lock(&uart->tx_lock);
	uart->tx_turn++;
	pthread_cond_broadcast(&uart->tx_cond);
	pthread_mutex_unlock(&uart->tx_lock);
}

void uart_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
	       bool is_write)
{
	struct uart16550 *uart = opaque;
	unsigned int reg = (unsigned int)(offset & 7);
	struct uart_after after = { 0 };

	dev_lock(&uart->lock);
	if (offset >= 8) {
		/* Outside the eight registers: reads as zero, writes ignored. */
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		uart_write(uart, reg, data[0], &after);
	} else {
		memset(data, 0, len);
		data[0] = uart_read(uart, reg);
	}
	update_irq(uart);
	if (uart->rx_drain_armed && !uart->rx_count) {
		uart->rx_drain_armed = false;
		after.drained = true;
	}
	dev_unlock(&uart->lock);
	if (after.drained && uart->ops.rx_drained)
		uart->ops.rx_drained(uart->ops.opaque);
	if (after.tx)
		send_in_turn(uart, after.byte, after.ticket);
}

size_t uart_receive(struct uart16550 *uart, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	dev_lock(&uart->lock);
	while (n < len && uart->rx_count < UART_RX_FIFO_SIZE)
		rx_push(uart, buf[n++]);
	if (n)
		uart->rx_drain_armed = true;
	update_irq(uart);
	dev_unlock(&uart->lock);
	return n;
}

size_t uart_rx_space(struct uart16550 *uart)
{
	size_t space;

	dev_lock(&uart->lock);
	space = UART_RX_FIFO_SIZE - uart->rx_count;
	dev_unlock(&uart->lock);
	return space;
}
