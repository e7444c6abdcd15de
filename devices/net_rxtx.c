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
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "devices/virtio_net.h"
#include "vhost/tap.h"

#define NET_IRQ_TX 1	/* irq_pending bits: which rings asked this pass */
#define NET_IRQ_RX 2
#define NET_BATCH 256	/* frames per direction before looking at the other */

enum worker_event { EV_RX_KICK, EV_TX_KICK, EV_TAP, EV_STOP };

static struct virtq *rxq(struct net_queue_pair *pair)
{
	return &pair->net->mmio.queues[2 * pair->index];
}

static struct virtq *txq(struct net_queue_pair *pair)
{
	return &pair->net->mmio.queues[2 * pair->index + 1];
}

/*
 * One interrupt for both rings of a pass: Linux's vm_interrupt() scans every
 * virtqueue of the device on each VRING interrupt, so TX completions and RX
 * frames found in one pass need one edge, not two (and the guest's
 * InterruptStatus read + ACK write cost two exits per edge).
 */
static void interrupt_if_pending(struct net_queue_pair *pair)
{
	if (!pair->irq_pending)
		return;
	if (pair->irq_pending == (NET_IRQ_TX | NET_IRQ_RX))
		pair->stats.interrupts_saved++;
	pair->irq_pending = 0;
	pair->stats.interrupts++;
	virtio_mmio_interrupt(&pair->net->mmio, VIRTIO_INT_VRING);
}

/* Returns -1 if the guest broke the ring. */
static int process_tx(struct net_queue_pair *pair)
{
	struct virtq *vq = txq(pair);
	struct virtq_chain *chain = &pair->chains[0];
	unsigned int n = 0;
	enum virtq_pop_result r;

	do {
		while (n < NET_BATCH && (r = virtq_pop(vq, chain)) == VIRTQ_GOT_CHAIN) {
			ssize_t w = -1;

			/* A TX chain is a vnet header and a frame, all device-readable. */
			if (!chain->nin && chain->out_len >= VNET_HDR_SIZE)
				w = writev(pair->tap_fd, chain->iov, (int)chain->nout);
			if (w < 0) {
				pair->stats.tx_dropped++;
			} else {
				pair->stats.tx_packets++;
				pair->stats.tx_bytes += chain->out_len - VNET_HDR_SIZE;
			}
			virtq_push(vq, chain, 0);
			n++;
		}
		if (r == VIRTQ_BROKEN)
			return -1;
		if (n >= NET_BATCH)
			break;	/* more later: the kick fd stays unread-safe */
	} while (virtq_set_kicks(vq, true));
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
 * Deliver the pending frame. Returns 1 when delivered (or dropped), 0 when
 * the guest has not posted enough buffers, -1 when it broke the ring.
 */
static int deliver_frame(struct net_queue_pair *pair)
{
	struct virtq *vq = rxq(pair);
	bool mergeable = virtio_has_feature(pair->net->mmio.driver_features,
					    VIRTIO_NET_F_MRG_RXBUF);
	size_t len = pair->rx_frame_len, covered = 0, off = 0;
	unsigned int n = 0, max = mergeable ? NET_RX_MAX_MERGE : 1;
	uint16_t num_buffers;

	while (covered < len && n < max) {
		enum virtq_pop_result r = virtq_pop(vq, &pair->chains[n]);

		if (r != VIRTQ_GOT_CHAIN) {
			unpop_all(vq, pair->chains, n);
			return r == VIRTQ_BROKEN ? -1 : 0;
		}
		covered += pair->chains[n++].in_len;
	}
	/* Too small (driver bug or frame beyond what it posted): drop it. */
	if (covered < len || pair->chains[0].in_len < VNET_HDR_SIZE) {
		for (unsigned int i = 0; i < n; i++)
			virtq_push(vq, &pair->chains[i], 0);
		pair->stats.rx_dropped++;
		return 1;
	}
	/* The TAP left num_buffers alone; it is ours to fill (VERSION_1). */
	num_buffers = htole16((uint16_t)n);
	memcpy(pair->rx_frame + 10, &num_buffers, sizeof(num_buffers));
	for (unsigned int i = 0; i < n; i++) {
		size_t part = len - off < pair->chains[i].in_len ? len - off : pair->chains[i].in_len;

		copy_to_chain(&pair->chains[i], pair->rx_frame + off, part);
		virtq_push(vq, &pair->chains[i], (uint32_t)part);
		off += part;
	}
	pair->stats.rx_packets++;
	pair->stats.rx_bytes += len - VNET_HDR_SIZE;
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
		if (n < 0 && (errno == EBADFD || errno == EIO))
			pair->tap_gone = true;	/* deleted on the host */
		if (n < 0)
			return false;
		if ((size_t)n > VNET_HDR_SIZE)
			break;
		pair->stats.rx_dropped++;
	}
	pair->rx_frame_len = (size_t)n;
	return true;
}

/* Returns -1 if the ring broke, 1 if it stopped at the batch limit. */
static int process_rx(struct net_queue_pair *pair)
{
	struct virtq *vq = rxq(pair);
	unsigned int n = 0;
	int r = 0;

	while (n < NET_BATCH) {
		if (!pair->rx_frame_len && !read_frame(pair))
			break;
		r = deliver_frame(pair);
		if (r < 0)
			return -1;
		if (r == 0) {
			/* Out of buffers: ask for a kick, unless some arrived meanwhile. */
			if (virtq_set_kicks(vq, true))
				continue;
			pair->rx_waiting = true;
			break;
		}
		pair->rx_frame_len = 0;
		pair->rx_waiting = false;
		n++;
	}
	if (virtq_should_interrupt(vq))
		pair->irq_pending |= NET_IRQ_RX;
	return n >= NET_BATCH ? 1 : 0;
}

static int watch(int epfd, int fd, enum worker_event ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.u32 = ev };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

static void set_tap_polling(struct net_queue_pair *pair, int epfd, bool on)
{
	struct epoll_event e = { .events = on ? EPOLLIN : 0, .data.u32 = EV_TAP };

	epoll_ctl(epfd, EPOLL_CTL_MOD, pair->tap_fd, &e);
}

static void handle_events(struct net_queue_pair *pair, int epfd, struct epoll_event *evs,
			  int n, bool *stop)
{
	for (int i = 0; i < n; i++) {
		switch (evs[i].data.u32) {
		case EV_RX_KICK:
			eventfd_drain(pair->kick_fd[0]);
			pair->stats.rx_kicks++;
			pair->rx_waiting = false;
			break;
		case EV_TX_KICK:
			eventfd_drain(pair->kick_fd[1]);
			pair->stats.tx_kicks++;
			break;
		case EV_STOP:
			*stop = true;
			break;
		default:
			/*
			 * TAP readable: process_rx reads it. An error means the
			 * interface is gone; stop polling it or epoll would spin
			 * (the main loop tells the guest its link is down).
			 */
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				pair->tap_gone = true;
			break;
		}
	}
}

static void *net_worker(void *arg)
{
	struct net_queue_pair *pair = arg;
	int epfd = epoll_create1(EPOLL_CLOEXEC), busy = 0;
	bool stop = false, broken = false;
	char name[16];

	snprintf(name, sizeof(name), "net-q%u", pair->index);
	pthread_setname_np(pthread_self(), name);
	if (epfd < 0 || watch(epfd, pair->kick_fd[0], EV_RX_KICK, EPOLLIN) ||
	    watch(epfd, pair->kick_fd[1], EV_TX_KICK, EPOLLIN) ||
	    watch(epfd, pair->tap_fd, EV_TAP, EPOLLIN) ||
	    watch(epfd, pair->stop_fd, EV_STOP, EPOLLIN)) {
		virtio_mmio_needs_reset(&pair->net->mmio);
		broken = true;
	}
	while (!stop) {
		struct epoll_event evs[4];
		/* Work left over from a full batch: poll without sleeping. */
		int n = epoll_wait(epfd, evs, 4, busy ? 0 : -1);

		if (n < 0 && errno != EINTR)
			break;
		handle_events(pair, epfd, evs, n > 0 ? n : 0, &stop);
		if (stop || broken)
			continue;
		busy = 0;
		if ((busy |= process_tx(pair)) < 0 || (busy |= process_rx(pair)) < 0) {
			interrupt_if_pending(pair);
			/* A hostile or buggy driver: stop serving, tell it to reset. */
			virtio_mmio_needs_reset(&pair->net->mmio);
			broken = true;
			busy = 0;
			continue;
		}
		interrupt_if_pending(pair);
		if (pair->tap_gone) {
			/* Polling a detached TAP would report EPOLLERR forever. */
			epoll_ctl(epfd, EPOLL_CTL_DEL, pair->tap_fd, NULL);
			virtio_net_link_down(pair->net, "is gone (read failed)");
		} else {
			set_tap_polling(pair, epfd, !pair->rx_waiting);
		}
	}
	if (epfd >= 0)
		close(epfd);
	return NULL;
}

int net_rxtx_start(struct net_queue_pair *pair)
{
	eventfd_drain(pair->stop_fd);
	pair->rx_frame_len = 0;
	pair->rx_waiting = false;
	pair->irq_pending = 0;
	pair->tap_gone = pair->net->link_down;
	if (tvm_thread_start(&pair->thread, net_worker, pair))
		return -1;
	pair->running = true;
	return 0;
}

void net_rxtx_stop(struct net_queue_pair *pair)
{
	uint64_t one = 1;

	if (!pair->running)
		return;
	if (write(pair->stop_fd, &one, sizeof(one)) < 0)
		return;
	pthread_join(pair->thread, NULL);
	pair->running = false;
	/* Kicks queued for the old rings mean nothing after a reset. */
	eventfd_drain(pair->kick_fd[0]);
	eventfd_drain(pair->kick_fd[1]);
}
