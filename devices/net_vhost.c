// SPDX-License-Identifier: MIT
/*
 * Tiers 1A/1B: virtio-net rings served by the kernel's vhost-net. This file
 * is the glue between the device model and vhost/vhost_net.c: one vhost-net
 * instance per queue pair, and the two ways of turning vhost's "call"
 * eventfd into a virtio-mmio interrupt.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/net_vhost.h"

int net_vhost_open(struct virtio_net *net, struct tvm_error *err)
{
	for (unsigned int i = 0; i < net->npairs; i++) {
		struct net_queue_pair *pair = &net->pairs[i];

		if (vhost_net_open(&pair->vhost, err))
			return -1;
		pair->call_fd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		pair->call_fd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (pair->call_fd[0] < 0 || pair->call_fd[1] < 0)
			return tvm_fail(err, TVM_EXIT_ERROR, "eventfd: %s", strerror(errno));
	}
	return 0;
}

uint64_t net_vhost_features(const struct virtio_net *net)
{
	uint64_t f = net->pairs[0].vhost.features;

	/* Every instance is the same kernel module: pair 0 speaks for all. */
	return f;
}

int net_vhost_start(struct virtio_net *net, struct tvm_error *err)
{
	struct virtio_mmio *dev = &net->mmio;

	for (unsigned int i = 0; i < net->npairs; i++) {
		struct net_queue_pair *pair = &net->pairs[i];

		/* A pair the driver did not set up stays with no backend. */
		if (!dev->queue_ready[2 * i] || !dev->queue_ready[2 * i + 1])
			continue;
		if (vhost_net_start(&pair->vhost, dev->queues[0].mem, dev->driver_features,
				    &dev->queues[2 * i], &dev->queues[2 * i + 1], pair->kick_fd,
				    pair->call_fd, pair->tap_fd, err)) {
			net_vhost_stop(net);
			return -1;
		}
	}
	dev->vring_irq_bypass = net->opts.irq_mode == NET_IRQ_DIRECT;
	return 0;
}

void net_vhost_stop(struct virtio_net *net)
{
	for (unsigned int i = 0; i < net->npairs; i++)
		vhost_net_stop(&net->pairs[i].vhost);
	net->mmio.vring_irq_bypass = false;
}

static void *relay_thread(void *arg)
{
	struct virtio_net *net = arg;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = net->relay_stop_fd };

	pthread_setname_np(pthread_self(), "net-irq-relay");
	if (epfd < 0)
		return NULL;
	epoll_ctl(epfd, EPOLL_CTL_ADD, net->relay_stop_fd, &ev);
	for (unsigned int i = 0; i < net->npairs; i++)
		for (int q = 0; q < 2; q++) {
			ev.data.fd = net->pairs[i].call_fd[q];
			epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
		}
	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(epfd, evs, 8, -1);
		bool raise = false;
		uint64_t v;

		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == net->relay_stop_fd)
				goto out;
			if (read(evs[i].data.fd, &v, sizeof(v)) == sizeof(v))
				raise = true;
		}
		/* One interrupt covers every ring: the guest scans them all. */
		if (raise)
			virtio_mmio_interrupt(&net->mmio, VIRTIO_INT_VRING);
	}
out:
	close(epfd);
	return NULL;
}

int net_vhost_relay_start(struct virtio_net *net)
{
	net->relay_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (net->relay_stop_fd < 0 || pthread_create(&net->relay, NULL, relay_thread, net))
		return -1;
	net->relay_running = true;
	return 0;
}

void net_vhost_relay_stop(struct virtio_net *net)
{
	uint64_t one = 1;

	if (net->relay_running && write(net->relay_stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(net->relay, NULL);
	net->relay_running = false;
	if (net->relay_stop_fd >= 0)
		close(net->relay_stop_fd);
	net->relay_stop_fd = -1;
}

void net_vhost_close(struct virtio_net *net)
{
	for (unsigned int i = 0; i < NET_MAX_QUEUE_PAIRS; i++) {
		struct net_queue_pair *pair = &net->pairs[i];

		vhost_net_close(&pair->vhost);
		for (int q = 0; q < 2; q++) {
			if (pair->call_fd[q] >= 0)
				close(pair->call_fd[q]);
			pair->call_fd[q] = -1;
		}
	}
}
