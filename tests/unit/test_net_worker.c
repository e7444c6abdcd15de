// SPDX-License-Identifier: MIT
/*
 * The real Tier 2 worker thread (devices/net/net_user.c), natively, against a
 * simulated guest driver and a SOCK_SEQPACKET socketpair in place of the
 * TAP (one frame per read and write, EAGAIN when full, like a TAP queue).
 * What a hostile or sluggish guest does to it: too few or too small RX
 * buffers, a broken ring, a TAP that is full or gone; and resets in each
 * of the worker's states. Whether the worker sleeps is read from its own
 * counters (epoll wake-ups, waits), not from timing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/virtio_ids.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "devices/net/net_user.h"
#include "devices/virtio/virtio_mmio.h"
#include "net_driver.h"
#include "thread_fixture.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (8ULL << 20)
#define QSIZE 16
#define F(n) (1ULL << (n))
#define HDR 12	/* virtio_net_hdr_v1 */

static struct guest_mem mem;
static struct virtio_net net;
static struct virtio_mmio mmio;	/* the guest reaches net through it */
static struct nd_ring rxr, txr;
static struct net_driver drv;
static int host_fd = -1;	/* the other end of the "TAP" */
static struct net_queue_pair *pair = &net.pairs[0];
static unsigned int worker_poll_us;	/* net.opts.worker_poll_us at start */
static bool worker_batch;		/* net.opts.worker_batch at start */

/* The transport's device hooks, minus virtio_net's backend start-up. */
static int stub_activate(struct virtio_dev *dev) { return 0; }
static void stub_reset(struct virtio_dev *dev) { net_user_stop_pair(pair); }
static const struct virtio_dev_ops stub_ops = { .activate = stub_activate,
						 .reset = stub_reset };

static void init_pair(void)
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	host_fd = sv[1];
	/* A few frames in flight fill it: TX then meets EAGAIN, as from a full TAP. */
	cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){ 4096 }, sizeof(int)), 0);
	pair->net = &net;
	pair->tap_fd = sv[0];
	pair->kick_fd[0] = new_eventfd();
	pair->kick_fd[1] = new_eventfd();
	cr_assert_eq(tvm_worker_open(&pair->worker), 0);
	pair->rx_frame = malloc(NET_RX_FRAME_MAX);
	pair->chains = calloc(NET_RX_MAX_MERGE, sizeof(*pair->chains));
	cr_assert(pair->rx_frame && pair->chains);
	net.tap_gone_fd = new_eventfd();
	net.npairs = 1;
	rxr.kick_fd = pair->kick_fd[0];
	txr.kick_fd = pair->kick_fd[1];
}

/* The worker over virtio-mmio version 2, or version 1 (@legacy: rings by QueuePFN). */
static void start_mode(uint64_t features, bool legacy)
{
	struct tvm_error err;
	uint32_t driver_ok = legacy ? 7 : 15;

	cr_assert_eq(guest_mem_alloc(&mem, RAM_BASE, RAM_SIZE, &err), 0);
	nd_init(&drv, &rxr, &txr, &mmio, &mem, RAM_BASE, RAM_SIZE, QSIZE);
	memset(&net, 0, sizeof(net));
	net.opts.worker_poll_us = worker_poll_us;
	net.opts.worker_batch = worker_batch;
	virtio_dev_init(&net.vdev, VIRTIO_ID_NET, features, 2, QSIZE, &mem, &stub_ops, &net);
	if (legacy)
		virtio_mmio_init_legacy(&mmio, &net.vdev);
	else
		virtio_mmio_init(&mmio, &net.vdev);
	init_pair();
	if (legacy) {
		nd_negotiate_legacy(&drv, (uint32_t)features);
		nd_setup_queue_legacy(&drv, 0, &rxr);
		nd_setup_queue_legacy(&drv, 1, &txr);
	} else {
		cr_assert(nd_negotiate(&drv, features | F(VIRTIO_F_VERSION_1)));
		nd_setup_queue(&drv, 0, &rxr);
		nd_setup_queue(&drv, 1, &txr);
	}
	nd_reg_write(&drv, VIRTIO_MMIO_STATUS, driver_ok);
	cr_assert_eq(nd_reg_read(&drv, VIRTIO_MMIO_STATUS), driver_ok);
	cr_assert_eq(net_user_start_pair(pair), 0);
}

static void start(uint64_t features)
{
	start_mode(features, false);
}

static void start_legacy(uint32_t features)
{
	start_mode(features, true);
	cr_assert_eq(net.vdev.driver_features, features, "no VERSION_1");
}

static void finish(void)
{
	net_user_stop_pair(pair);
	virtio_dev_destroy(&net.vdev);
	close(pair->tap_fd);
	close(host_fd);
	close(pair->kick_fd[0]);
	close(pair->kick_fd[1]);
	tvm_worker_close(&pair->worker);
	close(net.tap_gone_fd);
	free(pair->rx_frame);
	free(pair->chains);
	guest_mem_free(&mem);
}

TestSuite(net_worker, .fini = finish, .timeout = 30);

/*
 * A spinning worker would add thousands of wake-ups in this time; one that
 * sleeps adds none. (The sleep only gives a spinning worker the chance to
 * show itself; what is asserted is the count.)
 */
static void assert_asleep(const char *what)
{
	uint64_t before = counter(&pair->stats.worker_wakeups);

	usleep(200 * 1000);
	cr_assert_eq(counter(&pair->stats.worker_wakeups), before,
		     "%s: the worker woke %llu times with nothing to do", what,
		     (unsigned long long)(counter(&pair->stats.worker_wakeups) - before));
}

/* A frame as the TAP hands it over: a vnet header of @hdr bytes (zeroed) and @len bytes. */
static void host_send_hdr(size_t hdr, size_t len, uint8_t fill)
{
	static uint8_t buf[HDR + 65536];

	memset(buf, 0, hdr);
	memset(buf + hdr, fill, len);
	cr_assert_eq(write(host_fd, buf, hdr + len), (ssize_t)(hdr + len), "%s", strerror(errno));
}

static void host_send(size_t len, uint8_t fill)
{
	host_send_hdr(HDR, len, fill);
}

/*
 * A legacy driver without MRG_RXBUF: 10-byte headers both ways, and no
 * num_buffers written into the frame's first bytes.
 */
Test(net_worker, legacy_driver_moves_frames_with_10_byte_headers)
{
	uint8_t frame[10 + 200], got[10 + 300];
	uint32_t id, len;
	uint64_t buf;

	start_legacy(F(VIRTIO_RING_F_EVENT_IDX));
	buf = nd_post(&drv, &rxr, NULL, 2048, true);
	host_send_hdr(10, 300, 0x5a);
	cr_assert(nd_wait_used(&drv, &rxr, &id, &len));
	cr_assert_eq(len, 10 + 300);
	memcpy(got, nd_gp(&drv, buf), sizeof(got));
	for (size_t i = 10; i < sizeof(got); i++)
		cr_assert_eq(got[i], 0x5a, "byte %zu of the frame", i);
	memset(frame, 0, 10);
	memset(frame + 10, 0xc3, 200);
	nd_post(&drv, &txr, frame, sizeof(frame), false);
	cr_assert(nd_wait_used(&drv, &txr, &id, &len));
	cr_assert_eq(read(host_fd, got, sizeof(got)), (ssize_t)sizeof(frame), "10-byte header + frame");
	cr_assert_eq(got[10], 0xc3);
	cr_assert_eq(counter(&pair->stats.tx_bytes), 200);
	cr_assert_eq(counter(&pair->stats.rx_bytes), 300);
}

/* Legacy with MRG_RXBUF: the 12-byte header, num_buffers filled in. */
Test(net_worker, legacy_driver_with_mrg_rxbuf_gets_num_buffers)
{
	uint32_t id, len, total = 0;
	uint64_t first;
	uint16_t nbufs;

	start_legacy(F(VIRTIO_NET_F_MRG_RXBUF));
	first = nd_post_quiet(&drv, &rxr, NULL, 256, true);
	for (int i = 0; i < 3; i++)
		nd_post_quiet(&drv, &rxr, NULL, 256, true);
	nd_kick(&rxr);
	host_send_hdr(12, 600, 7);	/* 612 bytes: three buffers */
	for (int i = 0; i < 3; i++) {
		cr_assert(nd_wait_used(&drv, &rxr, &id, &len), "buffer %d", i);
		total += len;
	}
	cr_assert_eq(total, 12 + 600);
	memcpy(&nbufs, nd_gp(&drv, first) + 10, 2);
	cr_assert_eq(le16toh(nbufs), 3, "num_buffers");
}

Test(net_worker, rx_with_too_few_buffers_sleeps_then_resumes_on_refill)
{
	uint32_t id, len, total = 0;
	uint64_t first;
	uint16_t nbufs;

	start(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX));
	first = nd_post(&drv, &rxr, NULL, 256, true);
	host_send(3000, 0xab);	/* needs 12 buffers of 256 */
	cr_assert(wait_counter(&pair->stats.rx_waits, 1), "the worker never waited for buffers");
	/* It asked to be kicked for the entry past the one it examined. */
	cr_assert_eq(nd_avail_event(&drv, &rxr), 1);
	assert_asleep("out of RX buffers");
	cr_assert_eq(counter(&pair->stats.rx_packets), 0);
	for (int i = 0; i < 15; i++)
		nd_post(&drv, &rxr, NULL, 256, true);
	for (int i = 0; i < 12; i++) {
		cr_assert(nd_wait_used(&drv, &rxr, &id, &len), "buffer %d never used", i);
		total += len;
	}
	cr_assert_eq(total, HDR + 3000);
	memcpy(&nbufs, nd_gp(&drv, first) + 10, 2);
	cr_assert_eq(le16toh(nbufs), 12, "num_buffers");
	cr_assert_eq(counter(&pair->stats.rx_packets), 1);
	cr_assert_eq(counter(&pair->stats.rx_dropped), 0);
	cr_assert(counter(&pair->stats.interrupts) >= 1);
}

Test(net_worker, rx_without_event_idx_sleeps_too)
{
	uint32_t id, len;

	start(F(VIRTIO_NET_F_MRG_RXBUF));
	nd_post(&drv, &rxr, NULL, 64, true);
	host_send(1000, 1);
	cr_assert(wait_counter(&pair->stats.rx_waits, 1));
	assert_asleep("out of RX buffers, no event index");
	nd_post(&drv, &rxr, NULL, 2048, true);
	cr_assert(nd_wait_used(&drv, &rxr, &id, &len));
	cr_assert(nd_wait_used(&drv, &rxr, &id, &len));
	cr_assert_eq(counter(&pair->stats.rx_packets), 1);
}

Test(net_worker, rx_frame_larger_than_the_whole_ring_is_dropped_not_waited_for)
{
	uint32_t id, len;

	start(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX));
	for (int i = 0; i < QSIZE; i++)
		nd_post_quiet(&drv, &rxr, NULL, 64, true);
	nd_kick(&rxr);
	host_send(4000, 2);	/* 16 x 64 bytes can never hold it */
	for (int i = 0; i < QSIZE; i++) {
		cr_assert(nd_wait_used(&drv, &rxr, &id, &len), "buffer %d not returned", i);
		cr_assert_eq(len, 0);
	}
	cr_assert_eq(counter(&pair->stats.rx_dropped), 1);
	/* The next frame that fits goes through. */
	nd_post(&drv, &rxr, NULL, 2048, true);
	host_send(100, 3);
	cr_assert(nd_wait_used(&drv, &rxr, &id, &len));
	cr_assert_eq(len, HDR + 100);
}

Test(net_worker, rx_broken_ring_stops_serving_and_sleeps)
{
	start(F(VIRTIO_NET_F_MRG_RXBUF));
	/* avail->idx jumps past everything a ring of QSIZE can hold. */
	__atomic_store_n((uint16_t *)nd_gp(&drv, rxr.avail) + 1, htole16(QSIZE + 5),
			 __ATOMIC_RELEASE);
	nd_kick(&rxr);
	host_send(100, 4);
	for (int i = 0; i < 300 && !(virtio_dev_status(&net.vdev) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(10000);
	cr_assert(virtio_dev_status(&net.vdev) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* More frames on a TAP it no longer reads must not wake it. */
	host_send(100, 5);
	host_send(100, 6);
	assert_asleep("broken ring with a readable TAP");
}

static unsigned int host_drain(void)
{
	uint8_t buf[2048];
	unsigned int n = 0;

	while (read(host_fd, buf, sizeof(buf)) > 0)
		n++;
	return n;
}

Test(net_worker, tx_into_a_full_tap_waits_and_drops_nothing)
{
	uint8_t frame[HDR + 1000];
	unsigned int got = 0;
	uint32_t id, len;

	start(0);
	memset(frame, 0, sizeof(frame));
	/* More than the peer's queue holds before writes fail with EAGAIN. */
	for (int i = 0; i < QSIZE; i++) {
		frame[HDR] = (uint8_t)i;
		nd_post_quiet(&drv, &txr, frame, sizeof(frame), false);
	}
	nd_kick(&txr);
	cr_assert(wait_counter(&pair->stats.tx_waits, 1), "TX never met a full TAP");
	/*
	 * A worker that started after the frames were posted served them before
	 * the kick came; that kick then wakes it once more. Once counted, nothing
	 * is left to wake it.
	 */
	cr_assert(wait_counter(&pair->stats.tx_kicks, 1), "the kick never reached the worker");
	assert_asleep("TAP full");
	cr_assert_lt(nd_used_idx(&drv, &txr), QSIZE, "frames completed that the TAP refused");
	for (int round = 0; round < 100 && got < QSIZE; round++) {
		got += host_drain();
		usleep(10000);
	}
	cr_assert_eq(got, QSIZE, "frames through the TAP");
	for (int i = 0; i < QSIZE; i++)
		cr_assert(nd_wait_used(&drv, &txr, &id, &len));
	cr_assert_eq(counter(&pair->stats.tx_packets), QSIZE);
	cr_assert_eq(counter(&pair->stats.tx_dropped), 0);
}

Test(net_worker, tap_gone_is_reported_to_the_main_loop_and_not_polled)
{
	struct pollfd p;

	start(F(VIRTIO_NET_F_MRG_RXBUF));
	nd_post(&drv, &rxr, NULL, 2048, true);
	close(host_fd);	/* the TAP vanished: EOF / EPOLLHUP */
	host_fd = -1;
	p = (struct pollfd){ .fd = net.tap_gone_fd, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 3000), 1, "no TAP-gone notice for the main loop");
	cr_assert_eq(net.vdev.config_generation, 0, "the worker took the device lock itself");
	assert_asleep("TAP gone");
}

/* --- resets in each of the worker's states --------------------------------- */

static void reset_device(void)
{
	nd_reg_write(&drv, VIRTIO_MMIO_STATUS, 0);	/* joins the worker */
	cr_assert_not(pair->worker.running, "reset returned with the worker running");
	cr_assert_eq(nd_reg_read(&drv, VIRTIO_MMIO_STATUS), 0);
}

Test(net_worker, reset_while_idle)
{
	start(F(VIRTIO_NET_F_MRG_RXBUF));
	reset_device();
}

Test(net_worker, reset_while_waiting_for_rx_buffers_returns)
{
	start(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX));
	nd_post(&drv, &rxr, NULL, 128, true);
	for (int i = 0; i < 8; i++)
		host_send(9000, 7);	/* the reproduced case: jumbo frames, ring starved */
	cr_assert(wait_counter(&pair->stats.rx_waits, 1));
	reset_device();
}

Test(net_worker, reset_while_tx_waits_for_the_tap_returns)
{
	uint8_t frame[HDR + 500] = { 0 };

	start(0);
	for (int i = 0; i < QSIZE; i++)
		nd_post_quiet(&drv, &txr, frame, sizeof(frame), false);
	nd_kick(&txr);
	cr_assert(wait_counter(&pair->stats.tx_waits, 1));
	reset_device();
}

Test(net_worker, reset_while_busy_with_traffic_returns)
{
	start(F(VIRTIO_NET_F_MRG_RXBUF));
	for (int i = 0; i < QSIZE; i++)
		nd_post_quiet(&drv, &rxr, NULL, 2048, true);
	nd_kick(&rxr);
	for (int i = 0; i < 10; i++)
		host_send(1400, 8);
	reset_device();
}

Test(net_worker, reset_after_the_ring_broke_clears_needs_reset)
{
	start(0);
	__atomic_store_n((uint16_t *)nd_gp(&drv, txr.avail) + 1, htole16(QSIZE * 3),
			 __ATOMIC_RELEASE);
	nd_kick(&txr);
	for (int i = 0; i < 300 && !(virtio_dev_status(&net.vdev) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(10000);
	cr_assert(virtio_dev_status(&net.vdev) & VIRTIO_CONFIG_S_NEEDS_RESET);
	reset_device();
	cr_assert_not(virtio_dev_status(&net.vdev) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * A burst waiting for one wake-up: TX frames the guest queued without a
 * kick and RX frames the TAP holds are all served in the pass the single
 * RX kick starts, under one interrupt, and TX kicks are asked for again
 * only past the last frame served. Set up so that nothing can wake the
 * worker before that kick: it first stops polling the TAP (no RX buffers).
 */
Test(net_worker, burst_of_tx_and_rx_takes_one_pass_and_one_interrupt)
{
	uint8_t frame[HDR + 200];
	uint64_t irqs, wakeups;
	uint32_t id, len;
	const unsigned int ntx = 6, nrx = 4;

	start(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX));
	host_send(500, 1);
	cr_assert(wait_counter(&pair->stats.rx_waits, 1), "the worker never waited for buffers");
	assert_asleep("out of RX buffers");
	for (unsigned int i = 1; i < nrx; i++)
		host_send(500, (uint8_t)(1 + i));	/* not polled: no wake-up */
	memset(frame, 0, sizeof(frame));
	for (unsigned int i = 0; i < ntx; i++)
		nd_post_quiet(&drv, &txr, frame, sizeof(frame), false);
	for (unsigned int i = 0; i < nrx; i++)
		nd_post_quiet(&drv, &rxr, NULL, 2048, true);
	assert_asleep("buffers posted without a kick");
	irqs = counter(&pair->stats.interrupts);
	wakeups = counter(&pair->stats.worker_wakeups);
	nd_kick(&rxr);
	for (unsigned int i = 0; i < nrx; i++)
		cr_assert(nd_wait_used(&drv, &rxr, &id, &len), "RX frame %d not delivered", i);
	for (unsigned int i = 0; i < ntx; i++)
		cr_assert(nd_wait_used(&drv, &txr, &id, &len), "TX frame %d not sent", i);
	assert_asleep("burst served");
	cr_assert_eq(counter(&pair->stats.worker_wakeups), wakeups + 1, "one pass for the burst");
	cr_assert_eq(counter(&pair->stats.interrupts), irqs + 1, "one interrupt for both rings");
	cr_assert_eq(counter(&pair->stats.tx_kicks), 0);
	cr_assert_eq(counter(&pair->stats.rx_packets), nrx);
	cr_assert_eq(counter(&pair->stats.tx_packets), ntx);
	/* The next TX frame, and only it, is to kick. */
	cr_assert_eq(nd_avail_event(&drv, &txr), ntx);
}

/*
 * A guest that keeps TX busy: each completion makes it post more at once,
 * kicking only when avail_event asks (as Linux does). The worker's
 * end-of-pass re-check serves what it finds, but a bounded number of rounds
 * per pass, so a reset still gets through to it and returns.
 */
static bool feeding;

static void *feed_tx(void *arg)
{
	static uint8_t frame[HDR + 64];

	while (__atomic_load_n(&feeding, __ATOMIC_ACQUIRE)) {
		uint16_t old = txr.avail_idx, event;

		/* Keep half the ring in flight. */
		while ((uint16_t)(txr.avail_idx - nd_used_idx(&drv, &txr)) < QSIZE / 2)
			nd_post_quiet(&drv, &txr, frame, sizeof(frame), false);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* idx out before avail_event is read */
		event = nd_avail_event(&drv, &txr);
		if ((uint16_t)(txr.avail_idx - event - 1) < (uint16_t)(txr.avail_idx - old))
			nd_kick(&txr);
		host_drain();
	}
	return arg;
}

Test(net_worker, tx_that_never_empties_still_lets_a_reset_through)
{
	pthread_t t;

	start(F(VIRTIO_RING_F_EVENT_IDX));
	__atomic_store_n(&feeding, true, __ATOMIC_RELEASE);
	cr_assert_eq(pthread_create(&t, NULL, feed_tx, NULL), 0);
	cr_assert(wait_counter(&pair->stats.tx_packets, 500), "the worker stopped serving TX");
	reset_device();
	__atomic_store_n(&feeding, false, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
}

/*
 * A TX chain the TAP refuses for as long as it is offered: it is offered
 * NET_TX_TRIES times, then given back to the guest, dropped and counted,
 * and the worker sleeps. (Before: ENOBUFS was taken for a full TAP, the
 * worker waited for an EPOLLOUT that tun reports at once, and offered the
 * same chain again without end.)
 */
static void tap_keeps_refusing(const char *fault)
{
	uint8_t frame[HDR + 100];
	uint32_t id, len;

	cr_assert_eq(setenv("TINYVMM_FAULT", fault, 1), 0);
	start(0);
	memset(frame, 0, sizeof(frame));
	nd_post(&drv, &txr, frame, sizeof(frame), false);
	cr_assert(nd_wait_used(&drv, &txr, &id, &len), "%s: the TX chain never came back", fault);
	cr_assert_eq(counter(&pair->stats.tx_refused), 1);
	cr_assert_eq(counter(&pair->stats.tx_dropped), 1);
	cr_assert_eq(counter(&pair->stats.tx_packets), 0);
	cr_assert_eq(counter(&pair->stats.tx_waits), NET_TX_TRIES - 1,
		     "%s: offered %llu times", fault,
		     (unsigned long long)counter(&pair->stats.tx_waits) + 1);
	assert_asleep(fault);
	cr_assert_not(virtio_dev_status(&net.vdev) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

Test(net_worker, tx_enobufs_is_retried_a_bounded_number_of_times_then_dropped)
{
	tap_keeps_refusing("tap-tx-enobufs:1+");
}

/* A TAP that says it has room (EPOLLOUT) and still refuses: the same bound. */
Test(net_worker, tx_eagain_despite_room_is_retried_a_bounded_number_of_times)
{
	tap_keeps_refusing("tap-tx-eagain:1+");
}

/* An ENOBUFS that passes: the chain goes out on a later try, nothing dropped. */
Test(net_worker, tx_enobufs_that_passes_loses_nothing)
{
	uint8_t frame[HDR + 100], got[sizeof(frame)];
	uint32_t id, len;

	cr_assert_eq(setenv("TINYVMM_FAULT", "tap-tx-enobufs:1", 1), 0);
	start(0);
	memset(frame, 0x5a, sizeof(frame));
	nd_post(&drv, &txr, frame, sizeof(frame), false);
	cr_assert(nd_wait_used(&drv, &txr, &id, &len));
	cr_assert_eq(read(host_fd, got, sizeof(got)), (ssize_t)sizeof(frame));
	cr_assert_eq(counter(&pair->stats.tx_packets), 1);
	cr_assert_eq(counter(&pair->stats.tx_dropped), 0);
	cr_assert_eq(counter(&pair->stats.tx_waits), 1);
}

/*
 * Longer than any TAP takes: dropped unsent and counted, and the frame
 * after it goes out as usual.
 */
Test(net_worker, tx_frame_longer_than_any_tap_takes_is_dropped_and_counted)
{
	uint8_t frame[HDR + 100], got[sizeof(frame)];
	uint32_t id, len;

	start(0);
	memset(frame, 0, sizeof(frame));
	nd_post(&drv, &txr, NULL, NET_TX_FRAME_MAX + 1, false);
	nd_post(&drv, &txr, frame, sizeof(frame), false);
	cr_assert(nd_wait_used(&drv, &txr, &id, &len) && nd_wait_used(&drv, &txr, &id, &len));
	cr_assert_eq(counter(&pair->stats.tx_oversize), 1);
	cr_assert_eq(counter(&pair->stats.tx_dropped), 1);
	cr_assert_eq(counter(&pair->stats.tx_packets), 1);
	cr_assert_eq(read(host_fd, got, sizeof(got)), (ssize_t)sizeof(frame), "only the second frame");
	assert_asleep("after an oversize frame");
}

/*
 * --worker-poll-us. A guest that sends one frame at a time, the next as soon
 * as the last is used (request/response), kicking only when the ring asks
 * (the event index, or NO_NOTIFY without it). The worker polls for its
 * next frame with kicks off, so frames are served without kicks; a poll
 * that misses turns kicks back on before the worker sleeps, or a frame
 * posted then would never be served (the loop below would stop).
 */
static bool driver_should_kick(bool event_idx, uint16_t old_idx)
{
	uint16_t flags;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* idx out before the request is read */
	if (event_idx)
		return nd_avail_event(&drv, &txr) == old_idx;	/* one entry added */
	flags = le16toh(__atomic_load_n((uint16_t *)nd_gp(&drv, txr.used), __ATOMIC_ACQUIRE));
	return !(flags & VRING_USED_F_NO_NOTIFY);
}

/* Wait (up to 3 s) for the frame's completion without sleeping: a guest spinning on used. */
static bool spin_for_used(uint16_t want)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0;; i++) {
		if (nd_used_idx(&drv, &txr) == want)
			return true;
		if (i % 64)
			continue;
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 3)
			return false;
	}
}

/* Returns the kicks the guest sent. */
static uint64_t ping_pong_tx(bool event_idx, unsigned int frames, unsigned int poll_us)
{
	static uint8_t frame[HDR + 64];
	uint64_t kicks = 0;

	worker_poll_us = poll_us;
	start(F(VIRTIO_NET_F_MRG_RXBUF) | (event_idx ? F(VIRTIO_RING_F_EVENT_IDX) : 0));
	/* Endless polls: the worker's first one has turned kicks off. */
	for (int i = 0; poll_us == NET_POLL_ENDLESS_US && driver_should_kick(event_idx, 0); i++) {
		cr_assert_lt(i, 3000, "the worker never started polling");
		usleep(1000);
	}
	for (unsigned int i = 0; i < frames; i++) {
		uint16_t old = txr.avail_idx;

		nd_post_quiet(&drv, &txr, frame, sizeof(frame), false);
		if (driver_should_kick(event_idx, old)) {
			nd_kick(&txr);
			kicks++;
		}
		cr_assert(spin_for_used((uint16_t)(old + 1)), "frame %u never served (%llu kicks)",
			  i, (unsigned long long)kicks);
		cr_assert_eq(host_drain(), 1, "frame %u", i);
	}
	cr_assert_eq(counter(&pair->stats.tx_packets), frames);
	/* The eventfd adds up kicks the worker has not drained yet: it counts one. */
	cr_assert_leq(counter(&pair->stats.tx_kicks), kicks);
	cr_log_info("%u frames: %llu kicks, %llu polls found, %llu missed", frames,
		    (unsigned long long)kicks, (unsigned long long)counter(&pair->stats.polls_found),
		    (unsigned long long)counter(&pair->stats.polls_missed));
	return kicks;
}

/* The worker thread's policy, read from outside it. */
static int worker_policy(void)
{
	struct sched_param param;
	int policy;

	cr_assert_eq(pthread_getschedparam(pair->worker.thread, &policy, &param), 0);
	return policy;
}

/*
 * --worker-sched batch: the worker makes itself SCHED_BATCH as it starts
 * (not the thread that started it: vCPUs stay as they are) and serves as
 * before; without it the worker keeps the policy it inherited.
 */
Test(net_worker, worker_sched_batch_makes_the_worker_batch_and_it_serves)
{
	int inherited = sched_getscheduler(0);

	if (inherited == SCHED_BATCH)
		cr_skip_test("the test runs as SCHED_BATCH already: nothing to tell apart");
	worker_batch = true;
	ping_pong_tx(true, 50, 0);
	cr_assert_eq(worker_policy(), SCHED_BATCH);
	cr_assert_eq(sched_getscheduler(0), inherited, "the starting thread changed");
	cr_assert_not(__atomic_load_n(&net.user_batch_refused, __ATOMIC_RELAXED));
	cr_assert(virtio_net_workers_batch(&net));
}

/*
 * The report's worker_sched speaks for the workers serving the rings: the
 * backend chosen at start-up until the first DRIVER_OK, then the active one
 * (after a fall-back from vhost-net, Tier 2's).
 */
Test(net_worker_sched, reported_for_the_workers_serving_the_rings)
{
	struct virtio_net n = { .opts.worker_batch = true, .backend = NET_BACKEND_VHOST,
				.vhost_batch_refused = true };

	cr_assert_not(virtio_net_workers_batch(&n), "vhost refused, no DRIVER_OK yet");
	n.activations = 1;
	n.active_backend = NET_BACKEND_USERSPACE;
	cr_assert(virtio_net_workers_batch(&n), "fell back to Tier 2, whose workers took it");
	__atomic_store_n(&n.user_batch_refused, true, __ATOMIC_RELAXED);
	cr_assert_not(virtio_net_workers_batch(&n));
	n.active_backend = NET_BACKEND_VHOST;
	n.vhost_batch_refused = false;
	cr_assert(virtio_net_workers_batch(&n));
	n.opts.worker_batch = false;
	cr_assert_not(virtio_net_workers_batch(&n), "not asked");
}

Test(net_worker, worker_sched_normal_leaves_the_worker_as_it_was)
{
	int inherited = sched_getscheduler(0);

	ping_pong_tx(true, 50, 0);
	cr_assert_eq(worker_policy(), inherited);
	cr_assert_not(virtio_net_workers_batch(&net));
}

/*
 * Whatever the timing: each poll that runs out turns kicks back on and
 * re-checks before sleeping, so no frame waits for a kick never sent.
 */
Test(net_worker, polling_loses_no_frame_event_idx)
{
	ping_pong_tx(true, 2000, 1000);
}

Test(net_worker, polling_loses_no_frame_no_event_idx)
{
	ping_pong_tx(false, 2000, 1000);
}

/*
 * Polls that never run out (NET_POLL_ENDLESS_US): every frame is found by
 * one (or by the pass before it, when the guest is quick), none kicks.
 */
static void ping_pong_polled(bool event_idx)
{
	cr_assert_eq(ping_pong_tx(event_idx, 500, NET_POLL_ENDLESS_US), 0,
		     "kicks stay off while the worker polls");
	cr_assert_eq(counter(&pair->stats.tx_kicks), 0);
	cr_assert_geq(counter(&pair->stats.polls_found), 1);
	cr_assert_leq(counter(&pair->stats.polls_found), 500, "no poll without a frame");
	cr_assert_eq(counter(&pair->stats.polls_missed), 0);
}

Test(net_worker, polling_serves_frames_without_kicks_event_idx)
{
	ping_pong_polled(true);
}

Test(net_worker, polling_serves_frames_without_kicks_no_event_idx)
{
	ping_pong_polled(false);
}

/*
 * Idle after traffic: the last poll runs out and turns kicks back on (the
 * next frame's kick is asked for), and the worker sleeps: no poll without a
 * wake-up. (The window's shrinking is test_net_poll's.)
 */
Test(net_worker, polling_stops_when_the_guest_goes_idle)
{
	uint64_t polls;

	ping_pong_tx(true, 200, 1000);
	for (int i = 0; nd_avail_event(&drv, &txr) != txr.avail_idx; i++) {
		cr_assert_lt(i, 3000, "kicks never turned back on");
		usleep(1000);
	}
	polls = counter(&pair->stats.polls_found) + counter(&pair->stats.polls_missed);
	assert_asleep("idle with --worker-poll-us");
	cr_assert_eq(counter(&pair->stats.polls_found) + counter(&pair->stats.polls_missed), polls,
		     "the worker polled with nothing to wake it");
}

Test(net_worker, no_polling_unless_asked)
{
	uint8_t frame[HDR + 64] = { 0 };
	uint32_t id, len;

	start(F(VIRTIO_RING_F_EVENT_IDX));
	for (int i = 0; i < 50; i++) {
		nd_post(&drv, &txr, frame, sizeof(frame), false);
		cr_assert(nd_wait_used(&drv, &txr, &id, &len));
		host_drain();
	}
	cr_assert_eq(counter(&pair->stats.polls_found) + counter(&pair->stats.polls_missed), 0);
	cr_assert_eq(counter(&pair->stats.tx_kicks) > 0, true);
}

/*
 * The worker on one CPU, this thread on another, when there are two: the
 * guest then watches the used ring while the worker fills it, rather than
 * the worker finishing a frame before this thread runs again.
 */
static void pin_apart(pthread_t worker)
{
	cpu_set_t set;
	int first = -1, second = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int c = 0; c < CPU_SETSIZE && second < 0; c++)
		if (CPU_ISSET(c, &set)) {
			if (first < 0)
				first = c;
			else
				second = c;
		}
	if (second < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(second, &set);
	pthread_setaffinity_np(worker, sizeof(set), &set);
	CPU_ZERO(&set);
	CPU_SET(first, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* 3 s from the last call with @restart set. */
static bool deadline_passed(bool restart)
{
	static struct timespec t0;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (restart)
		t0 = t;
	return t.tv_sec - t0.tv_sec > 3;
}

/*
 * A merged RX frame is handed over whole: the guest reads num_buffers from
 * the first buffer and takes the rest at once (Linux's receive_mergeable()
 * drops the frame, "rx error: buffers missing", when one is not used yet).
 * This guest spins on the used index while the worker delivers 12-buffer
 * frames, so it would catch a frame whose buffers arrive one by one.
 */
Test(net_worker, merged_rx_frame_is_never_seen_in_part)
{
	const unsigned int frames = 300, per_frame = 12;	/* 3000 bytes in 256-byte buffers */

	start(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX));
	pin_apart(pair->worker.thread);
	for (unsigned int i = 0; i < QSIZE; i++)
		nd_post(&drv, &rxr, NULL, 256, true);
	for (unsigned int f = 0; f < frames; f++) {
		uint16_t seen, nbufs, head;
		uint64_t addr;

		host_send(3000, (uint8_t)f);
		for (long spins = 0; (seen = nd_used_idx(&drv, &rxr)) == rxr.used_seen; spins++)
			cr_assert(spins % 4096 || !deadline_passed(spins == 0),
				  "frame %u never delivered", f);
		head = (uint16_t)le32toh(((uint32_t *)nd_gp(&drv, rxr.used + 4))[2 * (rxr.used_seen % QSIZE)]);
		memcpy(&addr, nd_gp(&drv, rxr.desc + 16ULL * head), 8);
		memcpy(&nbufs, nd_gp(&drv, le64toh(addr)) + 10, 2);
		cr_assert_eq(le16toh(nbufs), per_frame, "frame %u: num_buffers", f);
		cr_assert_geq((uint16_t)(seen - rxr.used_seen), per_frame,
			      "frame %u: the guest saw %u of its %u buffers used", f,
			      (unsigned int)(uint16_t)(seen - rxr.used_seen), per_frame);
		rxr.used_seen = (uint16_t)(rxr.used_seen + per_frame);
		for (unsigned int i = 0; i < per_frame; i++)
			nd_post(&drv, &rxr, NULL, 256, true);
	}
	cr_assert_eq(counter(&pair->stats.rx_packets), frames);
	cr_assert_eq(counter(&pair->stats.rx_dropped), 0);
}

/*
 * A worker stopped in the middle of a poll leaves TX kicks off; the next
 * one, on the same rings (no driver reset in between), turns them back on,
 * or a guest that only sends when asked would never be served again.
 */
Test(net_worker, restart_after_a_stop_mid_poll_turns_kicks_back_on)
{
	static uint8_t frame[HDR + 64];
	uint16_t old;

	ping_pong_tx(true, 10, NET_POLL_ENDLESS_US);
	cr_assert_not(driver_should_kick(true, txr.avail_idx), "polling: kicks off");
	net_user_stop_pair(pair);
	net.opts.worker_poll_us = 0;
	cr_assert_eq(net_user_start_pair(pair), 0);
	for (int i = 0; !driver_should_kick(true, txr.avail_idx); i++) {
		cr_assert_lt(i, 3000, "kicks still off after the restart");
		usleep(1000);
	}
	old = txr.avail_idx;
	nd_post_quiet(&drv, &txr, frame, sizeof(frame), false);
	nd_kick(&txr);
	cr_assert(spin_for_used((uint16_t)(old + 1)), "the frame after the restart was never sent");
}
