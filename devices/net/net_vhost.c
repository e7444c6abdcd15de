// SPDX-License-Identifier: MIT
/*
 * Tiers 1A/1B: virtio-net rings served by the kernel's vhost-net. This file
 * is the glue between the device model and vhost/vhost_net.c (which opens
 * with the numbered map of the whole set-up sequence): one vhost-net
 * instance per queue pair, the ways of turning vhost's "call" eventfd into
 * an interrupt (net_irqfd.h: an MSI-X vector's irqfd, mmio's SPI irqfd, or
 * relayed), and what happens when vhost gives up on a ring ("err" eventfd).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/net/net_vhost.h"
#include "devices/net/net_irqfd.h"
#include "devices/net/net_vhost_guard.h"
#include "lib/dev_lock.h"
#include "vhost/vhost_workers.h"

static int new_eventfd_pair(int fd[2])
{
	fd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fd[0] < 0 || fd[1] < 0 ? -1 : 0;
}

/*
 * --worker-sched batch, Tiers 1A/1B: the same as Tier 2's workers get
 * (net_user.c), for vhost-net's. A waking SCHED_BATCH worker does not
 * preempt the vCPU that kicked it on a shared core, so the guest goes on
 * queuing frames and the worker serves them in one pass. Set here, at
 * start-up: as root and before the seccomp filter, which allows no
 * sched_setscheduler() on another thread.
 */
_Static_assert(VHOST_WORKERS_MAX >= NET_MAX_QUEUE_PAIRS, "one worker per queue pair");

static void set_vhost_worker_policy(struct virtio_net *net)
{
	const struct vhost_workers *w = &net->vhost_workers;
	unsigned int done;

	if (!net->opts.worker_batch)
		return;
	if (w->count < net->npairs) {
		tvm_warn("--worker-sched batch: found %u of vhost-net's %u workers in /proc; they keep their policy",
			 w->count, net->npairs);
	} else {
		done = vhost_workers_make_batch(w);
		if (done == w->count)
			return;
		tvm_warn("--worker-sched batch: SCHED_BATCH refused for %u of vhost-net's %u workers (%s)",
			 w->count - done, w->count, strerror(errno));
	}
	net->vhost_batch_refused = true;
}

/*
 * Right after pair @i's VHOST_SET_OWNER, the one scan of /proc for its
 * worker: kept for the watchdog, the policy above and the report.
 */
static void find_pair_worker(struct virtio_net *net, unsigned int i)
{
	int id = vhost_workers_find_new("/proc", getpid(), &net->vhost_workers);

	if (id > 0)
		net_vhost_guard_watch_worker(net, i, net->vhost_workers.kind, id);
}

int net_vhost_open(struct virtio_net *net, struct tvm_error *err)
{
	net->vhost_workers = (struct vhost_workers){ .kind = VHOST_WORKERS_NONE };
	if (net_vhost_guard_open(net))
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR, "vhost watchdog: %s",
				      strerror(errno));
	for (unsigned int i = 0; i < net->npairs; i++) {
		struct net_queue_pair *pair = &net->pairs[i];

		/* Steps 4-6 of vhost/vhost_net.c's map. */
		if (vhost_net_open(&pair->vhost, i, err))
			return -1;
		find_pair_worker(net, i);
		/* The fds of steps 18 and 19; the kick fds (step 17) are the device's. */
		if (new_eventfd_pair(pair->call_fd) || new_eventfd_pair(pair->err_fd))
			return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR, "eventfd: %s",
					      strerror(errno));
	}
	set_vhost_worker_policy(net);
	return 0;
}

uint64_t net_vhost_features(const struct virtio_net *net)
{
	uint64_t f = net->pairs[0].vhost.features;

	/* Every instance is the same kernel module: pair 0 speaks for all. */
	return f;
}

static void vhost_stop(struct virtio_net *net);

/* A started virtqueue as vhost-net takes it (host addresses in guest RAM). */
static struct vhost_net_ring vhost_ring_of(const struct virtq *vq)
{
	return (struct vhost_net_ring){ .size = vq->size, .desc = vq->desc,
					.avail = vq->driver, .used = vq->device };
}

/*
 * At DRIVER_OK, after steps 10-11 (virtio_net.c:net_activate()): steps
 * 12-20 of vhost/vhost_net.c's map for every pair the driver set up.
 */
static int vhost_start(struct virtio_net *net, struct tvm_error *err)
{
	struct virtio_dev *dev = &net->vdev;

	for (unsigned int i = 0; i < net->npairs; i++) {
		struct net_queue_pair *pair = &net->pairs[i];
		struct vhost_net_ring rings[2];
		int call[2];

		/* A pair the driver did not set up stays with no backend. */
		if (!dev->queue_ready[2 * i] || !dev->queue_ready[2 * i + 1])
			continue;
		for (unsigned int r = 0; r < 2; r++) {
			rings[r] = vhost_ring_of(&dev->queues[2 * i + r]);
			/* Step 8 on pci: the vector's irqfd, or the pair's call_fd. */
			call[r] = net_irqfd_target(net, i, r);
		}
		/* An error from the last session must not reset this one. */
		eventfd_drain(pair->err_fd[0]);
		eventfd_drain(pair->err_fd[1]);
		if (vhost_net_start(&pair->vhost, dev->queues[0].mem, dev->driver_features,
				    &rings[0], &rings[1], pair->kick_fd,
				    call, pair->err_fd, pair->tap_fd, err)) {
			vhost_stop(net);
			return -1;
		}
		for (unsigned int r = 0; r < 2; r++) {
			pair->call_used[r] = call[r];
			net->irqfd_direct_starts += call[r] != pair->call_fd[r];
		}
	}
	virtio_dev_irq_bypass(dev, net->opts.irq_mode == NET_IRQ_DIRECT);
	net_vhost_guard_arm(net);
	return 0;
}

static void vhost_stop(struct virtio_net *net)
{
	net_vhost_guard_disarm(net);
	for (unsigned int i = 0; i < net->npairs; i++)
		vhost_net_stop(&net->pairs[i].vhost);
	virtio_dev_irq_bypass(&net->vdev, false);
}

static int set_call(struct virtio_net *net, unsigned int pair, unsigned int ring, int fd)
{
	if (!vhost_net_set_call(&net->pairs[pair].vhost, ring, fd))
		return 0;
	/* The guest can make this happen (by reassigning vectors): ratelimited. */
	if (tvm_ratelimit(&net->activation_msgs))
		tvm_warn("vhost-net: VHOST_SET_VRING_CALL (pair %u ring %u) failed: %s; the ring keeps its previous interrupt path",
			 pair, ring, strerror(errno));
	return -1;
}

/* The driver moved a queue to another vector, or MSI-X on/off (vdev->lock held). */
static void vhost_irqfds_changed(struct virtio_net *net)
{
	net_irqfd_follow(net, set_call);
}

const struct net_backend_ops net_vhost_backend = {
	.kind = NET_BACKEND_VHOST,
	.start = vhost_start,
	.stop = vhost_stop,
	.irqfds_changed = vhost_irqfds_changed,
};

/*
 * vhost-net gave up on a ring: it found a descriptor or address it cannot
 * use and stopped serving that queue. Tell the guest the way the userspace
 * backend does (DEVICE_NEEDS_RESET + config interrupt).
 * Under the transport lock, so a reset in between cannot be marked.
 */
static void ring_error(struct virtio_net *net, unsigned int pair, unsigned int ring)
{
	struct virtio_dev *dev = &net->vdev;

	dev_lock(&dev->lock);
	if (eventfd_drain(net->pairs[pair].err_fd[ring]) && dev->active &&
	    net->active_backend == NET_BACKEND_VHOST) {
		/* Said once: a hostile guest must not be able to flood stderr. */
		if (++net->vhost_errors == 1)
			tvm_warn("vhost-net stopped %s queue %u: the guest's ring or buffers are malformed; the device needs a reset (guest driver re-init); later ones are only counted (vhost_ring_errors in --report-json)",
				 ring ? "TX" : "RX", pair);
		virtio_dev_needs_reset(dev);
	}
	dev_unlock(&dev->lock);
}

/* epoll data: the stop fd is ~0, the watchdog's ~1; else pair << 2 | ring << 1 | is_error. */
#define TAG_STOP	(~0ULL)
#define TAG_WATCHDOG	(~1ULL)

static int watch(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* The watch set, fixed now: whether call_fd is ours to read depends on the transport. */
static int monitor_open(struct virtio_net *net)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	bool relay = net_irqfd_watch_call_fds(net);
	int rc = 0;

	if (epfd < 0)
		return -1;
	rc |= watch(epfd, net->monitor.stop_fd, TAG_STOP);
	if (net_vhost_guard_wake_fd(net) >= 0)
		rc |= watch(epfd, net_vhost_guard_wake_fd(net), TAG_WATCHDOG);
	for (unsigned int i = 0; i < net->npairs; i++)
		for (unsigned int q = 0; q < 2; q++) {
			rc |= watch(epfd, net->pairs[i].err_fd[q], (uint64_t)i << 2 | q << 1 | 1);
			if (relay)
				rc |= watch(epfd, net->pairs[i].call_fd[q], (uint64_t)i << 2 | q << 1);
		}
	if (rc) {
		close(epfd);
		return -1;
	}
	return epfd;
}

static void *monitor_thread(void *arg)
{
	struct virtio_net *net = arg;
	int epfd = net->monitor_epfd;

	pthread_setname_np(pthread_self(), "net-vhost-mon");
	for (;;) {
		struct epoll_event evs[8];
		uint64_t queues = 0;
		int n;

		dev_lock_assert_none("the vhost monitor's epoll_wait");
		/* No timeout unless a device runs on vhost (the spin watchdog). */
		n = epoll_wait(epfd, evs, 8, net_vhost_guard_timeout_ms(net));

		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			unsigned int pair = (unsigned int)(tag >> 2), ring = (tag >> 1) & 1;

			if (tag == TAG_STOP)
				return NULL;
			if (tag == TAG_WATCHDOG) {
				/* Armed: the timeout below is the watchdog's now. */
				eventfd_drain(net_vhost_guard_wake_fd(net));
				continue;
			}
			if (tag & 1)
				ring_error(net, pair, ring);
			else if (eventfd_drain(net->pairs[pair].call_fd[ring]))
				queues |= 1ULL << (2 * pair + ring);
		}
		/* One call for every ring signalled: one edge on a one-line transport. */
		if (queues)
			virtio_dev_interrupt(&net->vdev, queues);
		net_vhost_guard_run(net);
	}
}

int net_vhost_monitor_start(struct virtio_net *net)
{
	int e;

	/* Before the transport attaches, the watch set would be a guess (see net_vhost.h). */
	if (!virtio_dev_transport_attached(&net->vdev)) {
		errno = EINVAL;
		return -1;
	}
	if (tvm_worker_open(&net->monitor))
		return -1;
	net->monitor_epfd = monitor_open(net);
	if (net->monitor_epfd < 0)
		return -1;
	e = tvm_worker_start(&net->monitor, monitor_thread, net);
	if (e) {
		errno = e;	/* the caller's message names it */
		return -1;
	}
	return 0;
}

void net_vhost_monitor_stop(struct virtio_net *net)
{
	tvm_worker_close(&net->monitor);
	if (net->monitor_epfd >= 0)
		close(net->monitor_epfd);
	net->monitor_epfd = -1;
}

void net_vhost_close(struct virtio_net *net)
{
	net_vhost_guard_close(net);
	for (unsigned int i = 0; i < NET_MAX_QUEUE_PAIRS; i++) {
		struct net_queue_pair *pair = &net->pairs[i];

		vhost_net_close(&pair->vhost);
		for (int q = 0; q < 2; q++) {
			if (pair->call_fd[q] >= 0)
				close(pair->call_fd[q]);
			if (pair->err_fd[q] >= 0)
				close(pair->err_fd[q]);
			pair->call_fd[q] = pair->err_fd[q] = -1;
		}
	}
}
