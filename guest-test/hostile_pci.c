// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=hostile on virtio-pci: the guest unbinds the virtio-pci
 * driver from its NIC's PCI function and, for guest-test.rounds= rounds,
 * drives the function itself with garbage, through the interfaces a PCI
 * device really has:
 *   - the virtio common configuration in its BAR (found by walking the
 *     capability list): random features, queue sizes, ring addresses and
 *     queue/config MSI-X vectors, DRIVER_OK, kicks on the notify doorbells,
 *     rings filled with random descriptors while the device looks at them;
 *   - the MSI-X table: random addresses, data and mask bits, with MSI-X
 *     enabled and function-masked at random;
 *   - random writes anywhere in both BARs and anywhere in the 4 KiB config
 *     space (BAR registers, command, capabilities, the PCI_CFG window);
 *     after those the BARs and command register are put back, so the next
 *     round reaches the device again.
 * Config space goes through /sys/bus/pci/devices/F/config, the BARs through
 * mmap of resourceN. Afterwards the function is reset (status 0, MSI-X off),
 * its header restored, the driver bound again and a transfer verified.
 *
 * Lines: `guest-test: hostile: pci function=F bars=N vectors=N`, then, as
 * on virtio-mmio, `rounds=N needs_reset=N still_running=N` and
 * `device recovered, transfer verified`.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define VIRTIO_PCI_NO_LEGACY
#include <linux/virtio_pci.h>

#include "hostile.h"
#include "pcidev.h"

#define NBARS		6
#define CFG_SIZE	4096
#define HEADER		64	/* the type 0 header: saved and put back */
#define ST_NEEDS_RESET	64

struct hpci {
	int cfg;			/* /sys/bus/pci/devices/F/config */
	volatile uint8_t *bar[NBARS];
	size_t bar_len[NBARS];
	unsigned int nbars;
	/* From the capability list: where the structures are (BAR, offset). */
	unsigned int common_bar, common_off, notify_bar, notify_off, notify_mult;
	unsigned int msix_cap, table_bar, table_off, nvec;
	uint8_t header[HEADER];
	uint32_t table_saved[64][4];	/* the entries the kernel left: plausible values */
};

static uint32_t cfg_read(const struct hpci *h, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	if (pread(h->cfg, &v, len, off) != (ssize_t)len)
		return 0;
	return v;
}

static void cfg_write(const struct hpci *h, unsigned int off, unsigned int len, uint32_t v)
{
	/* A refused write (e.g. past what sysfs exposes) is part of the game. */
	if (pwrite(h->cfg, &v, len, off) != (ssize_t)len)
		return;
}

static int in_bar(const struct hpci *h, unsigned int bar, unsigned int off, unsigned int len)
{
	return bar < NBARS && h->bar[bar] && off < h->bar_len[bar] && len <= h->bar_len[bar] - off;
}

static void w8(const struct hpci *h, unsigned int bar, unsigned int off, uint8_t v)
{
	if (in_bar(h, bar, off, 1))
		*(volatile uint8_t *)(h->bar[bar] + off) = v;
}

static void w16(const struct hpci *h, unsigned int bar, unsigned int off, uint16_t v)
{
	if (in_bar(h, bar, off, 2))
		*(volatile uint16_t *)(h->bar[bar] + off) = v;
}

static void w32(const struct hpci *h, unsigned int bar, unsigned int off, uint32_t v)
{
	if (in_bar(h, bar, off, 4))
		*(volatile uint32_t *)(h->bar[bar] + off) = v;
}

static uint32_t r32(const struct hpci *h, unsigned int bar, unsigned int off)
{
	return in_bar(h, bar, off, 4) ? *(volatile uint32_t *)(h->bar[bar] + off) : 0;
}

static uint8_t r8(const struct hpci *h, unsigned int bar, unsigned int off)
{
	return in_bar(h, bar, off, 1) ? *(volatile uint8_t *)(h->bar[bar] + off) : 0;
}

/* The common configuration registers, by their virtio_pci.h offsets. */
static void cw8(const struct hpci *h, unsigned int reg, uint8_t v) { w8(h, h->common_bar, h->common_off + reg, v); }
static void cw16(const struct hpci *h, unsigned int reg, uint16_t v) { w16(h, h->common_bar, h->common_off + reg, v); }
static void cw32(const struct hpci *h, unsigned int reg, uint32_t v) { w32(h, h->common_bar, h->common_off + reg, v); }
static uint32_t cr32(const struct hpci *h, unsigned int reg) { return r32(h, h->common_bar, h->common_off + reg); }

static void cw64(const struct hpci *h, unsigned int lo, uint64_t v)
{
	cw32(h, lo, (uint32_t)v);
	cw32(h, lo + 4, (uint32_t)(v >> 32));
}

/* Walk the capability list as a driver does (bounded: a loop ends it). */
static int find_caps(struct hpci *h)
{
	unsigned int pos = cfg_read(h, PCI_CAPABILITY_LIST, 1) & ~3U, found = 0;

	for (unsigned int n = 0; pos >= 0x40 && pos < 256 && n < 48; n++) {
		unsigned int id = cfg_read(h, pos, 1), type;

		if (id == PCI_CAP_ID_MSIX) {
			uint32_t table = cfg_read(h, pos + PCI_MSIX_TABLE, 4);

			h->msix_cap = pos;
			h->nvec = (cfg_read(h, pos + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
			h->table_bar = table & PCI_MSIX_TABLE_BIR;
			h->table_off = table & PCI_MSIX_TABLE_OFFSET;
		} else if (id == PCI_CAP_ID_VNDR) {
			type = cfg_read(h, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1);
			if (type == VIRTIO_PCI_CAP_COMMON_CFG) {
				h->common_bar = cfg_read(h, pos + VIRTIO_PCI_CAP_BAR, 1);
				h->common_off = cfg_read(h, pos + VIRTIO_PCI_CAP_OFFSET, 4);
				found |= 1;
			} else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
				h->notify_bar = cfg_read(h, pos + VIRTIO_PCI_CAP_BAR, 1);
				h->notify_off = cfg_read(h, pos + VIRTIO_PCI_CAP_OFFSET, 4);
				h->notify_mult = cfg_read(h, pos + sizeof(struct virtio_pci_cap), 4);
				found |= 2;
			}
		}
		pos = cfg_read(h, pos + 1, 1) & ~3U;
	}
	if (h->nvec > 64)
		h->nvec = 64;
	return found == 3 ? 0 : -1;
}

static int map_bars(struct hpci *h, const char *func)
{
	char path[128];
	struct stat st;

	for (unsigned int b = 0; b < NBARS; b++) {
		int fd;
		void *p;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%u", func, b);
		fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && st.st_size > 0) {
			p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p != MAP_FAILED) {
				h->bar[b] = p;
				h->bar_len[b] = (size_t)st.st_size;
				h->nbars++;
			}
		}
		close(fd);
	}
	return h->nbars ? 0 : -1;
}

/* The BARs and command register as the kernel assigned them, memory decode on. */
static void restore_header(const struct hpci *h)
{
	uint16_t cmd;

	for (unsigned int off = PCI_BASE_ADDRESS_0; off <= PCI_BASE_ADDRESS_5; off += 4) {
		uint32_t v;

		memcpy(&v, h->header + off, 4);
		cfg_write(h, off, 4, v);
	}
	memcpy(&cmd, h->header + PCI_COMMAND, 2);
	cfg_write(h, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static unsigned int table_entry(const struct hpci *h, unsigned int v, unsigned int word)
{
	return h->table_off + v * PCI_MSIX_ENTRY_SIZE + word * 4;
}

/* MSI-X: every entry kept, replaced by junk, or half junk; masks at random. */
static void garble_msix(const struct hpci *h)
{
	for (unsigned int v = 0; v < h->nvec; v++) {
		for (unsigned int word = 0; word < 3; word++) {
			uint32_t val = h->table_saved[v][word];

			if (hostile_rnd() % 4 == 0)
				val = (uint32_t)hostile_rnd();
			w32(h, h->table_bar, table_entry(h, v, word), val);
		}
		w32(h, h->table_bar, table_entry(h, v, 3), (uint32_t)(hostile_rnd() % 4 ? 0 : 1));
	}
	cfg_write(h, h->msix_cap + PCI_MSIX_FLAGS, 2,
		  PCI_MSIX_FLAGS_ENABLE | (hostile_rnd() % 4 ? 0 : PCI_MSIX_FLAGS_MASKALL));
}

/* A vector number: mostly a real one, sometimes NO_VECTOR or junk. */
static uint16_t pick_vector(const struct hpci *h)
{
	switch (hostile_rnd() % 8) {
	case 0: return VIRTIO_MSI_NO_VECTOR;
	case 1: return (uint16_t)hostile_rnd();
	default: return (uint16_t)(hostile_rnd() % (h->nvec ? h->nvec : 1));
	}
}

static void kick(const struct hpci *h, unsigned int q)
{
	w16(h, h->notify_bar, h->notify_off + q * h->notify_mult, (uint16_t)q);
}

static void device_round(const struct hpci *h, uint8_t *pages, const uint64_t *phys)
{
	uint64_t features;

	cw8(h, VIRTIO_PCI_COMMON_STATUS, 0);
	cw8(h, VIRTIO_PCI_COMMON_STATUS, 1);
	cw8(h, VIRTIO_PCI_COMMON_STATUS, 3);
	cw32(h, VIRTIO_PCI_COMMON_DFSELECT, 0);
	features = cr32(h, VIRTIO_PCI_COMMON_DF);
	cw32(h, VIRTIO_PCI_COMMON_DFSELECT, 1);
	features |= (uint64_t)cr32(h, VIRTIO_PCI_COMMON_DF) << 32;
	switch (hostile_rnd() % 4) {
	case 0: features = hostile_rnd(); break;
	case 1: features &= hostile_rnd() | (1ULL << 32); break;
	default: break;
	}
	cw32(h, VIRTIO_PCI_COMMON_GFSELECT, 0);
	cw32(h, VIRTIO_PCI_COMMON_GF, (uint32_t)features);
	cw32(h, VIRTIO_PCI_COMMON_GFSELECT, 1);
	cw32(h, VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> 32));
	cw8(h, VIRTIO_PCI_COMMON_STATUS, 11);
	cw16(h, VIRTIO_PCI_COMMON_MSIX, pick_vector(h));
	for (unsigned int q = 0; q < 2 + hostile_rnd() % 2; q++) {
		cw16(h, VIRTIO_PCI_COMMON_Q_SELECT, hostile_rnd() % 8 ? (uint16_t)q : (uint16_t)hostile_rnd());
		cw16(h, VIRTIO_PCI_COMMON_Q_SIZE,
		     hostile_rnd() % 8 ? (uint16_t)(1U << (hostile_rnd() % 9)) : (uint16_t)hostile_rnd());
		cw16(h, VIRTIO_PCI_COMMON_Q_MSIX, pick_vector(h));
		cw64(h, VIRTIO_PCI_COMMON_Q_DESCLO, hostile_pick_addr(phys, 3 * (q % 2)));
		cw64(h, VIRTIO_PCI_COMMON_Q_AVAILLO, hostile_pick_addr(phys, 3 * (q % 2) + 1));
		cw64(h, VIRTIO_PCI_COMMON_Q_USEDLO, hostile_pick_addr(phys, 3 * (q % 2) + 2));
		cw16(h, VIRTIO_PCI_COMMON_Q_ENABLE, hostile_rnd() % 8 ? 1 : (uint16_t)hostile_rnd());
	}
	for (unsigned int i = 0; i < PAGES; i++)
		hostile_fill_garbage(pages + 4096 * i, phys);
	garble_msix(h);
	cw8(h, VIRTIO_PCI_COMMON_STATUS, 15);
	for (unsigned int k = 0; k < 4; k++) {
		kick(h, (unsigned int)(hostile_rnd() % 3));
		for (unsigned int i = 0; i < PAGES; i++)	/* rewrite while it looks */
			if (hostile_rnd() & 1)
				hostile_fill_garbage(pages + 4096 * i, phys);
		usleep(500);
	}
}

/* Writes of random size and value at random places: BARs, then config space. */
static void poke_round(const struct hpci *h)
{
	static const unsigned int sizes[] = { 1, 2, 4 };

	for (unsigned int k = 0; k < 8; k++) {
		unsigned int b = (unsigned int)(hostile_rnd() % NBARS), len = sizes[hostile_rnd() % 3], off;

		if (!h->bar[b])
			continue;
		off = (unsigned int)(hostile_rnd() % h->bar_len[b]) & ~(len - 1);
		if (len == 1)
			w8(h, b, off, (uint8_t)hostile_rnd());
		else if (len == 2)
			w16(h, b, off, (uint16_t)hostile_rnd());
		else
			w32(h, b, off, (uint32_t)hostile_rnd());
	}
	for (unsigned int k = 0; k < 4; k++) {
		unsigned int len = sizes[hostile_rnd() % 3];
		/* Half the writes in the header, where the BARs and command are. */
		unsigned int off = (unsigned int)(hostile_rnd() % (hostile_rnd() & 1 ? HEADER : CFG_SIZE));

		cfg_write(h, off & ~(len - 1), len, (uint32_t)hostile_rnd());
		(void)cfg_read(h, (unsigned int)(hostile_rnd() % CFG_SIZE), 1);
	}
	restore_header(h);
}

static void unmap_all(struct hpci *h)
{
	for (unsigned int b = 0; b < NBARS; b++)
		if (h->bar[b])
			munmap((void *)h->bar[b], h->bar_len[b]);
	close(h->cfg);
}

static int setup(struct hpci *h, const char *func)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", func);
	h->cfg = open(path, O_RDWR | O_CLOEXEC);
	if (h->cfg < 0 || pread(h->cfg, h->header, HEADER, 0) != HEADER) {
		printf("guest-test: hostile: error: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (find_caps(h) || map_bars(h, func)) {
		printf("guest-test: hostile: error: %s: no virtio common/notify capability or no BAR to map\n",
		       func);
		return -1;
	}
	restore_header(h);	/* the driver's unbind may have turned decoding off */
	for (unsigned int v = 0; v < h->nvec; v++)
		for (unsigned int word = 0; word < 4; word++)
			h->table_saved[v][word] = r32(h, h->table_bar, table_entry(h, v, word));
	printf("guest-test: hostile: pci function=%s bars=%u vectors=%u\n", func, h->nbars, h->nvec);
	return 0;
}

int hostile_pci_run(const char *func, unsigned int rounds)
{
	static struct hpci h;
	unsigned int needs_reset = 0, live = 0;
	uint64_t phys[PAGES];
	uint8_t *pages;

	if (hostile_sysfs_write(PCI_VIRTIO_DRIVER_DIR "/unbind", func)) {
		printf("guest-test: hostile: error: cannot unbind %s: %s\n", func, strerror(errno));
		return -1;
	}
	if (hostile_pages(&pages, phys) || setup(&h, func))
		return -1;
	for (unsigned int r = 0; r < rounds; r++) {
		uint8_t st;

		device_round(&h, pages, phys);
		poke_round(&h);
		st = r8(&h, h.common_bar, h.common_off + VIRTIO_PCI_COMMON_STATUS);
		needs_reset += !!(st & ST_NEEDS_RESET);
		live += (st & (4 | ST_NEEDS_RESET)) == 4;	/* running on garbage */
	}
	/* Leave it as a driver expects to find it: reset, MSI-X off, header back. */
	cw8(&h, VIRTIO_PCI_COMMON_STATUS, 0);
	cfg_write(&h, h.msix_cap + PCI_MSIX_FLAGS, 2, 0);
	restore_header(&h);
	printf("guest-test: hostile: rounds=%u needs_reset=%u still_running=%u\n", rounds,
	       needs_reset, live);
	fflush(stdout);
	unmap_all(&h);
	if (hostile_sysfs_write(PCI_VIRTIO_DRIVER_DIR "/bind", func)) {
		printf("guest-test: hostile: error: cannot bind %s again: %s\n", func, strerror(errno));
		return -1;
	}
	return hostile_verify();
}
