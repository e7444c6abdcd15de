// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "devices/virtio/virtq.h"
#include "virtq_driver.h"

static struct test_driver d;
static struct virtq_chain chain;

static void start(uint16_t size, bool packed, bool event_idx, bool indirect)
{
	td_setup(&d, size, packed, event_idx, indirect);
	cr_assert_eq(virtq_start(&d.vq), 0);
}

static void stop(void)
{
	td_teardown(&d);
}

TestSuite(virtq, .fini = stop);

/* ---- split ---------------------------------------------------------------- */

Test(virtq, split_empty_ring_has_nothing)
{
	start(8, false, false, false);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_EMPTY);
	cr_assert_not(virtq_has_avail(&d.vq));
}

Test(virtq, split_pop_and_push_one_chain)
{
	uint32_t id, len;
	uint16_t head;

	start(8, false, false, false);
	head = td_post(&d, 1, 2, 100);
	cr_assert(virtq_has_avail(&d.vq));
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
	cr_assert_eq(chain.id, head);
	cr_assert_eq(chain.nout, 1);
	cr_assert_eq(chain.nin, 2);
	cr_assert_eq(chain.out_len, 100);
	cr_assert_eq(chain.in_len, 200);
	/* iov points at the guest's buffers, inside guest RAM */
	cr_assert_eq((uint8_t *)chain.iov[0].iov_base, (uint8_t *)td_ptr(&d, TD_BUFFERS));
	virtq_push(&d.vq, &chain, 150);
	cr_assert_eq(le16toh(td_used16(&d)[1]), 1);
	td_split_used(&d, 0, &id, &len);
	cr_assert_eq(id, head);
	cr_assert_eq(len, 150);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_EMPTY);
}

Test(virtq, split_push_never_reports_more_than_writable)
{
	uint32_t id, len;

	start(8, false, false, false);
	td_post(&d, 0, 1, 64);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
	virtq_push(&d.vq, &chain, 100000);
	td_split_used(&d, 0, &id, &len);
	cr_assert_eq(len, 64);
}

Test(virtq, split_wraps_around_many_times)
{
	start(4, false, false, false);
	for (unsigned int i = 0; i < 70000; i++) {
		uint32_t id, len;
		uint16_t head = td_post(&d, 1, 0, 32);

		cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN, "round %u", i);
		cr_assert_eq(chain.id, head);
		virtq_push(&d.vq, &chain, 0);
		td_split_used(&d, (uint16_t)i, &id, &len);
		cr_assert_eq(id, head);
	}
	cr_assert_eq(le16toh(td_used16(&d)[1]), (uint16_t)70000);
}

Test(virtq, split_all_power_of_two_sizes)
{
	for (unsigned int size = 2; size <= VIRTQ_MAX_SIZE; size *= 2) {
		td_setup(&d, (uint16_t)size, false, false, false);
		cr_assert_eq(virtq_start(&d.vq), 0, "size %u", size);
		for (unsigned int i = 0; i < size; i++)
			td_post(&d, 1, 0, 16);
		for (unsigned int i = 0; i < size; i++) {
			cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
			virtq_push(&d.vq, &chain, 0);
		}
		cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_EMPTY);
		td_teardown(&d);
	}
	td_setup(&d, 8, false, false, false);
}

Test(virtq, start_rejects_bad_sizes_and_addresses)
{
	td_setup(&d, 6, false, false, false);
	cr_assert_eq(virtq_start(&d.vq), -1, "split needs a power of two");
	d.vq.size = 0;
	cr_assert_eq(virtq_start(&d.vq), -1);
	d.vq.size = 2048;
	cr_assert_eq(virtq_start(&d.vq), -1);
	d.vq.size = 8;
	d.vq.desc_gpa = TD_DESC + 8;
	cr_assert_eq(virtq_start(&d.vq), -1, "misaligned descriptor table");
	d.vq.desc_gpa = TD_RAM_BASE + TD_RAM_SIZE - 64;
	cr_assert_eq(virtq_start(&d.vq), -1, "table runs off the end of RAM");
	d.vq.desc_gpa = 0x1000;
	cr_assert_eq(virtq_start(&d.vq), -1, "below RAM");
	d.vq.desc_gpa = UINT64_MAX - 15;
	cr_assert_eq(virtq_start(&d.vq), -1, "wrapping address");
	d.vq.desc_gpa = TD_DESC;
	d.vq.packed = true;
	d.vq.size = 6;
	cr_assert_eq(virtq_start(&d.vq), 0, "packed may be any size");
}

Test(virtq, split_unpop_returns_the_same_chain)
{
	uint16_t head;

	start(8, false, false, false);
	head = td_post(&d, 0, 1, 64);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
	virtq_unpop(&d.vq, &chain);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
	cr_assert_eq(chain.id, head);
}

Test(virtq, split_no_interrupt_flag_without_event_idx)
{
	start(8, false, false, false);
	td_post(&d, 1, 0, 16);
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);
	td_avail(&d)[0] = htole16(1);	/* VRING_AVAIL_F_NO_INTERRUPT */
	cr_assert_not(virtq_should_interrupt(&d.vq));
	td_post(&d, 1, 0, 16);
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);
	td_avail(&d)[0] = 0;
	cr_assert(virtq_should_interrupt(&d.vq));
	cr_assert_not(virtq_should_interrupt(&d.vq), "nothing new since the last one");
}

Test(virtq, split_event_idx_interrupts_only_when_crossing_used_event)
{
	uint16_t *used_event;

	start(16, false, true, false);
	used_event = &td_avail(&d)[2 + 16];
	for (int i = 0; i < 6; i++)
		td_post(&d, 1, 0, 16);
	/* first completion always signals (no previous signal to compare to) */
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);
	cr_assert(virtq_should_interrupt(&d.vq));
	/* driver wants an interrupt once used idx passes 3 (after entry 3) */
	*used_event = htole16(3);
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);	/* used idx 2 */
	cr_assert_not(virtq_should_interrupt(&d.vq));
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);	/* used idx 3 */
	cr_assert_not(virtq_should_interrupt(&d.vq));
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);	/* used idx 4: entry 3 done */
	cr_assert(virtq_should_interrupt(&d.vq));
}

Test(virtq, split_set_kicks_writes_avail_event_and_rechecks)
{
	uint16_t *avail_event;

	start(8, false, true, false);
	avail_event = (uint16_t *)((uint8_t *)td_used16(&d) + 4 + 8 * 8);
	td_post(&d, 1, 0, 16);
	virtq_pop(&d.vq, &chain);
	cr_assert_not(virtq_set_kicks(&d.vq, true), "nothing new: safe to sleep");
	cr_assert_eq(le16toh(*avail_event), 1);
	td_post(&d, 1, 0, 16);
	cr_assert(virtq_set_kicks(&d.vq, true), "a buffer arrived: don't sleep");
}

/* The driver's side of the event index (virtio 1.2 2.7.10, vring_need_event). */
static bool driver_would_kick(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/*
 * Kicks off with the event index: avail_event behind everything made
 * available, which the driver's test (vring_need_event, virtio 1.2 2.7.10)
 * never asks a kick for, however many it posts; on again: the next entry.
 */
Test(virtq, split_kicks_off_with_event_idx_stops_every_kick)
{
	uint16_t *avail_event, old, event;

	start(8, false, true, false);
	avail_event = (uint16_t *)((uint8_t *)td_used16(&d) + 4 + 8 * 8);
	td_post(&d, 1, 0, 16);
	virtq_pop(&d.vq, &chain);
	cr_assert_not(virtq_set_kicks(&d.vq, true));
	cr_assert_eq(le16toh(*avail_event), 1, "on: kick for the next entry");
	virtq_set_kicks(&d.vq, false);
	event = le16toh(*avail_event);
	/*
	 * The driver's index is 1 now; whatever batch it adds next, no kick,
	 * nor for the one the device already took, checked late (from 0).
	 */
	for (uint16_t added = 1; added < 8; added++) {
		old = 1;
		cr_assert_not(driver_would_kick(event, (uint16_t)(old + added), old),
			      "a batch of %u would kick", added);
		cr_assert_not(driver_would_kick(event, added, 0), "a late check of %u", added);
	}
	td_post(&d, 1, 0, 16);
	cr_assert(virtq_set_kicks(&d.vq, true), "the entry posted while off is found");
	cr_assert_eq(le16toh(*avail_event), 1);
}

Test(virtq, split_no_notify_flag_without_event_idx)
{
	start(8, false, false, false);
	virtq_set_kicks(&d.vq, false);
	cr_assert_eq(le16toh(td_used16(&d)[0]), 1);
	virtq_set_kicks(&d.vq, true);
	cr_assert_eq(le16toh(td_used16(&d)[0]), 0);
}

Test(virtq, split_indirect_chain)
{
	uint64_t b0 = TD_BUFFERS, b1 = TD_BUFFERS + 0x1000;

	start(8, false, false, true);
	td_split_desc(&d, TD_INDIRECT, 0, b0, 12, VIRTQ_DESC_F_NEXT, 1);
	td_split_desc(&d, TD_INDIRECT, 1, b1, 1500, VIRTQ_DESC_F_WRITE, 0);
	td_split_desc(&d, TD_DESC, 0, TD_INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
	td_split_publish(&d, 0);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
	cr_assert_eq(chain.nout, 1);
	cr_assert_eq(chain.nin, 1);
	cr_assert_eq(chain.in_len, 1500);
}

/* Each hostile ring must be refused and latch the queue broken. */
static void expect_broken(void)
{
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_BROKEN);
	cr_assert(d.vq.broken);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_BROKEN, "stays broken until reset");
}

Test(virtq, hostile_split_indirect_not_negotiated)
{
	start(8, false, false, false);
	td_split_desc(&d, TD_INDIRECT, 0, TD_BUFFERS, 12, 0, 0);
	td_split_desc(&d, TD_DESC, 0, TD_INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
	td_split_publish(&d, 0);
	expect_broken();
}

Test(virtq, hostile_split_nested_indirect)
{
	start(8, false, false, true);
	td_split_desc(&d, TD_INDIRECT, 0, TD_INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
	td_split_desc(&d, TD_DESC, 0, TD_INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
	td_split_publish(&d, 0);
	expect_broken();
}

Test(virtq, hostile_split_indirect_with_next_or_bad_length)
{
	start(8, false, false, true);
	td_split_desc(&d, TD_DESC, 0, TD_INDIRECT, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	td_split_publish(&d, 0);
	expect_broken();
	td_teardown(&d);
	start(8, false, false, true);
	td_split_desc(&d, TD_DESC, 0, TD_INDIRECT, 17, VIRTQ_DESC_F_INDIRECT, 0);
	td_split_publish(&d, 0);
	expect_broken();
}

Test(virtq, hostile_split_indirect_loop)
{
	start(8, false, false, true);
	td_split_desc(&d, TD_INDIRECT, 0, TD_BUFFERS, 8, VIRTQ_DESC_F_NEXT, 1);
	td_split_desc(&d, TD_INDIRECT, 1, TD_BUFFERS, 8, VIRTQ_DESC_F_NEXT, 0);
	td_split_desc(&d, TD_DESC, 0, TD_INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
	td_split_publish(&d, 0);
	expect_broken();
}

Test(virtq, hostile_split_buffer_outside_ram)
{
	start(8, false, false, false);
	td_split_desc(&d, TD_DESC, 0, TD_RAM_BASE + TD_RAM_SIZE - 8, 16, 0, 0);
	td_split_publish(&d, 0);
	expect_broken();
}

Test(virtq, hostile_split_length_overflow)
{
	start(8, false, false, false);
	td_split_desc(&d, TD_DESC, 0, UINT64_MAX - 4, 0xffffffff, 0, 0);
	td_split_publish(&d, 0);
	expect_broken();
}

Test(virtq, hostile_split_descriptor_loop)
{
	start(8, false, false, false);
	td_split_desc(&d, TD_DESC, 0, TD_BUFFERS, 8, VIRTQ_DESC_F_NEXT, 1);
	td_split_desc(&d, TD_DESC, 1, TD_BUFFERS, 8, VIRTQ_DESC_F_NEXT, 0);
	td_split_publish(&d, 0);
	expect_broken();
}

Test(virtq, hostile_split_next_out_of_range)
{
	start(8, false, false, false);
	td_split_desc(&d, TD_DESC, 0, TD_BUFFERS, 8, VIRTQ_DESC_F_NEXT, 8);
	td_split_publish(&d, 0);
	expect_broken();
}

Test(virtq, hostile_split_head_out_of_range)
{
	start(8, false, false, false);
	td_split_publish(&d, 9);
	expect_broken();
}

Test(virtq, hostile_split_avail_index_jumps_ahead)
{
	start(8, false, false, false);
	td_post(&d, 1, 0, 8);
	td_avail(&d)[1] = htole16(9);	/* 9 in flight on an 8-entry ring */
	expect_broken();
}

Test(virtq, hostile_split_readable_after_writable)
{
	start(8, false, false, false);
	td_split_desc(&d, TD_DESC, 0, TD_BUFFERS, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	td_split_desc(&d, TD_DESC, 1, TD_BUFFERS, 8, 0, 0);
	td_split_publish(&d, 0);
	expect_broken();
}

Test(virtq, hostile_split_reset_recovers)
{
	start(8, false, false, false);
	td_split_publish(&d, 9);
	expect_broken();
	virtq_reset(&d.vq);
	td_setup(&d, 8, false, false, false);
	cr_assert_eq(virtq_start(&d.vq), 0);
	td_post(&d, 1, 0, 8);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
}

/* ---- packed --------------------------------------------------------------- */

static uint16_t packed_flags_at(uint16_t i)
{
	uint8_t *p = td_ptr(&d, TD_DESC + 16ULL * i);

	return le16toh(*(uint16_t *)(p + 14));
}

Test(virtq, packed_pop_and_push)
{
	uint16_t id;

	start(8, true, false, false);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_EMPTY);
	id = td_post(&d, 1, 1, 64);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
	cr_assert_eq(chain.id, id);
	cr_assert_eq(chain.ndesc, 2);
	cr_assert_eq(chain.nout, 1);
	cr_assert_eq(chain.nin, 1);
	virtq_push(&d.vq, &chain, 10);
	/* used descriptor in slot 0: AVAIL == USED == wrap counter (1), WRITE set */
	cr_assert_eq(packed_flags_at(0) & (PK_AVAIL | PK_USED | VIRTQ_DESC_F_WRITE),
		     PK_AVAIL | PK_USED | VIRTQ_DESC_F_WRITE);
	cr_assert_eq(d.vq.next_used, 2);
}

/* Several chains at once (a merged RX frame): each used, in order, across the wrap. */
Test(virtq, push_n_returns_every_chain_in_order)
{
	struct virtq_chain chains[3];
	uint32_t written[3] = { 100, 200, 0 };

	for (int packed = 0; packed <= 1; packed++) {
		start(4, packed, false, false);
		/* Move the ring on by 3 so the batch crosses the end. */
		for (int i = 0; i < 3; i++) {
			td_post(&d, 0, 1, 64);
			virtq_pop(&d.vq, &chain);
			virtq_push(&d.vq, &chain, 1);
		}
		for (int i = 0; i < 3; i++) {
			td_post(&d, 0, 1, 150);
			cr_assert_eq(virtq_pop(&d.vq, &chains[i]), VIRTQ_GOT_CHAIN);
		}
		virtq_push_n(&d.vq, chains, written, 3);
		if (packed) {
			/* Slots 3, 0, 1: the first two wraps apart, the last two after the wrap. */
			cr_assert_eq(packed_flags_at(3) & (PK_AVAIL | PK_USED), PK_AVAIL | PK_USED);
			cr_assert_eq(packed_flags_at(0) & (PK_AVAIL | PK_USED), 0, "wrap counter 0");
			cr_assert_eq(packed_flags_at(1) & (PK_AVAIL | PK_USED), 0);
			cr_assert_eq(d.vq.next_used, 2);
		} else {
			uint32_t *elem = (uint32_t *)((uint8_t *)td_used16(&d) + 4);

			cr_assert_eq(le16toh(td_used16(&d)[1]), 6);
			cr_assert_eq(le32toh(elem[2 * 3 + 1]), 100);
			cr_assert_eq(le32toh(elem[2 * 0 + 1]), 150, "clamped to what was offered");
			cr_assert_eq(le32toh(elem[2 * 1 + 1]), 0);
			cr_assert_eq(le32toh(elem[2 * 3]), chains[0].id);
			cr_assert_eq(le32toh(elem[2 * 1]), chains[2].id);
		}
		td_teardown(&d);
	}
}

Test(virtq, packed_wraps_with_odd_size_and_chains_across_the_end)
{
	start(5, true, false, false);
	for (unsigned int i = 0; i < 5000; i++) {
		uint16_t id = td_post(&d, 1, 1, 32);	/* 2 slots each: crosses the end */

		cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN, "round %u", i);
		cr_assert_eq(chain.id, id);
		cr_assert_eq(chain.nout + chain.nin, 2);
		virtq_push(&d.vq, &chain, 0);
		cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_EMPTY);
	}
}

Test(virtq, packed_unpop_across_the_wrap)
{
	uint16_t id;

	start(3, true, false, false);
	td_post(&d, 1, 0, 8);
	td_post(&d, 1, 0, 8);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
		virtq_push(&d.vq, &chain, 0);
	}
	id = td_post(&d, 1, 1, 8);	/* slots 2 and 0: wraps */
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
	virtq_unpop(&d.vq, &chain);
	cr_assert_eq(d.vq.next_avail, 2);
	cr_assert(d.vq.avail_wrap);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
	cr_assert_eq(chain.id, id);
}

Test(virtq, packed_indirect_chain)
{
	start(8, true, false, true);
	td_packed_desc(&d, TD_INDIRECT, 0, TD_BUFFERS, 12, 0, 0);
	td_packed_desc(&d, TD_INDIRECT, 1, TD_BUFFERS + 64, 100, 0, VIRTQ_DESC_F_WRITE);
	td_packed_desc(&d, TD_DESC, 0, TD_INDIRECT, 32, 7, VIRTQ_DESC_F_INDIRECT | PK_AVAIL);
	cr_assert_eq(virtq_pop(&d.vq, &chain), VIRTQ_GOT_CHAIN);
	cr_assert_eq(chain.id, 7);
	cr_assert_eq(chain.ndesc, 1);
	cr_assert_eq(chain.nout, 1);
	cr_assert_eq(chain.nin, 1);
}

Test(virtq, packed_event_suppression)
{
	uint16_t *drv;

	start(8, true, true, false);
	drv = td_ptr(&d, TD_DRIVER);
	for (int i = 0; i < 4; i++)
		td_post(&d, 1, 0, 8);
	drv[1] = htole16(1);	/* DISABLE */
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);
	cr_assert_not(virtq_should_interrupt(&d.vq));
	drv[1] = htole16(0);	/* ENABLE */
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);
	cr_assert(virtq_should_interrupt(&d.vq));
	cr_assert_not(virtq_should_interrupt(&d.vq), "nothing new");
	/* DESC: interrupt once slot 3 is used (wrap counter 1) */
	drv[0] = htole16(3 | 0x8000);
	drv[1] = htole16(2);
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);	/* slot 2 used; next_used 3 */
	cr_assert_not(virtq_should_interrupt(&d.vq));
	virtq_pop(&d.vq, &chain);
	virtq_push(&d.vq, &chain, 0);	/* slot 3 used */
	cr_assert(virtq_should_interrupt(&d.vq));
}

Test(virtq, packed_set_kicks_publishes_device_event)
{
	uint16_t *dev;

	start(8, true, true, false);
	dev = td_ptr(&d, TD_DEVICE);
	cr_assert_not(virtq_set_kicks(&d.vq, true));
	cr_assert_eq(le16toh(dev[1]), 2, "DESC mode with event_idx");
	cr_assert_eq(le16toh(dev[0]), 0x8000, "slot 0, wrap 1");
	virtq_set_kicks(&d.vq, false);
	cr_assert_eq(le16toh(dev[1]), 1);
	td_post(&d, 1, 0, 8);
	cr_assert(virtq_set_kicks(&d.vq, true));
}

Test(virtq, hostile_packed_endless_chain)
{
	start(4, true, false, false);
	/* every slot says NEXT: the chain never ends */
	for (uint16_t i = 1; i < 4; i++)
		td_packed_desc(&d, TD_DESC, i, TD_BUFFERS, 8, 0, VIRTQ_DESC_F_NEXT | PK_AVAIL);
	td_packed_desc(&d, TD_DESC, 0, TD_BUFFERS, 8, 0, VIRTQ_DESC_F_NEXT | PK_AVAIL);
	expect_broken();
}

Test(virtq, hostile_packed_buffer_outside_ram)
{
	start(4, true, false, false);
	td_packed_desc(&d, TD_DESC, 0, 0x1000, 8, 0, PK_AVAIL);
	expect_broken();
}

Test(virtq, hostile_packed_nested_indirect)
{
	start(4, true, false, true);
	td_packed_desc(&d, TD_INDIRECT, 0, TD_INDIRECT, 16, 0, VIRTQ_DESC_F_INDIRECT);
	td_packed_desc(&d, TD_DESC, 0, TD_INDIRECT, 16, 0, VIRTQ_DESC_F_INDIRECT | PK_AVAIL);
	expect_broken();
}

Test(virtq, chain_longer_than_iov_limit_is_refused)
{
	/* 300 descriptors in one indirect table exceed VIRTQ_MAX_IOV */
	start(8, false, false, true);
	for (uint16_t i = 0; i < 300; i++)
		td_split_desc(&d, TD_INDIRECT, i, TD_BUFFERS, 4, i + 1 < 300 ? VIRTQ_DESC_F_NEXT : 0,
			      (uint16_t)(i + 1));
	td_split_desc(&d, TD_DESC, 0, TD_INDIRECT, 300 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	td_split_publish(&d, 0);
	expect_broken();
}
