/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_HOSTILE_H
#define GUEST_TEST_HOSTILE_H

#include <stdint.h>

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
/* After the attack: eth0 again and a verified transfer; prints "device recovered". */
int hostile_verify(void);
/* The virtio-pci attack on PCI function @func (e.g. "0000:00:01.0"), then hostile_verify(). */
int hostile_pci_run(const char *func, unsigned int rounds);

#endif
