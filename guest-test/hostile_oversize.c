// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=hostile guest-test.oversize=1: after the random attack,
 * the NIC is set up properly (VERSION_1 only, with or without the packed
 * ring) and TX gets one descriptor of 16 MiB (guest-test.oversize_mib=N:
 * N MiB) whose vnet header is zeroed.
 * No TAP can take a frame that long (tun answered ENOBUFS, and Tier 2 once
 * retried it for ever, a host core at 100 %): in Tier 2 the chain must come
 * back at once and the device must not need a reset. vhost-net retries it
 * for ever in the kernel; tinyvmm's watchdog then stops the ring and sets
 * DEVICE_NEEDS_RESET, which ends the wait too (guest-test.oversize_wait=S,
 * default 2 s). Then the guest sleeps 10 s between two lines the host
 * times the CPU by.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

#define QSIZE		8
#define F_VERSION_1	32
#define F_RING_PACKED	34
#define DESC_F_AVAIL	(1u << 7)
#define DESC_F_USED	(1u << 15)
#define CANDIDATES	64

static volatile uint32_t *regs;

static void wr(unsigned int off, uint32_t v) { regs[off / 4] = v; }
static uint32_t rd(unsigned int off) { return regs[off / 4]; }

static void set_addr(unsigned int reg, uint64_t a)
{
	wr(reg, (uint32_t)a);
	wr(reg + 4, (uint32_t)(a >> 32));
}

/* End of the highest "System RAM" range in /proc/iomem (root sees addresses). */
static uint64_t ram_end(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[128];
	uint64_t end = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;

		if (strstr(line, "System RAM") && sscanf(line, "%llx-%llx", &a, &b) == 2 && b + 1 > end)
			end = b + 1;
	}
	if (f)
		fclose(f);
	return end;
}

/*
 * A zeroed page with @bytes of RAM after it: the device only reads
 * the descriptor's buffer, so what lies beyond the page is harmless.
 */
static uint64_t pick_header_page(uint8_t *pages, const uint64_t *phys, uint64_t end, uint32_t bytes)
{
	for (unsigned int i = 0; i < CANDIDATES; i++)
		if (phys[i] && phys[i] + bytes <= end) {
			memset(pages + 4096 * i, 0, 4096);
			return phys[i];
		}
	return 0;
}

/* FEATURES_OK with VERSION_1 (and RING_PACKED); false if the device refuses. */
static bool negotiate(bool packed)
{
	uint64_t want = 1ULL << F_VERSION_1 | (packed ? 1ULL << F_RING_PACKED : 0), offer;

	wr(R_STATUS, 0);
	wr(R_STATUS, 1);
	wr(R_STATUS, 3);
	wr(R_DFSEL, 1);
	offer = (uint64_t)rd(R_DF) << 32;
	if ((offer & want) != want)
		return false;
	wr(R_GFSEL, 0);
	wr(R_GF, 0);
	wr(R_GFSEL, 1);
	wr(R_GF, (uint32_t)(want >> 32));
	wr(R_STATUS, 11);
	return rd(R_STATUS) & 8;
}

static void setup_queue(unsigned int q, const uint64_t *ring)
{
	wr(R_QSEL, q);
	wr(R_QNUM, QSIZE);
	set_addr(R_QDESC, ring[0]);
	set_addr(R_QDRIVER, ring[1]);
	set_addr(R_QDEVICE, ring[2]);
	wr(R_QREADY, 1);
}

/* The one TX descriptor, made available; returns where its completion shows. */
static volatile uint16_t *post(uint8_t *tx, uint64_t buf, uint32_t bytes, bool packed)
{
	memcpy(tx, &buf, 8);
	memcpy(tx + 8, &bytes, 4);
	if (packed) {
		memcpy(tx + 12, &(uint16_t){ 0 }, 2);	/* id */
		__atomic_store_n((uint16_t *)(tx + 14), (uint16_t)DESC_F_AVAIL, __ATOMIC_RELEASE);
		return (volatile uint16_t *)(tx + 14);
	}
	memcpy(tx + 12, &(uint32_t){ 0 }, 4);		/* flags, next */
	((uint16_t *)(tx + 4096))[2] = 0;		/* avail ring[0] = descriptor 0 */
	__atomic_store_n((uint16_t *)(tx + 4096) + 1, (uint16_t)1, __ATOMIC_RELEASE);
	return (volatile uint16_t *)(tx + 2 * 4096) + 1;	/* used idx */
}

static bool completed(volatile uint16_t *seen, bool packed)
{
	uint16_t v = __atomic_load_n(seen, __ATOMIC_ACQUIRE);

	return packed ? (v & DESC_F_USED) && (v & DESC_F_AVAIL) : v == 1;
}

static unsigned int ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned int)((now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000);
}

int hostile_oversize_tx(volatile uint32_t *mmio_regs, bool packed, unsigned int wait_s, uint32_t bytes)
{
	const char *ring = packed ? "packed" : "split";
	uint64_t phys[CANDIDATES], rx[3], tx[3], hdr;
	struct timespec start;
	volatile uint16_t *done;
	unsigned int waited_ms;
	uint8_t *pages;

	regs = mmio_regs;
	pages = mmap(NULL, 4096 * CANDIDATES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED || mlock(pages, 4096 * CANDIDATES)) {
		printf("guest-test: hostile: error: oversize TX: cannot lock pages\n");
		return -1;
	}
	memset(pages, 0, 4096 * CANDIDATES);
	for (unsigned int i = 0; i < CANDIDATES; i++)
		phys[i] = hostile_phys_of(pages + 4096 * i);
	/* Rings in the first six pages; the header page among the rest. */
	for (unsigned int i = 0; i < 3; i++) {
		rx[i] = phys[i];
		tx[i] = phys[3 + i];
	}
	hdr = pick_header_page(pages + 6 * 4096, phys + 6, ram_end(), bytes);
	if (!hdr || !rx[0] || !tx[0]) {
		printf("guest-test: hostile: error: oversize TX: no page with %u MiB of RAM after it\n", bytes >> 20);
		return -1;
	}
	if (!negotiate(packed)) {
		/* --no-packed: the device does not offer it; nothing to test there. */
		printf("guest-test: hostile: oversize TX (%s ring): not offered\n", ring);
		munmap(pages, 4096 * CANDIDATES);
		return 0;
	}
	setup_queue(0, rx);	/* RX: no buffers posted */
	setup_queue(1, tx);
	wr(R_STATUS, 15);
	done = post(pages + 3 * 4096, hdr, bytes, packed);
	clock_gettime(CLOCK_MONOTONIC, &start);
	wr(R_NOTIFY, 1);
	/* The clock, not a count of sleeps: a nested guest's usleep(10 ms) takes longer. */
	while (!completed(done, packed) && !(rd(R_STATUS) & ST_NEEDS_RESET) &&
	       (waited_ms = ms_since(&start)) < 1000 * wait_s)
		usleep(10000);
	waited_ms = ms_since(&start);
	printf("guest-test: hostile: oversize TX (%s ring): %s, needs_reset=%u; idle 10 s (waited %u.%02u s)\n",
	       ring, completed(done, packed) ? "chain returned" : "chain NOT returned",
	       (rd(R_STATUS) & ST_NEEDS_RESET) ? 1u : 0u, waited_ms / 1000, waited_ms % 1000 / 10);
	fflush(stdout);
	sleep(10);
	printf("guest-test: hostile: oversize TX (%s ring): idle done\n", ring);
	fflush(stdout);
	wr(R_STATUS, 0);
	munmap(pages, 4096 * CANDIDATES);
	return 0;
}
