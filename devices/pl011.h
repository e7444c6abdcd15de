/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_PL011_H
#define TINYVMM_PL011_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/primecell.h"
#include "devices/uart.h"	/* struct uart_ops: the same host side as the 16550 */

/*
 * An ARM PrimeCell UART PL011 r1p4 (DDI 0183; Linux "arm,pl011", ttyAMA0,
 * earlycon=pl011), as QEMU's virt board has it: one combined interrupt line,
 * 16-entry FIFOs. Transmission is instant, so the transmit FIFO is always
 * empty; received bytes wait in the receive FIFO until the guest reads them.
 *
 * The host side is a struct uart_ops, called as follows:
 *   tx          after the device lock is released (it may block on a slow
 *               stdout reader; the main loop's pl011_receive() never waits
 *               for it). Bytes from one vCPU keep their order; writers on
 *               several vCPUs are ordered by the guest's own locking.
 *   set_irq     with the lock held, only when the level changes (it must
 *               not block: KVM_IRQ_LINE).
 *   rx_drained  (optional) after the lock is released, once the guest has
 *               read every byte pl011_receive() put in the FIFO, or a reset
 *               or loopback mode threw them away.
 * Nothing else is called, and no host I/O is done under the lock.
 */
#define PL011_FIFO_DEPTH	16
#define PL011_MMIO_SIZE		PRIMECELL_MMIO_SIZE

struct pl011 {
	pthread_mutex_t lock;
	struct uart_ops ops;
	/* Receive FIFO: the character in bits 0-7, its error bits (DR 8-11) above. */
	uint16_t rx_fifo[PL011_FIFO_DEPTH];
	unsigned int rx_head, rx_count;
	bool rx_drain_armed;	/* pl011_receive() added bytes: tell when they are read */
	bool overrun;		/* a character was lost: the next one received carries OE */
	uint32_t rsr;		/* receive status (FE, PE, BE, OE), sticky until ECR */
	uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, dmacr;
	uint32_t ris;		/* raw interrupt status */
	bool irq_level;
};

void pl011_init(struct pl011 *uart, const struct uart_ops *ops);
void pl011_destroy(struct pl011 *uart);
/*
 * Back to the power-on state (a guest reboot): registers, FIFO, interrupt
 * line low. Input the old kernel never read is dropped and ops.rx_drained
 * told, so the host's pacing does not wait for ever.
 */
void pl011_reset(struct pl011 *uart);

/* MMIO handler (struct mmio_bus signature); @offset is from the PL011 base. */
void pl011_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		bool is_write);

/*
 * Feed host input to the guest; returns how many bytes were taken (fitted in
 * the FIFO, or all of them in loopback mode, where the line is disconnected
 * and input is lost as on the real part). One call is one burst: the line is
 * idle after it, so the receive-timeout interrupt follows.
 */
size_t pl011_receive(struct pl011 *uart, const uint8_t *buf, size_t len);
/* Free entries in the receive FIFO (its depth is 1 while LCR_H.FEN is clear). */
size_t pl011_rx_space(struct pl011 *uart);

/* Register offsets (DDI 0183 table 3-1). */
#define PL011_DR	0x000
#define PL011_RSR	0x004	/* read: receive status; write: error clear (ECR) */
#define PL011_FR	0x018
#define PL011_ILPR	0x020
#define PL011_IBRD	0x024
#define PL011_FBRD	0x028
#define PL011_LCR_H	0x02c
#define PL011_CR	0x030
#define PL011_IFLS	0x034
#define PL011_IMSC	0x038
#define PL011_RIS	0x03c
#define PL011_MIS	0x040
#define PL011_ICR	0x044
#define PL011_DMACR	0x048
#define PL011_PERIPH_ID0 0xfe0	/* 0x11 0x10 0x14 0x00: part 0x011, ARM, revision 1 */

/* DR error bits of a received character, and RSR's. */
#define PL011_DR_FE	(1u << 8)
#define PL011_DR_PE	(1u << 9)
#define PL011_DR_BE	(1u << 10)
#define PL011_DR_OE	(1u << 11)
#define PL011_RSR_FE	(1u << 0)
#define PL011_RSR_PE	(1u << 1)
#define PL011_RSR_BE	(1u << 2)
#define PL011_RSR_OE	(1u << 3)

#define PL011_FR_CTS	(1u << 0)
#define PL011_FR_DSR	(1u << 1)
#define PL011_FR_DCD	(1u << 2)
#define PL011_FR_BUSY	(1u << 3)
#define PL011_FR_RXFE	(1u << 4)
#define PL011_FR_TXFF	(1u << 5)
#define PL011_FR_RXFF	(1u << 6)
#define PL011_FR_TXFE	(1u << 7)
#define PL011_FR_RI	(1u << 8)

#define PL011_LCR_H_BRK	(1u << 0)	/* send break */
#define PL011_LCR_H_FEN	(1u << 4)

#define PL011_CR_UARTEN	(1u << 0)
#define PL011_CR_LBE	(1u << 7)
#define PL011_CR_TXE	(1u << 8)
#define PL011_CR_RXE	(1u << 9)
#define PL011_CR_DTR	(1u << 10)
#define PL011_CR_RTS	(1u << 11)
#define PL011_CR_OUT1	(1u << 12)
#define PL011_CR_OUT2	(1u << 13)

/* IFLS fields: 0 1/8, 1 1/4, 2 1/2, 3 3/4, 4 7/8 full. */
#define PL011_IFLS_TX(ifls)	((ifls) & 7)
#define PL011_IFLS_RX(ifls)	(((ifls) >> 3) & 7)

/* Interrupt bits of IMSC, RIS, MIS and ICR. */
#define PL011_INT_RI	(1u << 0)	/* modem status: RI, CTS, DCD, DSR changed */
#define PL011_INT_CTS	(1u << 1)
#define PL011_INT_DCD	(1u << 2)
#define PL011_INT_DSR	(1u << 3)
#define PL011_INT_RX	(1u << 4)	/* receive FIFO reached its IFLS level */
#define PL011_INT_TX	(1u << 5)	/* transmit FIFO drained to its IFLS level */
#define PL011_INT_RT	(1u << 6)	/* receive timeout: data waits, the line is idle */
#define PL011_INT_FE	(1u << 7)
#define PL011_INT_PE	(1u << 8)
#define PL011_INT_BE	(1u << 9)
#define PL011_INT_OE	(1u << 10)
#define PL011_INT_ALL	0x7ffu

/* Power-on values. */
#define PL011_CR_RESET		(PL011_CR_TXE | PL011_CR_RXE)
#define PL011_IFLS_RESET	0x12	/* both at 1/2 */

#endif
