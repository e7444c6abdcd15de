// SPDX-License-Identifier: MIT
/*
 * The virtio-net control virtqueue (virtio 1.2 §5.1.6.5), served by tinyvmm
 * in every tier: vhost-net never sees it.
 */
#include "devices/net/net_ctrl.h"

#include <endian.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

static uint8_t parse_mq(const uint8_t *data, size_t len, uint8_t cmd, unsigned int max_pairs,
			struct net_ctrl_cmd *out)
{
	uint16_t pairs;

	if (cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || len != sizeof(pairs))
		return VIRTIO_NET_ERR;	/* RSS and hash config are not offered */
	memcpy(&pairs, data, sizeof(pairs));
	pairs = le16toh(pairs);
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > max_pairs)
		return VIRTIO_NET_ERR;
	out->action = NET_CTRL_SET_PAIRS;
	out->pairs = pairs;
	return VIRTIO_NET_OK;
}

/* MAC_TABLE_SET: two tables, each a le32 count then count * 6 bytes. */
static uint8_t parse_mac_tables(const uint8_t *data, size_t len)
{
	for (int table = 0; table < 2; table++) {
		uint32_t entries;

		if (len < sizeof(entries))
			return VIRTIO_NET_ERR;
		memcpy(&entries, data, sizeof(entries));
		entries = le32toh(entries);
		data += sizeof(entries);
		len -= sizeof(entries);
		if (entries > len / 6)
			return VIRTIO_NET_ERR;
		data += 6 * (size_t)entries;
		len -= 6 * (size_t)entries;
	}
	return len == 0 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
}

static uint8_t parse_mac(const uint8_t *data, size_t len, uint8_t cmd)
{
	if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET)
		return len == 6 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
	if (cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET)
		return parse_mac_tables(data, len);
	return VIRTIO_NET_ERR;
}

uint8_t net_ctrl_parse(const uint8_t *buf, size_t len, unsigned int max_pairs,
		       struct net_ctrl_cmd *cmd)
{
	const uint8_t *data = buf + 2;
	size_t dlen;

	cmd->action = NET_CTRL_NONE;
	cmd->pairs = 0;
	if (len < 2)
		return VIRTIO_NET_ERR;
	dlen = len - 2;
	switch (buf[0]) {
	case VIRTIO_NET_CTRL_MQ:
		return parse_mq(data, dlen, buf[1], max_pairs, cmd);
	case VIRTIO_NET_CTRL_RX:
		/* The TAP sees all traffic anyway: accept the mode, one byte on/off. */
		return buf[1] <= VIRTIO_NET_CTRL_RX_NOBCAST && dlen == 1 ? VIRTIO_NET_OK
									 : VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_MAC:
		return parse_mac(data, dlen, buf[1]);
	case VIRTIO_NET_CTRL_VLAN:
		return buf[1] <= VIRTIO_NET_CTRL_VLAN_DEL && dlen == 2 ? VIRTIO_NET_OK
								       : VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		return buf[1] == VIRTIO_NET_CTRL_ANNOUNCE_ACK && dlen == 0 ? VIRTIO_NET_OK
									   : VIRTIO_NET_ERR;
	default:
		return VIRTIO_NET_ERR;
	}
}

static int tap_queue(int fd, bool attach)
{
	struct ifreq ifr = { .ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };

	return ioctl(fd, TUNSETQUEUE, &ifr);
}

int net_set_active_pairs(struct virtio_net *net, unsigned int n)
{
	int ret = 0;

	if (net->npairs == 1)
		return 0;	/* a single-queue TAP has no queues to switch */
	/* Attach first so the TAP never has zero queues (it would drop all). */
	for (unsigned int i = 0; i < n && i < net->npairs; i++)
		if (tap_queue(net->pairs[i].tap_fd, true) < 0 && errno != EINVAL)
			ret = -1;	/* EINVAL: already attached */
	for (unsigned int i = n; i < net->npairs; i++)
		if (tap_queue(net->pairs[i].tap_fd, false) < 0 && errno != EINVAL)
			ret = -1;
	__atomic_store_n(&net->active_pairs, n, __ATOMIC_RELAXED);
	return ret;
}

static uint8_t apply(struct virtio_net *net, const struct net_ctrl_cmd *cmd)
{
	if (cmd->action != NET_CTRL_SET_PAIRS)
		return VIRTIO_NET_OK;
	if (net_set_active_pairs(net, cmd->pairs))
		return VIRTIO_NET_ERR;
	if (!net->opts.quiet && tvm_ratelimit(&net->ctrl_msgs))
		fprintf(stderr, "tinyvmm: virtio-net: guest enabled %u of %u queue pairs\n",
			cmd->pairs, net->npairs);
	return VIRTIO_NET_OK;
}

/* Gather the device-readable part of @chain into @buf. */
static size_t gather(const struct virtq_chain *chain, uint8_t *buf)
{
	size_t off = 0;

	for (unsigned int i = 0; i < chain->nout; i++) {
		memcpy(buf + off, chain->iov[i].iov_base, chain->iov[i].iov_len);
		off += chain->iov[i].iov_len;
	}
	return off;
}

/* Serve one command chain: parse, apply, write the ack byte. */
static void serve_chain(struct virtio_net *net, struct virtq *vq, struct virtq_chain *c)
{
	struct net_ctrl_cmd cmd;
	uint8_t ack = VIRTIO_NET_ERR;

	/* The ack byte is the first device-writable byte. */
	if (!c->nin || c->iov[c->nout].iov_len < 1) {
		virtq_push(vq, c, 0);
		return;
	}
	if (c->out_len <= NET_CTRL_MAX_CMD)
		ack = net_ctrl_parse(net->ctrl_buf, gather(c, net->ctrl_buf), net->npairs, &cmd);
	if (ack == VIRTIO_NET_OK)
		ack = apply(net, &cmd);
	*(uint8_t *)c->iov[c->nout].iov_base = ack;
	virtq_push(vq, c, 1);
}

void net_ctrl_process(struct virtio_net *net)
{
	struct virtq *vq = &net->vdev.queues[2 * net->npairs];
	enum virtq_pop_result r;

	/*
	 * Re-arm kicks after draining (with EVENT_IDX that moves avail_event),
	 * or the driver never kicks again and spins on its next command.
	 */
	do {
		while ((r = virtq_pop(vq, net->ctrl_chain)) == VIRTQ_GOT_CHAIN)
			serve_chain(net, vq, net->ctrl_chain);
		if (r == VIRTQ_BROKEN) {
			virtio_dev_needs_reset(&net->vdev);
			return;
		}
	} while (virtq_set_kicks(vq, true));
	if (virtq_should_interrupt(vq))
		virtio_dev_interrupt(&net->vdev, 1ULL << (2 * net->npairs));
}

static void *ctrl_thread(void *arg)
{
	struct virtio_net *net = arg;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t v;

	pthread_setname_np(pthread_self(), "net-ctrl");
	if (epfd < 0)
		return NULL;
	ev.data.fd = net->ctrl_kick_fd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, net->ctrl_kick_fd, &ev);
	ev.data.fd = net->ctrl_worker.stop_fd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, net->ctrl_worker.stop_fd, &ev);
	for (;;) {
		struct epoll_event got;

		if (epoll_wait(epfd, &got, 1, -1) < 1)
			continue;
		if (got.data.fd == net->ctrl_worker.stop_fd)
			break;
		if (read(net->ctrl_kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
		net_ctrl_process(net);
	}
	close(epfd);
	return NULL;
}

int net_ctrl_start(struct virtio_net *net)
{
	return tvm_worker_start(&net->ctrl_worker, ctrl_thread, net) ? -1 : 0;
}

void net_ctrl_stop(struct virtio_net *net)
{
	tvm_worker_stop(&net->ctrl_worker);
}
