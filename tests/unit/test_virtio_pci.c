// SPDX-License-Identifier: MIT
/* virtio-pci transport: capabilities, common config, notify, ISR/INTx and MSI-X vectors. */
#include <criterion/criterion.h>
#include <string.h>

#include "bus_access.h"
#include "pci_fixture.h"
#include "devices/mmio_bus.h"
#include "devices/pci/pci_host.h"
#include "devices/virtio/virtio_pci.h"
#include "lib/guest_mem.h"

#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	(1ULL << 20)
#define SLOT		2
#define BAR0_ADDR	0x50000000ULL
#define BAR1_ADDR	0x50010000ULL
#define NQUEUES		3
#define NVEC		4
#define OFFERED		((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX))

static struct guest_mem mem;
static struct virtio_dev vdev;
static struct virtio_pci vp;
static struct pci_host host;
static struct mmio_bus bus;
static int activations, resets, notifies, intx_level, intx_changes;
static unsigned int last_notify, deliveries, delivered[16];

static int fake_activate(struct virtio_dev *d) { activations++; return 0; }
static void fake_reset(struct virtio_dev *d) { resets++; }
static void fake_notify(struct virtio_dev *d, unsigned int q) { notifies++; last_notify = q; }

static void fake_config(struct virtio_dev *d, uint64_t off, uint8_t *data, unsigned int len,
			bool is_write)
{
	for (unsigned int i = 0; i < len && !is_write; i++)
		data[i] = (uint8_t)(0xc0 + off + i);
}

static const struct virtio_dev_ops dev_ops = {
	.activate = fake_activate, .reset = fake_reset, .notify = fake_notify,
	.config_access = fake_config,
};

static void on_deliver(void *opaque, unsigned int v, struct msix_msg msg)
{
	if (deliveries < 16)
		delivered[deliveries] = v;
	deliveries++;
}

static const struct msix_ops msix_ops = { .deliver = on_deliver };

static void set_intx(void *opaque, bool level)
{
	intx_level = level;
	intx_changes++;
}

static void make(unsigned int nvectors)
{
	struct tvm_error err;

	cr_assert_eq(guest_mem_alloc(&mem, RAM_BASE, RAM_SIZE, &err), 0);
	virtio_dev_init(&vdev, 1, OFFERED, NQUEUES, 256, &mem, &dev_ops, NULL);
	cr_assert_eq(virtio_pci_init(&vp, &vdev, 0x020000, nvectors, &msix_ops, NULL), 0);
	vp.set_intx = set_intx;
	pci_fixture_plug(&host, &bus, SLOT, &vp);
	activations = resets = notifies = intx_level = intx_changes = 0;
	deliveries = 0;
}

static void setup(void)
{
	make(NVEC);
}

static void teardown(void)
{
	virtio_pci_destroy(&vp);
	virtio_dev_destroy(&vdev);
	pci_host_destroy(&host);
	guest_mem_free(&mem);
}

TestSuite(virtio_pci, .init = setup, .fini = teardown);

static uint64_t ecam(unsigned int reg)
{
	return pci_fixture_ecam(SLOT, reg);
}

static uint32_t rd(uint64_t addr, unsigned int len)
{
	return bus_rd(&bus, addr, len);
}

static void wr(uint64_t addr, unsigned int len, uint64_t v)
{
	bus_wr(&bus, addr, len, v);
}

/* Linux's virtio_pci_find_capability(): vendor caps of @type, first one wins. */
static int find_virtio_cap(uint8_t type)
{
	unsigned int pos = rd(ecam(PCI_CFG_CAP_PTR), 1), ttl = 48;

	while (ttl-- && pos >= 0x40) {
		uint16_t ent = (uint16_t)rd(ecam(pos), 2);

		if ((ent & 0xff) == 0x09 && rd(ecam(pos + 3), 1) == type)
			return (int)pos;
		pos = ent >> 8;
	}
	return -1;
}

static void enable_bars(void)
{
	wr(ecam(PCI_CFG_BAR0), 4, (uint32_t)BAR0_ADDR);
	wr(ecam(PCI_CFG_BAR0 + 4), 4, (uint32_t)BAR1_ADDR);
	wr(ecam(PCI_CFG_COMMAND), 2, PCI_CMD_MEMORY | PCI_CMD_MASTER);
}

static uint64_t common(unsigned int off)
{
	return BAR0_ADDR + VIRTIO_PCI_COMMON_OFF + off;
}

Test(virtio_pci, ids_and_capabilities)
{
	static const struct { uint8_t type; uint32_t off, len; } want[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, 0x0000, 0x40 },
		{ VIRTIO_PCI_CAP_NOTIFY_CFG, 0x3000, 4 * NQUEUES },
		{ VIRTIO_PCI_CAP_ISR_CFG, 0x1000, 1 },
		{ VIRTIO_PCI_CAP_DEVICE_CFG, 0x2000, 0x1000 },
	};
	int notify;

	cr_assert_eq(rd(ecam(0), 4), 0x10411af4, "modern virtio-net: 0x1040 + 1");
	cr_assert_eq(rd(ecam(PCI_CFG_REVISION), 1), 1);
	cr_assert_eq(rd(ecam(PCI_CFG_CLASS_DEVICE), 2), 0x0200);
	cr_assert_eq(rd(ecam(PCI_CFG_SUBSYS_ID), 2), 0x40);
	cr_assert_eq(rd(ecam(PCI_CFG_INT_PIN), 1), 1);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int cap = find_virtio_cap(want[i].type);

		cr_assert_geq(cap, 0x40, "virtio cap %u missing", want[i].type);
		cr_assert_eq(rd(ecam(cap + VIRTIO_PCI_CAP_BAR), 1), 0);
		cr_assert_eq(rd(ecam(cap + VIRTIO_PCI_CAP_OFFSET), 4), want[i].off);
		cr_assert_eq(rd(ecam(cap + VIRTIO_PCI_CAP_LENGTH), 4), want[i].len);
	}
	notify = find_virtio_cap(VIRTIO_PCI_CAP_NOTIFY_CFG);
	cr_assert_eq(rd(ecam(notify + VIRTIO_PCI_CAP_LEN), 1), 20);
	cr_assert_eq(rd(ecam(notify + VIRTIO_PCI_NOTIFY_CAP_MULT), 4), 4);
	cr_assert_eq(rd(ecam(vp.msix.cap), 1), PCI_CAP_ID_MSIX);
	cr_assert_eq(rd(ecam(vp.msix.cap + MSIX_CAP_TABLE), 4), 1, "table in BAR 1 at 0");
	cr_assert_eq(rd(ecam(vp.msix.cap + MSIX_CAP_PBA), 4), 0x8000 | 1);
	/* Both BARs size to 64 KiB. */
	wr(ecam(PCI_CFG_BAR0), 4, 0xffffffff);
	cr_assert_eq(rd(ecam(PCI_CFG_BAR0), 4), 0xffff0000);
	wr(ecam(PCI_CFG_BAR0 + 4), 4, 0xffffffff);
	cr_assert_eq(rd(ecam(PCI_CFG_BAR0 + 4), 4), 0xffff0000);
}

/* Linux's bring-up, every queue given @qsize entries (0: size left untouched). */
static void bring_up_sized(uint16_t vec_base, uint32_t qsize)
{
	uint32_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	enable_bars();
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, status);
	wr(common(VIRTIO_PCI_COMMON_DFSELECT), 4, 1);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_DF), 4), 1, "VERSION_1 is bit 32");
	wr(common(VIRTIO_PCI_COMMON_GFSELECT), 4, 0);
	wr(common(VIRTIO_PCI_COMMON_GF), 4, (uint32_t)OFFERED);
	wr(common(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
	wr(common(VIRTIO_PCI_COMMON_GF), 4, (uint32_t)(OFFERED >> 32));
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_GF), 4), 1);
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, status);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_STATUS), 1), status);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_NUMQ), 2), NQUEUES);
	/* Linux: MSI-X enabled before the vectors are assigned. */
	wr(ecam(vp.msix.cap + MSIX_CAP_CTRL), 2, MSIX_CTRL_ENABLE);
	wr(common(VIRTIO_PCI_COMMON_MSIX), 2, vec_base);
	for (unsigned int q = 0; q < NQUEUES; q++) {
		uint64_t base = RAM_BASE + 0x10000 * q;

		wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, q);
		cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), 256, "max until written");
		cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_NOFF), 2), q);
		if (qsize)
			wr(common(VIRTIO_PCI_COMMON_Q_SIZE), 2, qsize);
		wr(common(VIRTIO_PCI_COMMON_Q_MSIX), 2, vec_base + 1 + q);
		wr(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4, (uint32_t)base);
		wr(common(VIRTIO_PCI_COMMON_Q_DESCHI), 4, 0);
		wr(common(VIRTIO_PCI_COMMON_Q_AVAILLO), 4, (uint32_t)(base + 0x1000));
		wr(common(VIRTIO_PCI_COMMON_Q_AVAILHI), 4, 0);
		wr(common(VIRTIO_PCI_COMMON_Q_USEDLO), 4, (uint32_t)(base + 0x2000));
		wr(common(VIRTIO_PCI_COMMON_Q_USEDHI), 4, 0);
		wr(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
		cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 1);
	}
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, status | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void bring_up(uint16_t vec_base)
{
	bring_up_sized(vec_base, 128);
}

Test(virtio_pci, linux_bring_up_and_queue_registers)
{
	bring_up(0);
	cr_assert_eq(activations, 1);
	cr_assert(vdev.active);
	cr_assert_eq(vdev.queues[1].size, 128);
	cr_assert_eq(vdev.queues[1].desc_gpa, RAM_BASE + 0x10000);
	cr_assert_eq(vdev.queues[2].device_gpa, RAM_BASE + 0x22000);
	wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 1);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4), (uint32_t)(RAM_BASE + 0x10000));
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_MSIX), 2), 2);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_MSIX), 2), 0);
	/* Live queue: its addresses and size no longer change. */
	wr(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4, 0);
	wr(common(VIRTIO_PCI_COMMON_Q_SIZE), 2, 64);
	cr_assert_eq(vdev.queues[1].desc_gpa, RAM_BASE + 0x10000);
	cr_assert_eq(vdev.queues[1].size, 128);
	/* A queue that does not exist. */
	wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, NQUEUES);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), 0);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
	wr(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	/* Device config window, generation. */
	cr_assert_eq(rd(BAR0_ADDR + VIRTIO_PCI_DEVICE_OFF + 6, 1), 0xc6);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_CFGGENERATION), 1), 0);
	/* Reset: everything back, vectors too. */
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	cr_assert_eq(resets, 1);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_STATUS), 1), 0);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_SELECT), 2), 0);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
}

/* An untouched queue size is the maximum the driver read. */
Test(virtio_pci, untouched_queue_size_is_the_maximum)
{
	bring_up_sized(0, 0);
	cr_assert(vdev.active);
	cr_assert_eq(vdev.queues[2].size, 256);
	cr_assert_not(virtio_dev_status(&vdev) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * A size above the maximum is refused, not replaced by the maximum: the
 * driver would lay out a ring of its size over one of ours. DRIVER_OK then
 * sets NEEDS_RESET (virtio_dev.h's promise) and the device stays stopped.
 */
Test(virtio_pci, oversized_queue_size_needs_reset)
{
	bring_up_sized(0, 512);
	cr_assert_eq(activations, 0, "the device started with a ring the driver did not describe");
	cr_assert_not(vdev.active);
	cr_assert(virtio_dev_status(&vdev) & VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 1);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), 0, "reads back as not taken");
	/* A reset forgets the refused size: the maximum again. */
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), 256);
	bring_up(0);
	cr_assert_eq(activations, 1);
}

Test(virtio_pci, vectors_not_honourable_read_no_vector)
{
	enable_bars();
	wr(common(VIRTIO_PCI_COMMON_MSIX), 2, NVEC);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
	wr(common(VIRTIO_PCI_COMMON_MSIX), 2, NVEC - 1);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_MSIX), 2), NVEC - 1);
	wr(common(VIRTIO_PCI_COMMON_MSIX), 2, VIRTIO_PCI_NO_VECTOR);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
	wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
	wr(common(VIRTIO_PCI_COMMON_Q_MSIX), 2, 0x1234);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
}

Test(virtio_pci, odd_accesses_ignored)
{
	enable_bars();
	/* Wrong width or a field's middle: reads 0, writes nothing. */
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_NUMQ), 4), 0);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_NUMQ + 1), 1), 0);
	wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 4, 2);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_Q_SELECT), 2), 0);
	wr(common(VIRTIO_PCI_COMMON_STATUS), 2, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_STATUS), 1), 0);
	/* Read-only fields. */
	wr(common(VIRTIO_PCI_COMMON_NUMQ), 2, 9);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_NUMQ), 2), NQUEUES);
	/* Holes of BAR 0 and past the common structure. */
	cr_assert_eq(rd(BAR0_ADDR + 0x800, 4), 0);
	cr_assert_eq(rd(common(0x3c), 2), 0);
	cr_assert_eq(rd(BAR0_ADDR + 0xfffc, 4), 0);
	/* Notification area: only whole slots, only writes. */
	cr_assert_eq(rd(BAR0_ADDR + VIRTIO_PCI_NOTIFY_OFF, 4), 0);
}

Test(virtio_pci, notifications_name_the_queue_by_address)
{
	bring_up(0);
	wr(BAR0_ADDR + VIRTIO_PCI_NOTIFY_OFF + 4 * 2, 2, 0);	/* value is not trusted */
	cr_assert_eq(notifies, 1);
	cr_assert_eq(last_notify, 2);
	wr(BAR0_ADDR + VIRTIO_PCI_NOTIFY_OFF + 4, 4, 7);
	cr_assert_eq(last_notify, 1);
	wr(BAR0_ADDR + VIRTIO_PCI_NOTIFY_OFF + 4 * NQUEUES, 2, 0);	/* past the last queue */
	wr(BAR0_ADDR + VIRTIO_PCI_NOTIFY_OFF + 2, 2, 0);		/* unaligned */
	wr(BAR0_ADDR + VIRTIO_PCI_NOTIFY_OFF, 1, 0);			/* byte */
	cr_assert_eq(notifies, 2);
	cr_assert_eq(virtio_pci_notify_addr(&vp, 2), BAR0_ADDR + 0x3008);
}

Test(virtio_pci, msix_vector_per_queue)
{
	uint32_t zero = 0;

	bring_up(0);
	/* Unmask vectors 0-3 (reset state is masked). */
	for (unsigned int v = 0; v < NVEC; v++)
		msix_bar_access(&vp.msix, 1, 16 * v + MSIX_ENTRY_CTRL, (uint8_t *)&zero, 4, true);
	virtio_dev_interrupt(&vdev, 1U << 2);
	cr_assert_eq(deliveries, 1);
	cr_assert_eq(delivered[0], 3, "queue 2 -> vector 3");
	virtio_dev_interrupt(&vdev, (1U << 0) | (1U << 1));
	cr_assert_eq(deliveries, 3);
	cr_assert_eq(delivered[1], 1);
	cr_assert_eq(delivered[2], 2);
	cr_assert_not(intx_level, "no INTx with MSI-X on");
	cr_assert_eq(rd(BAR0_ADDR + VIRTIO_PCI_ISR_OFF, 1), 0);
	/* Two queues sharing a vector: one message. */
	wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
	wr(common(VIRTIO_PCI_COMMON_Q_MSIX), 2, 2);
	virtio_dev_interrupt(&vdev, (1U << 0) | (1U << 1));
	cr_assert_eq(deliveries, 4);
	/* Config change: the config vector (and the ISR config bit). */
	virtio_dev_config_changed(&vdev);
	cr_assert_eq(deliveries, 5);
	cr_assert_eq(delivered[4], 0);
	/* A queue with NO_VECTOR gets no interrupt. */
	wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 2);
	wr(common(VIRTIO_PCI_COMMON_Q_MSIX), 2, VIRTIO_PCI_NO_VECTOR);
	virtio_dev_interrupt(&vdev, 1U << 2);
	cr_assert_eq(deliveries, 5);
	/* Masked: pending in the PBA (seen through BAR 1). */
	msix_bar_access(&vp.msix, 1, 16 * 2 + MSIX_ENTRY_CTRL, (uint8_t *)&(uint32_t){ 1 }, 4, true);
	virtio_dev_interrupt(&vdev, 1U << 1);
	cr_assert_eq(deliveries, 5);
	cr_assert_eq(rd(BAR1_ADDR + VIRTIO_PCI_MSIX_PBA_OFF, 4), 1U << 2, "queue 1 -> vector 2");
}

Test(virtio_pci, intx_when_msix_is_off)
{
	bring_up(0);
	wr(ecam(vp.msix.cap + MSIX_CAP_CTRL), 2, 0);	/* driver fell back to INTx */
	virtio_dev_interrupt(&vdev, 1U << 0);
	cr_assert_eq(deliveries, 0);
	cr_assert(intx_level);
	cr_assert_eq(rd(BAR0_ADDR + VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_QUEUE);
	cr_assert_not(intx_level, "reading ISR lowers the line");
	cr_assert_eq(rd(BAR0_ADDR + VIRTIO_PCI_ISR_OFF, 1), 0, "and clears it");
	virtio_dev_config_changed(&vdev);
	cr_assert(intx_level);
	cr_assert_eq(rd(BAR0_ADDR + VIRTIO_PCI_ISR_OFF, 4), VIRTIO_PCI_ISR_CONFIG);
	wr(BAR0_ADDR + VIRTIO_PCI_ISR_OFF, 1, 0xff);	/* read-only */
	cr_assert_eq(rd(BAR0_ADDR + VIRTIO_PCI_ISR_OFF, 1), 0);
}

/*
 * Command.INTX_DISABLE (Linux sets it when MSI-X is on, and around
 * suspend): the line stays low; Status.INTERRUPT still tells the condition,
 * and the line comes back if the driver re-enables INTx before reading ISR.
 */
Test(virtio_pci, intx_disable_and_status_interrupt)
{
	bring_up(0);
	wr(ecam(vp.msix.cap + MSIX_CAP_CTRL), 2, 0);
	cr_assert_not(rd(ecam(PCI_CFG_STATUS), 2) & PCI_STATUS_INTERRUPT);
	virtio_dev_interrupt(&vdev, 1U << 0);
	cr_assert(intx_level);
	cr_assert(rd(ecam(PCI_CFG_STATUS), 2) & PCI_STATUS_INTERRUPT, "Status.INTERRUPT never set");
	wr(ecam(PCI_CFG_COMMAND), 2, PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
	cr_assert_not(intx_level, "INTX_DISABLE ignored");
	virtio_dev_interrupt(&vdev, 1U << 1);
	cr_assert_not(intx_level, "raised although INTx is disabled");
	cr_assert(rd(ecam(PCI_CFG_STATUS), 2) & PCI_STATUS_INTERRUPT);
	wr(ecam(PCI_CFG_COMMAND), 2, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	cr_assert(intx_level, "the pending interrupt is lost");
	cr_assert_eq(rd(BAR0_ADDR + VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_QUEUE);
	cr_assert_not(intx_level);
	cr_assert_not(rd(ecam(PCI_CFG_STATUS), 2) & PCI_STATUS_INTERRUPT);
}

Test(virtio_pci, intx_only_function, .init = NULL)
{
	make(0);
	cr_assert_not(vp.has_msix);
	enable_bars();
	cr_assert_eq(find_virtio_cap(VIRTIO_PCI_CAP_COMMON_CFG), 0x40);
	cr_assert_eq(rd(ecam(PCI_CFG_BAR0 + 4), 4), 0, "no MSI-X BAR");
	wr(common(VIRTIO_PCI_COMMON_MSIX), 2, 0);
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_PCI_NO_VECTOR);
	virtio_dev_interrupt(&vdev, 1);
	cr_assert(intx_level);
}

Test(virtio_pci, bad_init)
{
	struct virtio_pci other;

	cr_assert_eq(virtio_pci_init(&other, &vdev, 0, MSIX_MAX_VECTORS + 1, &msix_ops, NULL), -1);
}

Test(virtio_pci, pci_cfg_capability_window)
{
	int cap = find_virtio_cap(VIRTIO_PCI_CAP_PCI_CFG);

	cr_assert_geq(cap, 0x40);
	cr_assert_eq(rd(ecam(cap + VIRTIO_PCI_CAP_LEN), 1), 20);
	/* Read num_queues (16-bit at 18) through the window, BARs not even placed. */
	wr(ecam(cap + VIRTIO_PCI_CAP_BAR), 1, 0);
	wr(ecam(cap + VIRTIO_PCI_CAP_OFFSET), 4, VIRTIO_PCI_COMMON_NUMQ);
	wr(ecam(cap + VIRTIO_PCI_CAP_LENGTH), 4, 2);
	cr_assert_eq(rd(ecam(cap + 16), 4) & 0xffff, NQUEUES);
	/* Write device_status (8-bit at 20) through it. */
	wr(ecam(cap + VIRTIO_PCI_CAP_OFFSET), 4, VIRTIO_PCI_COMMON_STATUS);
	wr(ecam(cap + VIRTIO_PCI_CAP_LENGTH), 4, 1);
	wr(ecam(cap + 16), 4, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	cr_assert_eq(virtio_dev_status(&vdev), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	cr_assert_eq(rd(ecam(cap + 16), 1), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	/* Bad lengths, misalignment, past the BAR: no access. */
	wr(ecam(cap + VIRTIO_PCI_CAP_LENGTH), 4, 3);
	wr(ecam(cap + 16), 4, 0);
	cr_assert_eq(virtio_dev_status(&vdev), VIRTIO_CONFIG_S_ACKNOWLEDGE, "no reset");
	wr(ecam(cap + VIRTIO_PCI_CAP_OFFSET), 4, VIRTIO_PCI_COMMON_NUMQ + 1);
	wr(ecam(cap + VIRTIO_PCI_CAP_LENGTH), 4, 2);
	wr(ecam(cap + 16), 4, 0);
	wr(ecam(cap + VIRTIO_PCI_CAP_OFFSET), 4, 0xffffffff);
	wr(ecam(cap + 16), 4, 0);
	/* Moving the window alone touches nothing. */
	wr(ecam(cap + VIRTIO_PCI_CAP_OFFSET), 4, VIRTIO_PCI_COMMON_STATUS);
	wr(ecam(cap + VIRTIO_PCI_CAP_LENGTH), 4, 1);
	cr_assert_eq(virtio_dev_status(&vdev), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	/* MSI-X BAR through the window: vector 0's control word (masked). */
	wr(ecam(cap + VIRTIO_PCI_CAP_BAR), 1, 1);
	wr(ecam(cap + VIRTIO_PCI_CAP_OFFSET), 4, MSIX_ENTRY_CTRL);
	wr(ecam(cap + VIRTIO_PCI_CAP_LENGTH), 4, 4);
	cr_assert_eq(rd(ecam(cap + 16), 4), MSIX_ENTRY_MASKED);
}

/*
 * A guest reboot: the device resets as for a driver's status 0, and the
 * function is back at power-on, so the next kernel's enumeration and
 * bring-up start from the same place as the first boot's.
 */
Test(virtio_pci, reboot_reset_returns_function_to_power_on)
{
	uint32_t zero = 0;

	int cfg_cap = find_virtio_cap(VIRTIO_PCI_CAP_PCI_CFG);

	bring_up(0);
	cr_assert_eq(activations, 1);
	/* What firmware and the kernel write besides the BARs. */
	wr(ecam(PCI_CFG_CACHE_LINE), 1, 0x10);
	wr(ecam(PCI_CFG_INT_LINE), 1, 0x2b);
	wr(ecam(cfg_cap + VIRTIO_PCI_CAP_OFFSET), 4, VIRTIO_PCI_COMMON_NUMQ);
	wr(ecam(cfg_cap + VIRTIO_PCI_CAP_LENGTH), 4, 2);
	for (unsigned int v = 0; v < NVEC; v++)
		msix_bar_access(&vp.msix, 1, 16 * v + MSIX_ENTRY_CTRL, (uint8_t *)&zero, 4, true);
	/* Vector 2 masked with a message pending: the next boot must not see it. */
	msix_bar_access(&vp.msix, 1, 16 * 2 + MSIX_ENTRY_CTRL, (uint8_t *)&(uint32_t){ 1 }, 4, true);
	virtio_dev_interrupt(&vdev, 1U << 1);
	cr_assert_eq(rd(BAR1_ADDR + VIRTIO_PCI_MSIX_PBA_OFF, 4), 1U << 2);
	deliveries = 0;

	virtio_pci_reset(&vp);
	cr_assert_eq(resets, 1, "the device was not reset");
	cr_assert_eq(virtio_dev_status(&vdev), 0);
	cr_assert_eq(rd(ecam(PCI_CFG_COMMAND), 2), 0, "decoding still on");
	cr_assert_eq(rd(ecam(PCI_CFG_BAR0), 4) & ~0xfU, 0, "BAR 0 still assigned");
	cr_assert_eq(rd(ecam(PCI_CFG_BAR0 + 4), 4) & ~0xfU, 0, "BAR 1 still assigned");
	cr_assert_eq(rd(ecam(vp.msix.cap + MSIX_CAP_CTRL), 2), NVEC - 1, "MSI-X still enabled");
	cr_assert_not(msix_enabled(&vp.msix));
	for (unsigned int v = 0; v < NVEC; v++)
		cr_assert_eq(vp.msix.table[v].ctrl, MSIX_ENTRY_MASKED, "vector %u unmasked", v);
	cr_assert_eq(vp.msix.pba[0], 0, "a pending vector survived");
	cr_assert_eq(deliveries, 0, "the reset sent a message");
	cr_assert_not(intx_level);
	cr_assert_eq(rd(ecam(PCI_CFG_CACHE_LINE), 1), 0, "cache line size survived");
	cr_assert_eq(rd(ecam(PCI_CFG_INT_LINE), 1), 0, "INT_LINE survived");
	cr_assert_eq(rd(ecam(cfg_cap + VIRTIO_PCI_CAP_OFFSET), 4), 0, "config window survived");
	cr_assert_eq(rd(ecam(cfg_cap + VIRTIO_PCI_CAP_LENGTH), 4), 0);

	/* The BARs decode nothing until the next kernel assigns them. */
	cr_assert_eq(rd(common(VIRTIO_PCI_COMMON_STATUS), 1), 0xff, "BAR 0 still decodes");
	/* Second boot: the same bring-up works and messages flow again. */
	bring_up(0);
	cr_assert_eq(activations, 2);
	for (unsigned int v = 0; v < NVEC; v++)
		msix_bar_access(&vp.msix, 1, 16 * v + MSIX_ENTRY_CTRL, (uint8_t *)&zero, 4, true);
	virtio_dev_interrupt(&vdev, 1U << 2);
	cr_assert_eq(deliveries, 1);
	cr_assert_eq(delivered[0], 3);
}
