/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_UART_H
#define TINYVMM_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A 16550A-compatible UART (Linux "ns16550a", ttyS0) with one byte-wide
 * register per address. Transmission is instant, so THR is always empty;
 * received bytes wait in a FIFO until the guest reads them.
 */
#define UART_RX_FIFO_SIZE 64

struct uart_ops {
	/*
	 * Transmitted bytes, in the order the guest wrote them. Called with no
	 * lock held (lib/dev_lock.h), so it may wait for stdout's reader.
	 */
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
	/* Called with the UART lock held: must not block (KVM_IRQ_LINE). */
	void (*set_irq)(void *opaque, bool level);
	/*
	 * Optional: the guest read the last byte uart_receive() put in the
	 * receive FIFO (so the host side can pace its input by how fast the
	 * guest drains it). Called after the UART lock is dropped; it should
	 * only signal (e.g. write an eventfd).
	 */
	void (*rx_drained)(void *opaque);
	void *opaque;
};

struct uart16550 {
	pthread_mutex_t lock;	/* a device lock (lib/dev_lock.h): the registers and FIFO */
	/*
	 * Transmit order without a lock held across ops.tx: a THR write takes
	 * ticket tx_next under @lock, and calls ops.tx when tx_turn reaches it.
	 * tx_lock only guards tx_turn; nobody holds it across ops.tx.
	 */
	uint64_t tx_next;
	uint64_t tx_turn;
	pthread_mutex_t tx_lock;
	pthread_cond_t tx_cond;
	struct uart_ops ops;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;	/* THR-empty interrupt not yet acknowledged */
	bool irq_level;
	uint8_t rx_fifo[UART_RX_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	bool rx_drain_armed;	/* uart_receive() added bytes: tell when they are read */
};

void uart_init(struct uart16550 *uart, const struct uart_ops *ops);
void uart_destroy(struct uart16550 *uart);
/* Back to the power-on state (a guest reboot); lowers the interrupt line. */
void uart_reset(struct uart16550 *uart);

/* MMIO handler (struct mmio_bus signature); @offset is from the UART base. */
void uart_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
	       bool is_write);

/*
 * Feed host input to the guest; returns how many bytes fitted in the FIFO.
 * ops.rx_drained is called once the guest has read them all.
 */
size_t uart_receive(struct uart16550 *uart, const uint8_t *buf, size_t len);
size_t uart_rx_space(struct uart16550 *uart);

/* Register offsets and bits (16550 data sheet). */
#define UART_RBR	0	/* read, DLAB=0 */
#define UART_THR	0	/* write, DLAB=0 */
#define UART_DLL	0	/* DLAB=1 */
#define UART_IER	1
#define UART_DLM	1	/* DLAB=1 */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_IIR_NO_INT	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_FIFO	0xc0
#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_LCR_DLAB	0x80
#define UART_MCR_LOOP	0x10
#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_DCD	0x80

#endif
