// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <endian.h>

#include "devices/virtio/virtio_mmio.h"
#include "virtq_driver.h"

static struct guest_mem mem;
static struct virtio_dev vdev;
static struct virtio_mmio dev;	/* the transport under test, over vdev */
static int activations, resets, notifies, irqs;
static unsigned int last_notify;
static int activate_result;

static int fake_activate(struct virtio_dev *m) { activations++; return activate_result; }
static void fake_reset(struct virtio_dev *m) { resets++; }
static void fake_notify(struct virtio_dev *m, unsigned int q) { notifies++; last_notify = q; }
static void fake_irq(void *o) { irqs++; }

static void fake_config(struct virtio_dev *m, uint64_t off, uint8_t *data, unsigned int len,
			bool is_write)
{
	for (unsigned int i = 0; i < len; i++)
		data[i] = is_write ? data[i] : (uint8_t)(0xa0 + off + i);
}

static const struct virtio_dev_ops ops = {
	.activate = fake_activate,
	.reset = fake_reset,
	.notify = fake_notify,
	.config_access = fake_config,
};

#define OFFERED ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << 5))

static void setup(void)
{
	struct tvm_error err;

	guest_mem_alloc(&mem, TD_RAM_BASE, TD_RAM_SIZE, &err);
	virtio_dev_init(&vdev, 1, OFFERED, 2, 256, &mem, &ops, NULL);
	virtio_mmio_init(&dev, &vdev);
	dev.raise_irq = fake_irq;
	activations = resets = notifies = irqs = 0;
	activate_result = 0;
}

static void teardown(void)
{
	virtio_dev_destroy(&vdev);
	guest_mem_free(&mem);
}

TestSuite(virtio_mmio, .init = setup, .fini = teardown);

static uint32_t rd(uint64_t off)
{
	uint32_t v;

	virtio_mmio_access(&dev, off, (uint8_t *)&v, 4, false);
	return le32toh(v);
}

static void wr(uint64_t off, uint32_t v)
{
	v = htole32(v);
	virtio_mmio_access(&dev, off, (uint8_t *)&v, 4, true);
}

static void negotiate(uint64_t features)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			       VIRTIO_CONFIG_S_FEATURES_OK);
}

static void setup_queue(unsigned int q, uint32_t num, uint64_t desc)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	wr(VIRTIO_MMIO_QUEUE_NUM, num);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(desc + 0x4000));
	wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((desc + 0x4000) >> 32));
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(desc + 0x8000));
	wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((desc + 0x8000) >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

static const uint32_t DRIVER_OK_ALL = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;

Test(virtio_mmio, identity_registers)
{
	cr_assert_eq(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	cr_assert_eq(rd(VIRTIO_MMIO_VERSION), 2);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_ID), 1);
	cr_assert_eq(rd(VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	cr_assert_eq(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff, "no shared memory");
}

Test(virtio_mmio, device_features_by_select)
{
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)OFFERED);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1, "VERSION_1 is bit 32");
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
}

Test(virtio_mmio, features_ok_accepts_a_subset)
{
	negotiate((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX));
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert(vdev.queues[0].event_idx, "ring features reach the queues");
}

Test(virtio_mmio, features_ok_refused_for_unoffered_bits)
{
	negotiate((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_RING_PACKED));
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
}

Test(virtio_mmio, features_ok_refused_without_version_1)
{
	negotiate(1ULL << 5);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
}

Test(virtio_mmio, driver_features_frozen_after_features_ok)
{
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1U << 5);
	cr_assert_eq(vdev.driver_features, 1ULL << VIRTIO_F_VERSION_1);
}

Test(virtio_mmio, queue_setup_then_driver_ok_activates)
{
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
	setup_queue(0, 128, TD_RAM_BASE);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	cr_assert_eq(activations, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), DRIVER_OK_ALL);
	cr_assert_not_null(vdev.queues[0].desc, "ring mapped at DRIVER_OK");
	cr_assert_eq(vdev.queues[0].size, 128);
}

Test(virtio_mmio, queue_registers_ignored_in_wrong_phase)
{
	setup_queue(0, 128, TD_RAM_BASE);	/* before FEATURES_OK */
	cr_assert_eq(vdev.queues[0].size, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	setup_queue(0, 128, TD_RAM_BASE);
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);		/* live queue: ignored */
	cr_assert_eq(vdev.queues[0].size, 128);
}

Test(virtio_mmio, queue_num_above_max_is_refused)
{
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	setup_queue(0, 512, TD_RAM_BASE);	/* max is 256 */
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	cr_assert_eq(activations, 0);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

Test(virtio_mmio, queue_select_out_of_range)
{
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 40);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0, "no such queue");
	wr(VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
}

Test(virtio_mmio, rings_outside_ram_need_reset)
{
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	setup_queue(0, 128, 0x1000);
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	cr_assert_eq(activations, 0);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
	cr_assert_eq(irqs, 1);
}

Test(virtio_mmio, driver_ok_before_features_ok_is_refused)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			       VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert_eq(activations, 0);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK);
}

Test(virtio_mmio, status_zero_resets_and_driver_can_bind_again)
{
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	setup_queue(0, 128, TD_RAM_BASE);
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(resets, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
	cr_assert_eq(vdev.driver_features, 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	cr_assert_null(vdev.queues[0].desc);
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	setup_queue(0, 64, TD_RAM_BASE);
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	cr_assert_eq(activations, 2);
	cr_assert_eq(vdev.queues[0].size, 64);
}

Test(virtio_mmio, interrupt_status_and_ack)
{
	virtio_dev_interrupt(&vdev, 1);
	cr_assert_eq(irqs, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_VRING);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_VRING);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

/*
 * With InterruptACK(VRING) completed in KVM the ACK never reaches us: VRING
 * must read as set on its own, CONFIG must still be set and cleared here,
 * and a device reset must not drop the setting (the ioeventfd stays).
 */
Test(virtio_mmio, vring_ack_in_kernel_reads_vring_keeps_config)
{
	dev.vring_ack_in_kernel = true;
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_VRING);
	virtio_dev_config_changed(&vdev);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_VRING | VIRTIO_INT_CONFIG);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_VRING | VIRTIO_INT_CONFIG);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_VRING);
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert(dev.vring_ack_in_kernel);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_VRING);
}

Test(virtio_mmio, notify_reaches_device_only_when_active)
{
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	cr_assert_eq(notifies, 0);
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	setup_queue(1, 64, TD_RAM_BASE);
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	cr_assert_eq(notifies, 1);
	cr_assert_eq(last_notify, 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 99);	/* no such queue */
	cr_assert_eq(notifies, 1);
}

Test(virtio_mmio, odd_sized_register_access_is_ignored)
{
	uint8_t b = 0xff;
	uint16_t h = 0xffff;

	virtio_mmio_access(&dev, VIRTIO_MMIO_MAGIC_VALUE, &b, 1, false);
	cr_assert_eq(b, 0);
	virtio_mmio_access(&dev, VIRTIO_MMIO_STATUS + 2, (uint8_t *)&h, 2, true);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
}

Test(virtio_mmio, config_space_goes_to_the_device)
{
	uint8_t b[2];

	virtio_mmio_access(&dev, VIRTIO_MMIO_CONFIG + 4, b, 2, false);
	cr_assert_eq(b[0], 0xa4);
	cr_assert_eq(b[1], 0xa5);
}

Test(virtio_mmio, failed_activation_needs_reset)
{
	activate_result = -1;
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	setup_queue(0, 64, TD_RAM_BASE);
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(resets, 0, "never active, nothing to stop");
}

/* Found by tests/fuzz/fuzz_virtio_mmio: status bits can't be taken back. */
Test(virtio_mmio, driver_cannot_clear_status_bits_of_a_live_device)
{
	negotiate(1ULL << VIRTIO_F_VERSION_1);
	setup_queue(0, 8, TD_RAM_BASE);
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	cr_assert_eq(activations, 1);
	/* Dropping DRIVER_OK would reopen queue setup under the running device. */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), DRIVER_OK_ALL);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_QUEUE_NUM, 256);
	cr_assert_eq(vdev.queues[0].size, 8);
	wr(VIRTIO_MMIO_STATUS, DRIVER_OK_ALL);
	cr_assert_eq(activations, 1, "activated twice");
	cr_assert(vdev.active);
}

/*
 * Version 1 (legacy interface, virtio 1.2 §4.2.4): the same device and
 * core, in legacy mode. Offered: VERSION_1 | EVENT_IDX | bit 5 (OFFERED)
 * plus RING_PACKED, so that what a legacy driver must not see is there.
 */
#define LEGACY_OFFERED (OFFERED | (1ULL << VIRTIO_F_RING_PACKED))
#define PAGE 4096u
#define NEEDS_RESET(s) ((s) & VIRTIO_CONFIG_S_NEEDS_RESET)

static void setup_legacy(void)
{
	setup();
	vdev.device_features = LEGACY_OFFERED;
	virtio_mmio_init_legacy(&dev, &vdev);
	dev.raise_irq = fake_irq;
}

TestSuite(virtio_mmio_legacy, .init = setup_legacy, .fini = teardown);

/* ACKNOWLEDGE, DRIVER, GuestPageSize, features word 0 (what Linux's v1 path does). */
static void legacy_begin(uint32_t features)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, PAGE);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, features);
}

static void legacy_queue(unsigned int q, uint32_t num, uint32_t align, uint32_t pfn)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	wr(VIRTIO_MMIO_QUEUE_NUM, num);
	wr(VIRTIO_MMIO_QUEUE_ALIGN, align);
	wr(VIRTIO_MMIO_QUEUE_PFN, pfn);
}

static const uint32_t LEGACY_DRIVER_OK = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					 VIRTIO_CONFIG_S_DRIVER_OK;
static const uint32_t RAM_PFN = (uint32_t)(TD_RAM_BASE / PAGE);

Test(virtio_mmio_legacy, identity_says_version_1)
{
	cr_assert_eq(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	cr_assert_eq(rd(VIRTIO_MMIO_VERSION), 1);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_ID), 1);
	/* Version 2's registers are reserved here. */
	cr_assert_eq(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0);
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
}

Test(virtio_mmio_legacy, one_feature_word_without_version_1_or_packed)
{
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)OFFERED);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0, "no VERSION_1, no RING_PACKED");
	cr_assert_eq(vdev.device_features, (uint32_t)OFFERED);
	/* Word 1 cannot be accepted either. */
	legacy_begin(1u << VIRTIO_RING_F_EVENT_IDX);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	cr_assert_eq(vdev.driver_features, 1ULL << VIRTIO_RING_F_EVENT_IDX);
}

Test(virtio_mmio_legacy, pfn_places_the_rings_in_the_legacy_layout)
{
	uint32_t pfn = RAM_PFN + 0x10;
	uint64_t base = (uint64_t)pfn * PAGE;

	legacy_begin(1u << VIRTIO_RING_F_EVENT_IDX);
	legacy_queue(0, 256, PAGE, pfn);
	/* desc 256 x 16 = 4096, avail 6 + 2 x 256 = 518: used at the next 4 KiB. */
	cr_assert_eq(vdev.queues[0].desc_gpa, base);
	cr_assert_eq(vdev.queues[0].driver_gpa, base + 4096);
	cr_assert_eq(vdev.queues[0].device_gpa, base + 8192);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), pfn);
	/* A small alignment packs it tighter: 8 x 16 + 22 = 150, used at 192. */
	legacy_queue(1, 8, 64, pfn + 4);
	cr_assert_eq(vdev.queues[1].driver_gpa, base + 4 * PAGE + 128);
	cr_assert_eq(vdev.queues[1].device_gpa, base + 4 * PAGE + 192);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), pfn + 4);
	wr(VIRTIO_MMIO_STATUS, LEGACY_DRIVER_OK);
	cr_assert_eq(activations, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), LEGACY_DRIVER_OK, "no FEATURES_OK in legacy");
	cr_assert(vdev.queues[0].event_idx && !vdev.queues[0].packed);
	cr_assert_eq(vdev.queues[0].device, guest_mem_ptr(&mem, base + 8192, 1));
}

Test(virtio_mmio_legacy, page_size_scales_the_pfn)
{
	legacy_begin(0);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 65536);	/* a 64K-page guest kernel */
	legacy_queue(0, 16, 65536, (uint32_t)(TD_RAM_BASE / 65536) + 2);
	cr_assert_eq(vdev.queues[0].desc_gpa, TD_RAM_BASE + 2 * 65536);
	cr_assert_eq(vdev.queues[0].device_gpa, TD_RAM_BASE + 3 * 65536);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), (uint32_t)(TD_RAM_BASE / 65536) + 2);
}

Test(virtio_mmio_legacy, features_ok_is_not_a_step_and_queues_need_no_ready)
{
	legacy_begin(0);
	/* A legacy driver never writes FEATURES_OK; one that does gets nothing from it. */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			       VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	legacy_queue(0, 16, PAGE, RAM_PFN);
	legacy_queue(1, 16, PAGE, RAM_PFN + 2);
	cr_assert(virtio_dev_queue_ready(&vdev, 0) && virtio_dev_queue_ready(&vdev, 1));
	wr(VIRTIO_MMIO_QUEUE_READY, 0);	/* version 2's register: reserved */
	cr_assert(virtio_dev_queue_ready(&vdev, 1));
	wr(VIRTIO_MMIO_STATUS, LEGACY_DRIVER_OK);
	cr_assert_eq(activations, 1);
	cr_assert_eq(NEEDS_RESET(rd(VIRTIO_MMIO_STATUS)), 0);
}

Test(virtio_mmio_legacy, pfn_zero_releases_the_queue)
{
	legacy_begin(0);
	legacy_queue(0, 16, PAGE, RAM_PFN);
	/* Set already: a second PFN is ignored until the queue is released. */
	wr(VIRTIO_MMIO_QUEUE_PFN, RAM_PFN + 8);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), RAM_PFN);
	wr(VIRTIO_MMIO_QUEUE_PFN, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
	cr_assert_not(virtio_dev_queue_ready(&vdev, 0));
	wr(VIRTIO_MMIO_QUEUE_PFN, RAM_PFN + 8);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), RAM_PFN + 8);
}

Test(virtio_mmio_legacy, live_queues_ignore_pfn_and_align)
{
	legacy_begin(0);
	legacy_queue(0, 16, PAGE, RAM_PFN);
	wr(VIRTIO_MMIO_STATUS, LEGACY_DRIVER_OK);
	cr_assert_eq(activations, 1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_PFN, 0);
	wr(VIRTIO_MMIO_QUEUE_ALIGN, 3);
	wr(VIRTIO_MMIO_QUEUE_NUM, 8);
	cr_assert(virtio_dev_queue_ready(&vdev, 0));
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), RAM_PFN);
	cr_assert_eq(vdev.queues[0].size, 16);
	cr_assert_eq(NEEDS_RESET(rd(VIRTIO_MMIO_STATUS)), 0);
}

/* Set up queue 0 with @pfn (after @page/@align), then DRIVER_OK: it must not start. */
static void assert_refused(uint32_t page, uint32_t align, uint32_t num, uint32_t pfn)
{
	legacy_begin(0);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, page);
	legacy_queue(0, num, align, pfn);
	cr_assert(NEEDS_RESET(rd(VIRTIO_MMIO_STATUS)),
		  "page %u align %u num %u pfn 0x%x: accepted", page, align, num, pfn);
	cr_assert_not(virtio_dev_queue_ready(&vdev, 0));
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
	wr(VIRTIO_MMIO_STATUS, LEGACY_DRIVER_OK);
	cr_assert_eq(activations, 0, "started with a refused queue");
	/* A reset clears it; the next driver can bind. */
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
}

Test(virtio_mmio_legacy, rings_outside_ram_need_reset)
{
	uint32_t end_pfn = (uint32_t)((TD_RAM_BASE + TD_RAM_SIZE) / PAGE);

	assert_refused(PAGE, PAGE, 256, RAM_PFN - 1);		/* below RAM */
	assert_refused(PAGE, PAGE, 256, end_pfn);		/* just past its end */
	assert_refused(PAGE, PAGE, 256, end_pfn - 2);		/* desc in RAM, used ring not */
	assert_refused(PAGE, PAGE, 256, 0xffffffff);		/* the largest PFN */
	assert_refused(65536, 65536, 256, 0xffffffff);		/* 2^48: no overflow either */
	/* The last place a 256-entry ring fits (3 pages) is accepted. */
	legacy_begin(0);
	legacy_queue(0, 256, PAGE, end_pfn - 3);
	cr_assert(virtio_dev_queue_ready(&vdev, 0));
}

Test(virtio_mmio_legacy, queue_num_must_be_a_power_of_two_up_to_max)
{
	assert_refused(PAGE, PAGE, 100, RAM_PFN);
	assert_refused(PAGE, PAGE, 512, RAM_PFN);	/* max is 256 */
	assert_refused(PAGE, PAGE, 0, RAM_PFN);
}

Test(virtio_mmio_legacy, hostile_page_size_and_align_need_reset)
{
	static const uint32_t bad_pages[] = { 0, 3, 4097, 131072, 0x80000000u };
	static const uint32_t bad_aligns[] = { 0, 1, 2, 6, 4095, 131072, 0xffffffffu };

	for (size_t i = 0; i < sizeof(bad_pages) / sizeof(bad_pages[0]); i++) {
		legacy_begin(0);
		wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, bad_pages[i]);
		cr_assert(NEEDS_RESET(rd(VIRTIO_MMIO_STATUS)), "page size %u", bad_pages[i]);
		cr_assert_eq(dev.guest_page_size, PAGE, "page size %u was kept", bad_pages[i]);
		wr(VIRTIO_MMIO_STATUS, 0);
	}
	for (size_t i = 0; i < sizeof(bad_aligns) / sizeof(bad_aligns[0]); i++) {
		legacy_begin(0);
		legacy_queue(0, 16, bad_aligns[i], RAM_PFN);
		cr_assert(NEEDS_RESET(rd(VIRTIO_MMIO_STATUS)), "align %u", bad_aligns[i]);
		cr_assert_eq(dev.queue_align[0], VIRTIO_LEGACY_ALIGN_DEFAULT,
			     "align %u was kept", bad_aligns[i]);
		wr(VIRTIO_MMIO_STATUS, LEGACY_DRIVER_OK);
		cr_assert_eq(activations, 0, "started after align %u", bad_aligns[i]);
		wr(VIRTIO_MMIO_STATUS, 0);
	}
}

Test(virtio_mmio_legacy, unacceptable_features_keep_the_device_down)
{
	/* Bit 3 was never offered: legacy has no FEATURES_OK to refuse it at. */
	legacy_begin(1u << 3);
	legacy_queue(0, 16, PAGE, RAM_PFN);
	wr(VIRTIO_MMIO_STATUS, LEGACY_DRIVER_OK);
	cr_assert_eq(activations, 0);
	cr_assert(NEEDS_RESET(rd(VIRTIO_MMIO_STATUS)));
}

Test(virtio_mmio_legacy, driver_reset_keeps_page_size_power_on_reset_does_not)
{
	legacy_begin(1u << VIRTIO_RING_F_EVENT_IDX);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 16384);
	legacy_queue(0, 16, 64, (uint32_t)(TD_RAM_BASE / 16384));
	wr(VIRTIO_MMIO_STATUS, LEGACY_DRIVER_OK);
	cr_assert_eq(activations, 1);
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(resets, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 0, "queues released");
	cr_assert_eq(vdev.driver_features, 0);
	cr_assert_eq(dev.queue_align[0], VIRTIO_LEGACY_ALIGN_DEFAULT);
	/* Linux writes GuestPageSize once, at probe: a driver reset keeps it. */
	cr_assert_eq(dev.guest_page_size, 16384);
	/* Bind again without writing it. */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	legacy_queue(0, 16, PAGE, (uint32_t)(TD_RAM_BASE / 16384) + 1);
	cr_assert_eq(vdev.queues[0].desc_gpa, TD_RAM_BASE + 16384);
	wr(VIRTIO_MMIO_STATUS, LEGACY_DRIVER_OK);
	cr_assert_eq(activations, 2);
	/* A machine reset is power-on: every register to its default. */
	virtio_mmio_reset(&dev);
	cr_assert_eq(resets, 2);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
	cr_assert_eq(dev.guest_page_size, VIRTIO_LEGACY_PAGE_DEFAULT);
	cr_assert(dev.legacy, "still version 1");
}

Test(virtio_mmio, legacy_registers_are_reserved_in_version_2)
{
	negotiate((1ULL << VIRTIO_F_VERSION_1));
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 16);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 3);
	wr(VIRTIO_MMIO_QUEUE_ALIGN, 3);
	wr(VIRTIO_MMIO_QUEUE_PFN, RAM_PFN);
	cr_assert_not(virtio_dev_queue_ready(&vdev, 0));
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
	cr_assert_eq(NEEDS_RESET(rd(VIRTIO_MMIO_STATUS)), 0);
}
