/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_HOSTILE_H
#define GUEST_TEST_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>

/* virtio-mmio registers the attacks write. */
#define R_STATUS	0x070
#define R_QSEL		0x030
#define R_QNUM		0x038
#define R_QREADY	0x044
#define R_NOTIFY	0x050
#define R_DFSEL		0x014
#define R_DF		0x010
#define R_GFSEL		0x024
#define R_GF		0x020
#define R_QDESC		0x080
#define R_QDRIVER	0x090
#define R_QDEVICE	0x0a0
#define ST_NEEDS_RESET	64

/* The pieces of guest-test.mode=hostile that both transports' attacks use. */
#define PAGES 6	/* desc/avail/used for two queues */

/* xorshift64, seeded by guest_hostile_run() (guest-test.seed=). */
uint64_t hostile_rnd(void);
int hostile_sysfs_write(const char *path, const char *v);
/* Physical address of a locked page, from /proc/self/pagemap (root only). */
uint64_t hostile_phys_of(void *p);
/* PAGES locked anonymous pages and their physical addresses. */
int hostile_pages(uint8_t **pages, uint64_t *phys);
/* A ring address: mostly phys[i], sometimes misaligned, beyond RAM or anywhere. */
uint64_t hostile_pick_addr(const uint64_t *phys, unsigned int i);
/* Random bytes, half the descriptor addresses pointing into our own pages. */
void hostile_fill_garbage(uint8_t *page, const uint64_t *phys);
/*
 * One TX descriptor of @bytes (16 MiB by default) with a zeroed vnet header on a device set up
 * properly (split or packed ring): it must come back (dropped), or the
 * device ask for a reset (vhost-net's watchdog), within @wait_s seconds, and
 * the device stay idle while the guest sleeps 10 s (the host measures the
 * CPU between the "idle" and "idle done" lines).
 */
int hostile_oversize_tx(volatile uint32_t *regs, bool packed, unsigned int wait_s, uint32_t bytes);
/* After the attack: eth0 again and a verified transfer; prints "device recovered". */
int hostile_verify(void);
/* The virtio-pci attack on PCI function @func (e.g. "0000:00:01.0"), then hostile_verify(). */
int hostile_pci_run(const char *func, unsigned int rounds);

#endif
