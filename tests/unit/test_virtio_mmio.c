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
