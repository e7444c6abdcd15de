// SPDX-License-Identifier: MIT
/*
 * vhost-net's call fds follow the transport's per-queue irqfds (see
 * net_irqfd.h). Kept apart from net_vhost.c so the mapping is unit-tested
 * with a fake VHOST_SET_VRING_CALL.
 */
#include "devices/net/net_irqfd.h"

#include <stdint.h>
#include <unistd.h>

static bool per_queue_irqfds(const struct virtio_net *net)
{
	return net->opts.irq_mode == NET_IRQ_DIRECT && virtio_dev_has_queue_irqfds(&net->vdev);
}

int net_irqfd_target(struct virtio_net *net, unsigned int pair, unsigned int ring)
{
	struct net_queue_pair *p = &net->pairs[pair];
	int fd;

	if (!per_queue_irqfds(net))
		return p->call_fd[ring];
	fd = virtio_dev_queue_irqfd(&net->vdev, 2 * pair + ring);
	return fd >= 0 ? fd : p->call_fd[ring];
}

bool net_irqfd_watch_call_fds(const struct virtio_net *net)
{
	/* On mmio in direct mode call_fd is KVM's irqfd: a second reader would steal its count. */
	return net->opts.irq_mode == NET_IRQ_RELAY || virtio_dev_has_queue_irqfds(&net->vdev);
}

unsigned int net_irqfd_follow(struct virtio_net *net, net_irqfd_set_call_fn set_call)
{
	unsigned int moved = 0;

	for (unsigned int i = 0; i < net->npairs; i++) {
		struct net_queue_pair *p = &net->pairs[i];

		if (!p->vhost.running)
			continue;
		for (unsigned int r = 0; r < 2; r++) {
			int want = net_irqfd_target(net, i, r);

			if (want == p->call_used[r] || want < 0)
				continue;
			/* Refused (the callback says so): vhost keeps signalling the old fd. */
			if (set_call(net, i, r, want))
				continue;
			p->call_used[r] = want;
			eventfd_signal(want);
			moved++;
		}
	}
	net->irqfd_moves += moved;
	return moved;
}
