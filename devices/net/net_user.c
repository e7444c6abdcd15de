// SPDX-License-Identifier: MIT
/*
 * Tier 2: tinyvmm's own virtio-net data path. One thread per queue pair
 * sleeps in epoll on the guest's kicks (KVM ioeventfds) and the TAP, moves
 * frames, and interrupts the guest only when the ring's notification
 * suppression asks for it. TX goes guest buffers -> TAP with writev (no copy);
 * RX reads one frame from the TAP and copies it into as many guest buffers
 * as it needs (mergeable RX buffers).
 */
#include <endian.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "devices/net/net_user.h"
#include "lib/dev_lock.h"
#include "lib/fault.h"
#include "vhost/tap.h"

#define NET_IRQ_TX 1	/* irq_pending bits: which rings asked this pass */
#define NET_IRQ_RX 2
#define NET_BATCH 256	/* frames per direction before looking at the other */

enum worker_event { EV_RX_KICK, EV_TX_KICK, EV_TAP, EV_STOP };

static struct virtq *rxq(struct net_queue_pair *pair)
{
	return &pair->net->vdev.queues[2 * pair->index];
}

static struct virtq *txq(struct net_queue_pair *pair)
{
	return &pair->net->vdev.queues[2 * pair->index + 1];
}

/* The negotiated vnet header: 10 bytes for a legacy driver without MRG_RXBUF, else 12. */
static size_t hdr_len(const struct net_queue_pair *pair)
{
	return virtio_net_hdr_len(pair->net->vdev.driver_features);
}

/* Counters are read by other threads (reports, tests) while the worker runs. */
static void stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

void net_pair_stats_read(const struct net_queue_pair *pair, struct net_pair_stats *out)
{
	const uint64_t *src = (const uint64_t *)&pair->stats;
	uint64_t *dst = (uint64_t *)out;

	/* The struct is counters only, each updated with stat_add(). */
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/*
 * One interrupt call for both rings of a pass: on a one-line transport
 * (virtio-mmio: Linux's vm_interrupt() scans every virtqueue on each
 * interrupt) TX completions and RX frames found in one pass need one edge,
 * not two; a transport with a vector per queue sends one per ring.
 */
static void interrupt_if_pending(struct net_queue_pair *pair)
{
	uint64_t queues = 0;

	if (!pair->irq_pending)
		return;
	if (pair->irq_pending == (NET_IRQ_TX | NET_IRQ_RX))
		stat_add(&pair->stats.interrupts_saved, 1);
	if (pair->irq_pending & NET_IRQ_RX)
		queues |= 1ULL << (2 * pair->index);
	if (pair->irq_pending & NET_IRQ_TX)
		queues |= 1ULL << (2 * pair->index + 1);
	pair->irq_pending = 0;
	stat_add(&pair->stats.interrupts, 1);
	virtio_dev_interrupt(&pair->net->vdev, queues);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* writev() on the TAP; test builds can make it answer as a TAP in trouble. */
static ssize_t tap_writev(int fd, const struct iovec *iov, unsigned int n)
{
	if (fault_inject("tap-tx-enobufs")) {
		errno = ENOBUFS;
		return -1;
	}
	if (fault_inject("tap-tx-eagain")) {
		errno = EAGAIN;
		return -1;
	}
	return writev(fd, iov, (int)n);
}

/* Give the chain back to the guest unsent, counted in tx_dropped and @why. */
static void drop_chain(struct net_queue_pair *pair, struct virtq *vq,
		       struct virtq_chain *chain, uint64_t *why)
{
	stat_add(&pair->stats.tx_dropped, 1);
	if (why)
		stat_add(why, 1);
	pair->tx_tries = 0;
	virtq_push(vq, chain, 0);
}

/*
 * The TAP refused the chain for now. Full (EAGAIN): wait for EPOLLOUT, so
 * back-pressure reaches the guest instead of frames being dropped. Out of
 * memory (ENOBUFS): EPOLLOUT says nothing then (tun reports it at once), so
 * wait 1, 2, 4... ms instead. Either way, at most NET_TX_TRIES times for one
 * chain, then it is dropped: the worker never retries the same chain
 * without a bound. Returns false when the chain waits (unpopped).
 */
static bool tap_refused(struct net_queue_pair *pair, struct virtq *vq,
			struct virtq_chain *chain, int err)
{
	if (++pair->tx_tries >= NET_TX_TRIES) {
		drop_chain(pair, vq, chain, &pair->stats.tx_refused);
		return true;
	}
	virtq_unpop(vq, chain);
	pair->tx_retry_ns = err == ENOBUFS ? now_ns() + (1000000ULL << (pair->tx_tries - 1)) : 0;
	return false;
}

/*
 * Send one TX chain. Returns false when the TAP refused it for now: the
 * chain then stays with the device and TX waits (tap_refused()).
 */
static bool send_chain(struct net_queue_pair *pair, struct virtq *vq, struct virtq_chain *chain)
{
	ssize_t w;

	/* A TX chain is a vnet header and a frame, all device-readable. */
	if (chain->nin || chain->out_len < hdr_len(pair)) {
		drop_chain(pair, vq, chain, NULL);
		return true;
	}
	if (chain->out_len > NET_TX_FRAME_MAX) {
		drop_chain(pair, vq, chain, &pair->stats.tx_oversize);
		return true;
	}
	w = tap_writev(pair->tap_fd, chain->iov, chain->nout);
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
		return tap_refused(pair, vq, chain, errno);
	if (w < 0) {
		drop_chain(pair, vq, chain, NULL);
		return true;
	}
	stat_add(&pair->stats.tx_packets, 1);
	stat_add(&pair->stats.tx_bytes, chain->out_len - hdr_len(pair));
	pair->tx_tries = 0;
	virtq_push(vq, chain, 0);
	return true;
}

/*
 * Will the worker poll before it next sleeps (--worker-poll-us)? Then the
 * poll, not the end of the pass, turns TX kicks back on.
 */
static bool poll_due(const struct net_queue_pair *pair)
{
	return net_poll_window(&pair->poll) != 0;
}

/* Returns -1 if the guest broke the ring, 1 if it stopped at the batch limit. */
static int process_tx(struct net_queue_pair *pair)
{
	struct virtq *vq = txq(pair);
	struct virtq_chain *chain = &pair->chains[0];
	unsigned int n = 0;
	enum virtq_pop_result r = VIRTQ_EMPTY;

	if (pair->tx_blocked)
		return 0;	/* the TAP's EPOLLOUT resumes us */
	do {
		while (n < NET_BATCH && (r = virtq_pop(vq, chain)) == VIRTQ_GOT_CHAIN) {
			if (!send_chain(pair, vq, chain)) {
				pair->tx_blocked = true;
				stat_add(&pair->stats.tx_waits, 1);
				goto out;
			}
			n++;
		}
		if (r == VIRTQ_BROKEN)
			return -1;
		if (n >= NET_BATCH)
			break;	/* more later: the kick fd stays unread-safe */
	} while (!poll_due(pair) && virtq_set_kicks(vq, true));
out:
	if (virtq_should_interrupt(vq))
		pair->irq_pending |= NET_IRQ_TX;
	return n >= NET_BATCH ? 1 : 0;
}

static void copy_to_chain(const struct virtq_chain *chain, const uint8_t *src, size_t len)
{
	for (unsigned int i = chain->nout; i < chain->nout + chain->nin && len; i++) {
		size_t n = chain->iov[i].iov_len < len ? chain->iov[i].iov_len : len;

		memcpy(chain->iov[i].iov_base, src, n);
		src += n;
		len -= n;
	}
}

static void unpop_all(struct virtq *vq, struct virtq_chain *chains, unsigned int n)
{
	while (n--)
		virtq_unpop(vq, &chains[n]);
}

/*
 * Pop the buffers the pending frame needs into pair->chains. Returns how
 * many (@covered bytes: the frame may still not fit, and is then dropped
 * by the caller), 0 when the driver has not posted enough yet (nothing
 * kept), -1 when it broke the ring.
 */
static int pop_rx_buffers(struct net_queue_pair *pair, struct virtq *vq, unsigned int max,
			  size_t *covered)
{
	unsigned int n = 0;

	*covered = 0;
	while (*covered < pair->rx_frame_len && n < max) {
		enum virtq_pop_result r = virtq_pop(vq, &pair->chains[n]);

		if (r == VIRTQ_BROKEN) {
			unpop_all(vq, pair->chains, n);
			return -1;
		}
		if (r == VIRTQ_EMPTY) {
			/* The whole ring is ours and still too small: no more can come. */
			if (n && virtq_slots_held(pair->chains, n) >= vq->size)
				break;
			unpop_all(vq, pair->chains, n);
			return 0;
		}
		*covered += pair->chains[n++].in_len;
	}
	return (int)n;
}

/*
 * Deliver the pending frame. Returns 1 when delivered (or dropped), 0 when
 * the guest has not posted enough buffers, -1 when it broke the ring.
 */
static int deliver_frame(struct net_queue_pair *pair)
{
	struct virtq *vq = rxq(pair);
	bool mergeable = virtio_has_feature(pair->net->vdev.driver_features,
					    VIRTIO_NET_F_MRG_RXBUF);
	size_t len = pair->rx_frame_len, hdr = hdr_len(pair), covered = 0, off = 0;
	int got = pop_rx_buffers(pair, vq, mergeable ? NET_RX_MAX_MERGE : 1, &covered);
	static const uint32_t nothing_written[NET_RX_MAX_MERGE];
	uint32_t written[NET_RX_MAX_MERGE];
	unsigned int n;
	uint16_t num_buffers;

	if (got <= 0)
		return got;
	n = (unsigned int)got;
	/* Too small (driver bug or frame beyond what it posted): drop it. */
	if (covered < len || pair->chains[0].in_len < hdr) {
		virtq_push_n(vq, pair->chains, nothing_written, n);
		stat_add(&pair->stats.rx_dropped, 1);
		return 1;
	}
	/* The TAP left num_buffers alone; it is ours to fill (none in a 10-byte header). */
	num_buffers = htole16((uint16_t)n);
	if (hdr == VNET_HDR_SIZE)
		memcpy(pair->rx_frame + VNET_HDR_SIZE_LEGACY, &num_buffers, sizeof(num_buffers));
	for (unsigned int i = 0; i < n; i++) {
		size_t part = len - off < pair->chains[i].in_len ? len - off : pair->chains[i].in_len;

		copy_to_chain(&pair->chains[i], pair->rx_frame + off, part);
		written[i] = (uint32_t)part;
		off += part;
	}
	/* All buffers of the frame at once: the guest takes num_buffers of them together. */
	virtq_push_n(vq, pair->chains, written, n);
	stat_add(&pair->stats.rx_packets, 1);
	stat_add(&pair->stats.rx_bytes, len - hdr);
	return 1;
}

/* deliver_frame() for tests/fuzz/fuzz_net_rx.c: same code, no TAP or thread. */
int net_rx_deliver(struct net_queue_pair *pair)
{
	return deliver_frame(pair);
}

static bool read_frame(struct net_queue_pair *pair)
{
	ssize_t n;

	for (;;) {
		n = read(pair->tap_fd, pair->rx_frame, NET_RX_FRAME_MAX);
		/* Deleted on the host (a TAP never reads 0; end of file is gone too). */
		if (n == 0 || (n < 0 && (errno == EBADFD || errno == EIO)))
			pair->tap_gone = true;
		if (n <= 0)
			return false;
		if ((size_t)n > hdr_len(pair))
			break;
		stat_add(&pair->stats.rx_dropped, 1);
	}
	pair->rx_frame_len = (size_t)n;
	return true;
}

/*
 * Returns -1 if the ring broke, 1 if it stopped at its budget (more to do
 * after a look at the stop fd). Out of buffers, it sleeps until the driver
 * posts past what was already examined: the unpopped buffers are no reason
 * to try again, or a driver that posts too little would make us spin.
 */
static int process_rx(struct net_queue_pair *pair)
{
	struct virtq *vq = rxq(pair);
	unsigned int n = 0, attempts = 0;
	int r = 0;

	while (n < NET_BATCH) {
		if (++attempts > 2 * NET_BATCH)
			break;	/* a driver posting one tiny buffer at a time */
		if (!pair->rx_frame_len && !read_frame(pair))
			break;
		r = deliver_frame(pair);
		if (r < 0)
			return -1;
		if (r == 0) {
			if (virtq_kick_when_more(vq))
				continue;
			pair->rx_waiting = true;
			stat_add(&pair->stats.rx_waits, 1);
			break;
		}
		pair->rx_frame_len = 0;
		pair->rx_waiting = false;
		n++;
	}
	if (virtq_should_interrupt(vq))
		pair->irq_pending |= NET_IRQ_RX;
	return n >= NET_BATCH || attempts > 2 * NET_BATCH ? 1 : 0;
}

static int watch(int epfd, int fd, enum worker_event ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.u32 = ev };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

/*
 * What to wait for on the TAP after a pass: frames only while the guest has
 * buffers for them, room only while TX is blocked, and nothing at all once
 * the TAP is gone or the rings broke (a level-triggered TAP we do not read,
 * or one reporting EPOLLERR, would wake us forever).
 */
static void update_tap_polling(struct net_queue_pair *pair, int epfd, bool broken)
{
	struct epoll_event e = { .data.u32 = EV_TAP };

	if (!pair->tap_watched)
		return;
	if (pair->tap_gone || broken) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, pair->tap_fd, NULL);
		pair->tap_watched = false;
		return;
	}
	e.events = (pair->rx_waiting ? 0 : EPOLLIN) |
		   (pair->tx_blocked && !pair->tx_retry_ns ? EPOLLOUT : 0);
	/* Most passes change nothing: no syscall for those. */
	if (e.events != pair->tap_events && epoll_ctl(epfd, EPOLL_CTL_MOD, pair->tap_fd, &e) == 0)
		pair->tap_events = e.events;
}

static void handle_tap_event(struct net_queue_pair *pair, uint32_t events)
{
	/* Readable: process_rx reads it. An error means the interface is gone. */
	if (events & (EPOLLERR | EPOLLHUP))
		pair->tap_gone = true;
	if ((events & EPOLLOUT) && !pair->tx_retry_ns)
		pair->tx_blocked = false;
}

/*
 * How long epoll_wait may sleep: not at all with work left over from a full
 * batch, until the retry after an ENOBUFS, else until an event.
 */
static int wait_ms(const struct net_queue_pair *pair, bool busy)
{
	uint64_t now;

	if (busy)
		return 0;
	if (!pair->tx_blocked || !pair->tx_retry_ns)
		return -1;
	now = now_ns();
	return now >= pair->tx_retry_ns ? 0 : (int)((pair->tx_retry_ns - now + 999999) / 1000000);
}

/* The pause after an ENOBUFS is over: TX may offer the chain again. */
static void end_tx_pause(struct net_queue_pair *pair)
{
	if (pair->tx_blocked && pair->tx_retry_ns && now_ns() >= pair->tx_retry_ns) {
		pair->tx_blocked = false;
		pair->tx_retry_ns = 0;
	}
}

static void handle_events(struct net_queue_pair *pair, struct epoll_event *evs, int n,
			  bool *stop)
{
	for (int i = 0; i < n; i++) {
		switch (evs[i].data.u32) {
		case EV_RX_KICK:
			eventfd_drain(pair->kick_fd[0]);
			stat_add(&pair->stats.rx_kicks, 1);
			pair->rx_waiting = false;
			break;
		case EV_TX_KICK:
			eventfd_drain(pair->kick_fd[1]);
			stat_add(&pair->stats.tx_kicks, 1);
			break;
		case EV_STOP:
			*stop = true;
			break;
		default:
			handle_tap_event(pair, evs[i].events);
			break;
		}
	}
}

/*
 * The TAP was deleted under us. The main loop tells the guest (link down):
 * this thread must never take the device lock, since a vCPU resetting the
 * device holds it while it joins us.
 */
static void report_tap_gone(struct net_queue_pair *pair)
{
	if (pair->tap_gone_reported)
		return;
	pair->tap_gone_reported = true;
	/* A full counter means the main loop is told already. */
	if (pair->net->tap_gone_fd >= 0)
		eventfd_signal(pair->net->tap_gone_fd);
}

/* One pass over both rings; -1 when the guest broke one, else "busy". */
static int serve_pair(struct net_queue_pair *pair)
{
	int tx = process_tx(pair), rx;

	if (tx < 0) {
		interrupt_if_pending(pair);
		return -1;
	}
	rx = process_rx(pair);
	/* Before sleeping: a guest waiting for these completions refills RX. */
	interrupt_if_pending(pair);
	if (rx < 0)
		return -1;
	return tx | rx;
}

static int worker_open(struct net_queue_pair *pair)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0)
		return -1;
	if (watch(epfd, pair->kick_fd[0], EV_RX_KICK, EPOLLIN) ||
	    watch(epfd, pair->kick_fd[1], EV_TX_KICK, EPOLLIN) ||
	    watch(epfd, pair->worker.stop_fd, EV_STOP, EPOLLIN)) {
		close(epfd);
		return -1;
	}
	pair->tap_watched = !pair->tap_gone && !watch(epfd, pair->tap_fd, EV_TAP, EPOLLIN);
	pair->tap_events = EPOLLIN;
	return epfd;
}

/*
 * Spin up to the poll window for the guest's next TX frame, an RX refill
 * kick or a TAP frame before sleeping, with TX kicks off meanwhile: a
 * request/response guest's next frame is then served without its kick's
 * exit and without waking this thread. Returns true when work came (@n:
 * events in @evs, perhaps 0 with TX frames posted); false: sleep.
 */
static bool poll_for_work(struct net_queue_pair *pair, int epfd, struct epoll_event *evs, int *n)
{
	uint64_t window = net_poll_window(&pair->poll), start;
	struct virtq *vq = txq(pair);
	bool found;

	if (!poll_due(pair))
		return false;
	virtq_set_kicks(vq, false);
	start = now_ns();
	do {
		*n = epoll_wait(epfd, evs, 4, 0);
		found = *n != 0 || virtq_has_avail(vq);
	} while (!found && now_ns() - start < window);
	/* Kicks back on before any sleep; a frame that slipped in counts as found. */
	if (!found)
		found = virtq_set_kicks(vq, true);
	if (found) {
		stat_add(&pair->stats.polls_found, 1);
		return true;
	}
	stat_add(&pair->stats.polls_missed, 1);
	return false;
}

/*
 * The next events: at once after a full batch (wait_ms()), else after a
 * poll (when one is due and could find work: not with TX waiting for the
 * TAP or the rings broken), else asleep in epoll_wait.
 */
static int wait_for_work(struct net_queue_pair *pair, int epfd, struct epoll_event *evs,
			 int busy, bool broken)
{
	/* When the worker went idle: the clock is read only for a poll's sleep. */
	uint64_t idle = pair->poll.max_ns && !busy ? now_ns() : 0;
	int n = 0;

	if (!busy && !broken && !pair->tx_blocked && poll_for_work(pair, epfd, evs, &n))
		return n;
	dev_lock_assert_none("the Tier 2 worker's epoll_wait");
	n = epoll_wait(epfd, evs, 4, wait_ms(pair, busy));
	if (!busy && n > 0 && pair->poll.max_ns)
		net_poll_woke(&pair->poll, now_ns() - idle);
	return n;
}

/*
 * --worker-sched batch. A SCHED_BATCH thread that wakes never preempts the
 * running one, so on a core the worker shares with a vCPU a TX kick lets the
 * guest go on queuing frames, and the worker serves them in one pass when
 * the vCPU halts or its slice ends: one kick and one interrupt per batch
 * instead of per frame. On a core of its own nothing changes.
 */
static void set_worker_policy(struct net_queue_pair *pair)
{
	struct sched_param none = { 0 };

	if (!pair->net->opts.worker_batch || !sched_setscheduler(0, SCHED_BATCH, &none))
		return;
	if (!__atomic_exchange_n(&pair->net->user_batch_refused, true, __ATOMIC_RELAXED))
		tvm_warn("--worker-sched batch: SCHED_BATCH refused (%s); the workers keep tinyvmm's policy",
			 strerror(errno));
}

static void *net_worker(void *arg)
{
	struct net_queue_pair *pair = arg;
	int epfd = worker_open(pair), busy = 0;
	bool stop = false, broken = false;
	char name[16];

	snprintf(name, sizeof(name), "net-q%u", pair->index);
	pthread_setname_np(pthread_self(), name);
	set_worker_policy(pair);
	if (epfd < 0) {
		/* Cannot serve; the reset that follows stops us through the join. */
		virtio_dev_needs_reset(&pair->net->vdev);
		return NULL;
	}
	/* A worker stopped mid-poll left TX kicks off: on, and serve what came meanwhile. */
	busy = virtq_set_kicks(txq(pair), true);
	while (!stop) {
		struct epoll_event evs[4];
		int n;

		n = wait_for_work(pair, epfd, evs, busy, broken);

		if (n < 0 && errno != EINTR)
			break;
		stat_add(&pair->stats.worker_wakeups, 1);
		handle_events(pair, evs, n > 0 ? n : 0, &stop);
		if (stop)
			break;
		end_tx_pause(pair);
		busy = 0;
		if (!broken && (busy = serve_pair(pair)) < 0) {
			/* A hostile or buggy driver: stop serving, tell it to reset. */
			virtio_dev_needs_reset(&pair->net->vdev);
			broken = true;
			busy = 0;
		}
		if (pair->tap_gone)
			report_tap_gone(pair);
		update_tap_polling(pair, epfd, broken);
	}
	close(epfd);
	return NULL;
}

int net_user_start_pair(struct net_queue_pair *pair)
{
	pair->rx_frame_len = 0;
	pair->rx_waiting = false;
	pair->tx_blocked = false;
	pair->tx_tries = 0;
	pair->tx_retry_ns = 0;
	pair->irq_pending = 0;
	pair->tap_gone = __atomic_load_n(&pair->net->link_down, __ATOMIC_SEQ_CST);
	pair->tap_gone_reported = pair->tap_gone;
	net_poll_init(&pair->poll, pair->net->opts.worker_poll_us);
	return tvm_worker_start(&pair->worker, net_worker, pair) ? -1 : 0;
}

void net_user_stop_pair(struct net_queue_pair *pair)
{
	if (!pair->worker.running)
		return;
	/* Every path of the worker reaches epoll_wait, which sees the stop. */
	tvm_worker_stop(&pair->worker);
	/* Kicks queued for the old rings mean nothing after a reset. */
	eventfd_drain(pair->kick_fd[0]);
	eventfd_drain(pair->kick_fd[1]);
}

/* Start a worker for every pair the driver set up. */
static int user_start(struct virtio_net *net, struct tvm_error *err)
{
	for (unsigned int i = 0; i < net->npairs; i++)
		if (virtio_net_pair_ready(net, i) && net_user_start_pair(&net->pairs[i]))
			return tvm_fail_kind(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
					     "virtio-net: cannot start the queue pair %u thread", i);
	return 0;
}

static void user_stop(struct virtio_net *net)
{
	for (unsigned int i = 0; i < net->npairs; i++)
		net_user_stop_pair(&net->pairs[i]);
}

const struct net_backend_ops net_user_backend = {
	.kind = NET_BACKEND_USERSPACE,
	.start = user_start,
	.stop = user_stop,
};
