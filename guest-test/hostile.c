// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=hostile: a guest that attacks its own NIC. It detaches
 * Linux's virtio drivers, maps the device's virtio-mmio registers through
 * /dev/mem and, for guest-test.rounds= rounds, negotiates random features,
 * points queues at random addresses or at its own pages filled with random
 * descriptors and indices, and kicks. tinyvmm must survive all of it (the
 * device may go to DEVICE_NEEDS_RESET); afterwards the real driver is bound
 * again and a verified transfer must still work. On virtio-pci the attack is
 * hostile_pci.c's (config space, BARs, MSI-X table).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "hostile.h"
#include "net.h"
#include "pcidev.h"

/* eth0's transport when sysfs does not say: tinyvmm's first virtio-mmio slot. */
#define MMIO_BASE	0x0a000000UL
#define PLATFORM_DEV	"a000000.virtio_mmio"


static volatile uint32_t *regs;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

uint64_t hostile_rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void wr(unsigned int off, uint32_t v) { regs[off / 4] = v; }
static uint32_t rd(unsigned int off) { return regs[off / 4]; }

int hostile_sysfs_write(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, v, strlen(v)) == (ssize_t)strlen(v);
	close(fd);
	return ok ? 0 : -1;
}

/* Physical address of a locked page, from /proc/self/pagemap (root only). */
uint64_t hostile_phys_of(void *p)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (off_t)((uintptr_t)p / 4096 * 8);

	if (fd < 0 || pread(fd, &entry, 8, off) != 8 || !(entry & (1ULL << 63)))
		entry = 0;
	if (fd >= 0)
		close(fd);
	return (entry & ((1ULL << 55) - 1)) * 4096;
}

int hostile_pages(uint8_t **pages, uint64_t *phys)
{
	*pages = mmap(NULL, 4096 * PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*pages == MAP_FAILED || mlock(*pages, 4096 * PAGES))
		return -1;
	for (unsigned int i = 0; i < PAGES; i++) {
		(*pages)[4096 * i] = 1;
		phys[i] = hostile_phys_of(*pages + 4096 * i);
	}
	return 0;
}

static void set_addr(unsigned int reg, uint64_t a)
{
	wr(reg, (uint32_t)a);
	wr(reg + 4, (uint32_t)(a >> 32));
}

/* Mostly-plausible garbage: real pages, random sizes, sometimes wild addresses. */
uint64_t hostile_pick_addr(const uint64_t *phys, unsigned int i)
{
	/* Mostly valid, so many rounds get past DRIVER_OK and garbage reaches the rings. */
	switch (hostile_rnd() % 32) {
	case 0: return hostile_rnd();				/* anywhere */
	case 1: return 0x80000000ULL + (1ULL << 30);	/* beyond a small RAM */
	case 2: return phys[i] + (hostile_rnd() % 4096);	/* misaligned */
	default: return phys[i];
	}
}

void hostile_fill_garbage(uint8_t *page, const uint64_t *phys)
{
	for (unsigned int i = 0; i < 4096; i += 8) {
		uint64_t v = hostile_rnd();

		/* Half the time, descriptor addresses that point into our own pages. */
		if ((i % 16) == 0 && (v & 1))
			v = phys[v % PAGES] + (hostile_rnd() % 4096);
		memcpy(page + i, &v, 8);
	}
}

static void one_round(uint8_t *pages, const uint64_t *phys)
{
	uint64_t features;

	wr(R_STATUS, 0);
	wr(R_STATUS, 1);
	wr(R_STATUS, 3);
	wr(R_DFSEL, 0);
	features = rd(R_DF);
	wr(R_DFSEL, 1);
	features |= (uint64_t)rd(R_DF) << 32;
	/* Usually all or part of the offer (so DRIVER_OK goes through), sometimes junk. */
	switch (hostile_rnd() % 4) {
	case 0: features = hostile_rnd(); break;
	case 1: features &= hostile_rnd() | (1ULL << 32); break;
	default: break;
	}
	wr(R_GFSEL, 0);
	wr(R_GF, (uint32_t)features);
	wr(R_GFSEL, 1);
	wr(R_GF, (uint32_t)(features >> 32));
	wr(R_STATUS, 11);
	for (unsigned int q = 0; q < 2 + hostile_rnd() % 2; q++) {
		wr(R_QSEL, hostile_rnd() % 8 ? q : (uint32_t)hostile_rnd());
		wr(R_QNUM, hostile_rnd() % 8 ? (uint32_t)(1U << (hostile_rnd() % 9)) : (uint32_t)hostile_rnd());
		set_addr(R_QDESC, hostile_pick_addr(phys, 3 * (q % 2)));
		set_addr(R_QDRIVER, hostile_pick_addr(phys, 3 * (q % 2) + 1));
		set_addr(R_QDEVICE, hostile_pick_addr(phys, 3 * (q % 2) + 2));
		wr(R_QREADY, 1);
	}
	for (unsigned int i = 0; i < PAGES; i++)
		hostile_fill_garbage(pages + 4096 * i, phys);
	wr(R_STATUS, 15);
	for (unsigned int k = 0; k < 4; k++) {
		wr(R_NOTIFY, (uint32_t)(hostile_rnd() % 3));
		for (unsigned int i = 0; i < PAGES; i++)	/* rewrite while it looks */
			if (hostile_rnd() & 1)
				hostile_fill_garbage(pages + 4096 * i, phys);
		usleep(500);
	}
	/* Random register pokes too, including read-only and unknown ones. */
	for (unsigned int k = 0; k < 8; k++)
		wr((unsigned int)(hostile_rnd() % 0x100) & ~3U, (uint32_t)hostile_rnd());
}

/*
 * eth0's virtio-mmio platform device (".../a003e00.virtio_mmio/virtio0":
 * QEMU's virt board puts the NIC in its last slot) and its base address,
 * which the name holds; tinyvmm's first slot if sysfs does not say.
 */
static unsigned long mmio_device_of(const char *ifname, char *name, size_t size)
{
	char path[PATH_MAX], real[PATH_MAX], *slash, *end;
	unsigned long base;

	snprintf(name, size, "%s", PLATFORM_DEV);
	snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	if (!realpath(path, real) || !(slash = strrchr(real, '/')))
		return MMIO_BASE;
	*slash = '\0';
	slash = strrchr(real, '/');
	if (!slash || strlen(slash + 1) >= size)
		return MMIO_BASE;
	base = strtoul(slash + 1, &end, 16);
	if (strcmp(end, ".virtio_mmio") != 0 || base % 4096 > 4096 - 0x200)
		return MMIO_BASE;
	snprintf(name, size, "%s", slash + 1);
	return base;
}

/* guest-test.oversize=1: the oversize TX descriptor after the rounds. */
struct oversize_opts {
	bool on;
	unsigned int wait_s;	/* for the chain or NEEDS_RESET */
	uint32_t bytes;
};

static int attack(unsigned long base, unsigned int rounds, const struct oversize_opts *oversize)
{
	volatile uint8_t *page;
	uint64_t phys[PAGES];
	unsigned int needs_reset = 0, live = 0;
	uint8_t *pages;
	int fd;

	fd = open("/dev/mem", O_RDWR | O_SYNC);
	page = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(base & ~4095UL));
	if (page == MAP_FAILED || hostile_pages(&pages, phys)) {
		printf("guest-test: hostile: error: cannot map the device or lock pages: %s\n", strerror(errno));
		return -1;
	}
	regs = (volatile uint32_t *)(page + (base & 4095));
	if (rd(0) != 0x74726976) {
		printf("guest-test: hostile: error: no virtio-mmio magic at 0x%lx\n", base);
		return -1;
	}
	for (unsigned int r = 0; r < rounds; r++) {
		one_round(pages, phys);
		needs_reset += !!(rd(R_STATUS) & ST_NEEDS_RESET);
		live += (rd(R_STATUS) & (4 | ST_NEEDS_RESET)) == 4;	/* running on garbage */
	}
	if (oversize->on && (hostile_oversize_tx(regs, false, oversize->wait_s, oversize->bytes) ||
			     hostile_oversize_tx(regs, true, oversize->wait_s, oversize->bytes)))
		return -1;
	wr(R_STATUS, 0);	/* leave it reset for the real driver */
	printf("guest-test: hostile: rounds=%u needs_reset=%u still_running=%u\n", rounds,
	       needs_reset, live);
	fflush(stdout);
	munmap((void *)page, 4096);
	close(fd);
	return 0;
}

int guest_hostile_run(void)
{
	char buf[16];
	char seed_text[32], func[64], dev[64];
	unsigned long base;
	unsigned int rounds = (unsigned int)atoi(guest_net_opt("guest-test.rounds", "200", buf, sizeof(buf)));
	/* guest-test.oversize=1: also one 16 MiB TX descriptor per ring layout (Tier 2). */
	bool oversize = atoi(guest_net_opt("guest-test.oversize", "0", buf, sizeof(buf))) == 1;
	/* How long to wait for that chain (or NEEDS_RESET): vhost's watchdog needs seconds. */
	int oversize_wait = atoi(guest_net_opt("guest-test.oversize_wait", "2", buf, sizeof(buf)));
	/* Its size: 16 MiB fits a 16K-page host's kmalloc limit (32 MiB), 64 does not. */
	int oversize_mib = atoi(guest_net_opt("guest-test.oversize_mib", "16", buf, sizeof(buf)));
	struct oversize_opts over = {
		.on = oversize,
		.wait_s = oversize_wait > 0 && oversize_wait <= 600 ? (unsigned int)oversize_wait : 2,
		.bytes = (oversize_mib > 0 && oversize_mib <= 128 ? (uint32_t)oversize_mib : 16) << 20,
	};

	/*
	 * A fresh seed each run, printed, so a failure can be re-run exactly
	 * with guest-test.seed=N (0 is not a valid xorshift state).
	 */
	guest_net_opt("guest-test.seed", "", seed_text, sizeof(seed_text));
	if (seed_text[0])
		rng = strtoull(seed_text, NULL, 0);
	else if (getrandom(&rng, sizeof(rng), 0) != sizeof(rng))
		rng = 0x9e3779b97f4a7c15ULL;
	if (!rng)
		rng = 1;
	printf("guest-test: hostile: seed=%llu (re-run with guest-test.seed=%llu)\n",
	       (unsigned long long)rng, (unsigned long long)rng);

	if (guest_net_setup("169.254.0.2"))
		return -1;
	/* On virtio-pci: config space, both BARs and the MSI-X table instead. */
	if (pci_function_of("eth0", func, sizeof(func)) == 0)
		return hostile_pci_run(func, rounds);
	base = mmio_device_of("eth0", dev, sizeof(dev));
	/* Release the device: /dev/mem refuses regions a driver has claimed. */
	if (hostile_sysfs_write("/sys/bus/platform/drivers/virtio-mmio/unbind", dev)) {
		printf("guest-test: hostile: error: cannot unbind %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (attack(base, rounds, &over))
		return -1;
	if (hostile_sysfs_write("/sys/bus/platform/drivers/virtio-mmio/bind", dev)) {
		printf("guest-test: hostile: error: cannot bind %s again: %s\n", dev, strerror(errno));
		return -1;
	}
	return hostile_verify();
}

/* The real driver again: the NIC must work as if nothing happened. */
int hostile_verify(void)
{
	if (guest_net_setup("169.254.0.2") || guest_net_transfer(guest_net_peer(), guest_net_bytes()))
		return -1;
	printf("guest-test: hostile: device recovered, transfer verified\n");
	return 0;
}
