// SPDX-License-Identifier: MIT
/*
 * tinyvmm-virtnet: a bare-metal program for QEMU's virt board, written the
 * way QEMU-virt tutorials write them (tests/e2e: the same program under
 * `qemu-system-aarch64 -M virt -kernel` and `tinyvmm --machine virt
 * --kernel`). Linked at 0x40080000 (RAM base + 0x80000), so the ELF and the
 * raw binary (objcopy -O binary; loaded at RAM base + 0x80000) run alike.
 *
 *  - prints through a polled PL011 at 0x0900_0000, never initialised (QEMU's
 *    works as it comes out of reset, so tutorials skip the set-up);
 *  - finds the NIC by probing the 32 virtio-mmio transports at 0x0a00_0000 +
 *    0x200 n (MagicValue "virt", DeviceID 1);
 *  - drives it with its own minimal LEGACY (version 1) virtio-net driver:
 *    GuestPageSize, QueuePFN, QueueAlign 4096, the 10-byte header;
 *  - sends an ARP request for the host's TAP address 10.3.0.1 (as 10.3.0.2)
 *    and waits for the reply, resending it each second, five times at most;
 *  - says "virtnet: ok" or "virtnet: FAIL ...", then PSCI SYSTEM_OFF (hvc).
 *
 * The MMU is turned on first with an identity map (device memory below RAM,
 * write-back RAM): with it off every RAM access is non-cacheable, which a
 * VMM reading the rings through a cacheable mapping need not see.
 */
#include <stddef.h>
#include <stdint.h>

#include "counter.h"

#define UART_BASE	0x09000000UL
#define UART_DR		0x00
#define UART_FR		0x18
#define UART_FR_TXFF	(1u << 5)
#define VIRTIO_BASE	0x0a000000UL
#define VIRTIO_STRIDE	0x200UL
#define VIRTIO_SLOTS	32
#define RAM_BASE	0x40000000UL
#define PSCI_SYSTEM_OFF	0x84000008UL
#define FDT_MAGIC	0xd00dfeedU

/* Legacy virtio-mmio registers (virtio 1.0 spec, 4.2.4). */
#define VM_MAGIC		0x000
#define VM_VERSION		0x004
#define VM_DEVICE_ID		0x008
#define VM_HOST_FEATURES	0x010
#define VM_HOST_FEATURES_SEL	0x014
#define VM_GUEST_FEATURES	0x020
#define VM_GUEST_FEATURES_SEL	0x024
#define VM_GUEST_PAGE_SIZE	0x028
#define VM_QUEUE_SEL		0x030
#define VM_QUEUE_NUM_MAX	0x034
#define VM_QUEUE_NUM		0x038
#define VM_QUEUE_ALIGN		0x03c
#define VM_QUEUE_PFN		0x040
#define VM_QUEUE_NOTIFY		0x050
#define VM_INTERRUPT_STATUS	0x060
#define VM_INTERRUPT_ACK	0x064
#define VM_STATUS		0x070
#define VM_CONFIG		0x100
#define VIRTIO_MAGIC		0x74726976u	/* "virt" */
#define VIRTIO_ID_NET		1
#define STATUS_ACK		1
#define STATUS_DRIVER		2
#define STATUS_DRIVER_OK	4
#define STATUS_FAILED		128
#define NET_F_MAC		(1u << 5)
#define VRING_DESC_F_WRITE	2

#define PAGE		4096
#define QSIZE		8		/* entries used per queue (<= QueueNumMax) */
#define RXQ		0
#define TXQ		1
#define NET_HDR_LEN	10		/* struct virtio_net_hdr, no MRG_RXBUF */
#define FRAME_MAX	1514
#define ARP_TRIES	5

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QSIZE];
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct {
		uint32_t id;
		uint32_t len;
	} ring[QSIZE];
};

/* The legacy layout: descriptors, the avail ring, then the used ring at QueueAlign. */
struct vq {
	struct vring_desc desc[QSIZE];
	struct vring_avail avail;
	uint8_t pad[PAGE - sizeof(struct vring_desc) * QSIZE - sizeof(struct vring_avail)];
	struct vring_used used;
	uint16_t last_used;
} __attribute__((aligned(PAGE)));	/* each queue's rings start on a page (QueuePFN) */

static struct vq queues[2];
static uint8_t rxbuf[NET_HDR_LEN + FRAME_MAX] __attribute__((aligned(64)));
static uint8_t txbuf[NET_HDR_LEN + 60] __attribute__((aligned(64)));
static uint64_t ttable[4] __attribute__((aligned(PAGE)));
static uint8_t stack[16384] __attribute__((aligned(16), used));

static const uint8_t my_ip[4] = { 10, 3, 0, 2 }, host_ip[4] = { 10, 3, 0, 1 };

void virtnet_main(uint64_t x0);

/* Entered at EL1 with x0 = the device tree (raw binary) or whatever the loader left (ELF). */
__asm__(".section .text.start, \"ax\"\n"
	".global _start\n"
	"_start:\n"
	"	adrp x1, stack + 16384\n"
	"	add x1, x1, :lo12:stack + 16384\n"
	"	mov sp, x1\n"
	"	ldr x1, =__bss_start\n"
	"	ldr x2, =__bss_end\n"
	"1:	cmp x1, x2\n"
	"	b.hs 2f\n"
	"	str xzr, [x1], #8\n"
	"	b 1b\n"
	"2:	bl virtnet_main\n"
	"3:	wfe\n"
	"	b 3b\n"
	".ltorg\n"
	".previous\n");

static inline uint32_t rd32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}

static inline void wr32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static inline void mb(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static void putc_uart(char c)
{
	while (rd32(UART_BASE + UART_FR) & UART_FR_TXFF)
		;
	wr32(UART_BASE + UART_DR, (uint8_t)c);
}

static void puts_uart(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_uart('\r');
		putc_uart(*s);
	}
}

static void puthex(uint64_t v, int digits)
{
	while (digits--)
		putc_uart("0123456789abcdef"[(v >> (digits * 4)) & 0xf]);
}

static void putdec(unsigned int v)
{
	char b[12];
	int i = 0;

	do
		b[i++] = (char)('0' + v % 10);
	while ((v /= 10) && i < 11);
	while (i)
		putc_uart(b[--i]);
}

static void put_mac(const uint8_t *m)
{
	for (int i = 0; i < 6; i++) {
		if (i)
			putc_uart(':');
		puthex(m[i], 2);
	}
}

static void power_off(void)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;

	__asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
}

/*
 * Identity map, 4K granule, 32-bit VA (T0SZ 32: the walk starts at level 1,
 * four 1 GiB blocks): 0-1 GiB device (UART, virtio-mmio), 1-2 GiB RAM
 * write-back, 2-4 GiB device.
 */
static void mmu_on(void)
{
	const uint64_t block = 1, af = 1ull << 10, ish = 3ull << 8;
	const uint64_t dev = block | af | (0ull << 2), ram = block | af | ish | (1ull << 2);
	uint64_t tcr = 32 | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23), sctlr;

	ttable[0] = 0x00000000ull | dev;
	ttable[1] = 0x40000000ull | ram;
	ttable[2] = 0x80000000ull | dev;
	ttable[3] = 0xc0000000ull | dev;
	__asm__ volatile("dsb sy\n"
			 "msr mair_el1, %1\n"
			 "msr tcr_el1, %2\n"
			 "msr ttbr0_el1, %3\n"
			 "isb\n"
			 "tlbi vmalle1\n"
			 "dsb sy\n"
			 "isb\n"
			 "mrs %0, sctlr_el1\n"
			 "orr %0, %0, #1\n"		/* M */
			 "orr %0, %0, #(1 << 2)\n"	/* C */
			 "orr %0, %0, #(1 << 12)\n"	/* I */
			 "msr sctlr_el1, %0\n"
			 "isb\n"
			 : "=&r"(sctlr) : "r"(0xff00ull), "r"(tcr), "r"((uint64_t)(uintptr_t)ttable)
			 : "memory");
}

/* The first transport whose device is a NIC; 0 if none. */
static uintptr_t find_nic(unsigned int *slot)
{
	for (unsigned int n = 0; n < VIRTIO_SLOTS; n++) {
		uintptr_t base = VIRTIO_BASE + VIRTIO_STRIDE * n;

		if (rd32(base + VM_MAGIC) == VIRTIO_MAGIC && rd32(base + VM_DEVICE_ID) == VIRTIO_ID_NET) {
			*slot = n;
			return base;
		}
	}
	return 0;
}

static int setup_queue(uintptr_t base, unsigned int q)
{
	uint32_t max;

	wr32(base + VM_QUEUE_SEL, q);
	max = rd32(base + VM_QUEUE_NUM_MAX);
	if (max < QSIZE || rd32(base + VM_QUEUE_PFN) != 0)
		return -1;
	wr32(base + VM_QUEUE_NUM, QSIZE);
	wr32(base + VM_QUEUE_ALIGN, PAGE);
	wr32(base + VM_QUEUE_PFN, (uint32_t)((uintptr_t)&queues[q] / PAGE));
	return 0;
}

/* Hand descriptor 0 of queue @q (the one buffer) to the device. */
static void post(uintptr_t base, unsigned int q, void *buf, uint32_t len, uint16_t flags)
{
	struct vq *vq = &queues[q];

	vq->desc[0] = (struct vring_desc){ .addr = (uintptr_t)buf, .len = len, .flags = flags };
	vq->avail.ring[vq->avail.idx % QSIZE] = 0;
	mb();
	vq->avail.idx++;
	mb();
	wr32(base + VM_QUEUE_NOTIFY, q);
}

/* The length of the next used element of @q, or -1 if there is none yet. */
static int64_t take_used(unsigned int q)
{
	struct vq *vq = &queues[q];
	uint16_t idx = *(volatile uint16_t *)&vq->used.idx;
	uint32_t len;

	if (idx == vq->last_used)
		return -1;
	mb();
	len = vq->used.ring[vq->last_used % QSIZE].len;
	vq->last_used++;
	return len;
}

static void build_arp_request(const uint8_t *mac)
{
	uint8_t *f = txbuf + NET_HDR_LEN;
	static const uint8_t arp_hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };	/* Ethernet, IPv4, request */

	for (size_t i = 0; i < sizeof(txbuf); i++)
		txbuf[i] = 0;
	for (int i = 0; i < 6; i++) {
		f[i] = 0xff;
		f[6 + i] = mac[i];
		f[22 + i] = mac[i];
	}
	f[12] = 0x08;
	f[13] = 0x06;
	for (int i = 0; i < 8; i++)
		f[14 + i] = arp_hdr[i];
	for (int i = 0; i < 4; i++) {
		f[28 + i] = my_ip[i];
		f[38 + i] = host_ip[i];
	}
}

/* The received frame is the host's ARP reply to us. */
static int is_arp_reply(uint32_t len)
{
	const uint8_t *f = rxbuf + NET_HDR_LEN;

	if (len < NET_HDR_LEN + 42 || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2)
		return 0;
	for (int i = 0; i < 4; i++)
		if (f[28 + i] != host_ip[i] || f[38 + i] != my_ip[i])
			return 0;
	return 1;
}

static const char *exchange(uintptr_t base)
{
	uint64_t hz = counter_hz(), next = 0;
	unsigned int sent = 0, others = 0;
	int64_t len;

	post(base, RXQ, rxbuf, sizeof(rxbuf), VRING_DESC_F_WRITE);
	for (;;) {
		if (counter_ticks() >= next) {
			if (sent == ARP_TRIES)
				return "no ARP reply within 5 s";
			post(base, TXQ, txbuf, sizeof(txbuf), 0);
			sent++;
			next = counter_ticks() + hz;
		}
		take_used(TXQ);
		len = take_used(RXQ);
		if (len < 0)
			continue;
		wr32(base + VM_INTERRUPT_ACK, rd32(base + VM_INTERRUPT_STATUS));
		if (is_arp_reply((uint32_t)len))
			break;
		others++;	/* e.g. the host's IPv6 neighbour discovery: not ours */
		post(base, RXQ, rxbuf, sizeof(rxbuf), VRING_DESC_F_WRITE);
	}
	puts_uart("virtnet: ARP reply: 10.3.0.1 is-at ");
	put_mac(rxbuf + NET_HDR_LEN + 22);
	puts_uart(" (after ");
	putdec(sent);
	puts_uart(" request(s), ");
	putdec(others);
	puts_uart(" other frame(s))\n");
	return NULL;
}

static const char *run(void)
{
	unsigned int slot = 0;
	uintptr_t base = find_nic(&slot);
	uint8_t mac[6];
	uint32_t version;

	if (!base)
		return "no virtio-net device in the 32 virtio-mmio transports";
	version = rd32(base + VM_VERSION);
	puts_uart("virtnet: virtio-net in transport ");
	putdec(slot);
	puts_uart(" at 0x");
	puthex(base, 8);
	puts_uart(", version ");
	putdec(version);
	puts_uart("\n");
	if (version != 1)
		return "not a legacy (version 1) transport; this driver speaks only legacy";
	wr32(base + VM_STATUS, 0);
	wr32(base + VM_STATUS, STATUS_ACK);
	wr32(base + VM_STATUS, STATUS_ACK | STATUS_DRIVER);
	wr32(base + VM_HOST_FEATURES_SEL, 0);
	if (!(rd32(base + VM_HOST_FEATURES) & NET_F_MAC))
		return "the device offers no MAC address";
	wr32(base + VM_GUEST_FEATURES_SEL, 0);
	wr32(base + VM_GUEST_FEATURES, NET_F_MAC);
	wr32(base + VM_GUEST_PAGE_SIZE, PAGE);
	if (setup_queue(base, RXQ) || setup_queue(base, TXQ)) {
		wr32(base + VM_STATUS, STATUS_FAILED);
		return "a queue is too small or already in use";
	}
	wr32(base + VM_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_DRIVER_OK);
	for (int i = 0; i < 6; i++)
		mac[i] = *(volatile uint8_t *)(base + VM_CONFIG + i);
	puts_uart("virtnet: driver ready, MAC ");
	put_mac(mac);
	puts_uart("\n");
	build_arp_request(mac);
	return exchange(base);
}

void virtnet_main(uint64_t x0)
{
	const char *err;

	mmu_on();
	puts_uart("virtnet: hello from 0x");
	puthex((uintptr_t)virtnet_main & ~0xfffUL, 8);
	puts_uart(", x0=0x");
	puthex(x0, 8);
	/* A device tree, as QEMU and tinyvmm pass raw binaries; an ELF's x0 is the loader's. */
	if (x0 >= RAM_BASE && x0 < RAM_BASE + 0x40000000UL && (x0 & 7) == 0 &&
	    __builtin_bswap32(*(volatile uint32_t *)x0) == FDT_MAGIC)
		puts_uart(" (a device tree)\n");
	else
		puts_uart(" (not a device tree)\n");
	err = run();
	if (err) {
		puts_uart("virtnet: FAIL ");
		puts_uart(err);
		puts_uart("\n");
	} else {
		puts_uart("virtnet: ok\n");
	}
	power_off();
}
