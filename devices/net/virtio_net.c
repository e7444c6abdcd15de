// SPDX-License-Identifier: MIT
/* virtio-net device model (virtio 1.2 §5.1), independent of the backend. */
#include "devices/net/virtio_net.h"

#include <endian.h>
#include <errno.h>
#include <net/if.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/net/net_ctrl.h"
#include "devices/net/net_user.h"
#include "devices/net/net_vhost.h"
#include "vhost/tap.h"

static struct virtio_net *net_of(struct virtio_dev *dev)
{
	return dev->opaque;
}

static void net_config_access(struct virtio_dev *dev, uint64_t offset, uint8_t *data,
			      unsigned int len, bool is_write)
{
	struct virtio_net *net = net_of(dev);
	struct virtio_net_config cfg = { 0 };

	if (is_write)
		return;	/* MAC is read-only for VERSION_1 drivers */
	memcpy(cfg.mac, net->opts.mac, 6);
	cfg.status = htole16(__atomic_load_n(&net->link_status, __ATOMIC_RELAXED));
	cfg.max_virtqueue_pairs = htole16((uint16_t)net->npairs);
	memset(data, 0, len);
	if (offset < sizeof(cfg) && len <= sizeof(cfg) - offset)
		memcpy(data, (uint8_t *)&cfg + offset, len);
}

static bool net_features_ok(struct virtio_dev *dev, uint64_t features)
{
	return virtio_net_features_valid(features);
}

void virtio_net_link_down(struct virtio_net *net, const char *why)
{
	if (__atomic_exchange_n(&net->link_down, true, __ATOMIC_SEQ_CST))
		return;
	__atomic_store_n(&net->link_status, 0, __ATOMIC_SEQ_CST);
	virtio_dev_config_changed(&net->vdev);
	tvm_warn("TAP %s %s: the guest's link is now down; the guest keeps running",
		 net->opts.tap_name, why);
}

const char *virtio_net_packed_not_offered(const struct virtio_net *net)
{
	return net_packed_not_offered(net->opts.packed, net->vdev.device_features,
				      net->vdev.legacy);
}

/* What is really in effect, once the driver is up (stderr, one block). */
static void report_negotiation(struct virtio_net *net)
{
	struct virtio_dev *dev = &net->vdev;
	struct net_negotiation n = {
		.driver_features = dev->driver_features,
		.rx_size = dev->queues[0].size,
		.tx_size = dev->queues[1].size,
		.vhost = net->active_backend == NET_BACKEND_VHOST,
		.irq_direct = net->opts.irq_mode == NET_IRQ_DIRECT,
		.legacy = dev->legacy,
		.packed_asked = net->opts.packed,
		.packed_not_offered = virtio_net_packed_not_offered(net),
		.features_off = net->opts.features_off,
	};
	char report[1024];

	if (net->opts.quiet || !tvm_ratelimit(&net->activation_msgs))
		return;
	net_negotiation_report(&n, report, sizeof(report));
	fputs(report, stderr);
}

bool virtio_net_pair_ready(const struct virtio_net *net, unsigned int i)
{
	return net->vdev.queue_ready[2 * i] && net->vdev.queue_ready[2 * i + 1];
}

/* Set before start(): a failure part-way is undone through net_reset(). */
static int start_ops(struct virtio_net *net, const struct net_backend_ops *ops,
		     struct tvm_error *err)
{
	net->active_ops = ops;
	net->active_backend = ops->kind;
	return ops->start(net, err);
}

static int start_backend(struct virtio_net *net)
{
	struct tvm_error err;

	if (net->backend == NET_BACKEND_USERSPACE)
		return start_ops(net, &net_user_backend, &err);
	if (start_ops(net, &net_vhost_backend, &err) == 0)
		return 0;
	net->active_ops = NULL;	/* vhost undid itself */
	if (net->opts.vhost == NET_VHOST_ON) {
		if (tvm_ratelimit(&net->activation_msgs))
			tvm_warn("%s; the device needs a reset", err.msg);
		return -1;
	}
	/* auto: the negotiated features work in userspace too, so carry on. */
	if (tvm_ratelimit(&net->activation_msgs))
		tvm_warn("%s; using userspace virtio-net (Tier 2) for this session", err.msg);
	return start_ops(net, &net_user_backend, &err);
}

static void net_reset(struct virtio_dev *dev);

/*
 * The TAP's vnet header must be the one the driver negotiated (10 bytes
 * for a legacy driver without MRG_RXBUF): the TAP, Tier 2's worker and
 * vhost-net (from VHOST_SET_FEATURES) all frame with it.
 */
static int set_tap_hdr_len(struct virtio_net *net, unsigned int hdr_len)
{
	for (unsigned int i = 0; i < net->npairs; i++) {
		/* EBADFD: the TAP was deleted; it carries no frames of either size. */
		if (tap_set_vnet_hdr_size(net->pairs[i].tap_fd, (int)hdr_len) < 0 &&
		    errno != EBADFD) {
			if (tvm_ratelimit(&net->activation_msgs))
				tvm_warn("TAP %s: TUNSETVNETHDRSZ %u failed: %s; the device needs a reset",
					 net->opts.tap_name, hdr_len, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int net_activate(struct virtio_dev *dev)
{
	struct virtio_net *net = net_of(dev);
	unsigned int offloads = virtio_net_tun_offloads(dev->driver_features);

	/* Steps 10-11 of the vhost-net map (vhost/vhost_net.c), for every backend. */
	if (set_tap_hdr_len(net, virtio_net_hdr_len(dev->driver_features)))
		return -1;
	for (unsigned int i = 0; i < net->npairs; i++) {
		/* 11. Only after negotiation do we know which offloads the guest takes. */
		/* Said once: the guest decides how often we get here. */
		if (tap_set_offload(net->pairs[i].tap_fd, offloads) < 0 && !net->offload_warned) {
			net->offload_warned = true;
			tvm_warn("TAP %s: TUNSETOFFLOAD 0x%x failed: %s (said once)",
				 net->opts.tap_name, offloads, strerror(errno));
		}
	}
	if (!virtio_net_pair_ready(net, 0))
		return -1;	/* nothing to serve: a broken driver */
	if (start_backend(net))
		goto undo;
	/* §5.1.6.5.5: until VQ_PAIRS_SET, only the first pair carries traffic. */
	net_set_active_pairs(net, 1);
	if (net->has_ctrl && net_ctrl_start(net))
		goto undo;
	net->activations++;
	net->negotiated_features = dev->driver_features;
	for (unsigned int q = 0; q < dev->nqueues; q++)
		net->negotiated_sizes[q] = dev->queues[q].size;
	report_negotiation(net);
	return 0;
undo:
	/*
	 * The transport will not call reset() for a device that never became
	 * active: stop whatever did start, or it would outlive guest RAM.
	 */
	net_reset(dev);
	return -1;
}

static void net_reset(struct virtio_dev *dev)
{
	struct virtio_net *net = net_of(dev);

	net_ctrl_stop(net);
	if (net->active_ops)
		net->active_ops->stop(net);
	net->active_ops = NULL;
}

static void net_notify(struct virtio_dev *dev, unsigned int queue)
{
	struct virtio_net *net = net_of(dev);
	struct net_queue_pair *pair;

	if (net->has_ctrl && queue == 2 * net->npairs) {
		eventfd_signal(net->ctrl_kick_fd);
		return;
	}
	if (queue / 2 >= net->npairs)
		return;
	pair = &net->pairs[queue / 2];
	/* Same path as an ioeventfd kick: wake the pair's worker. */
	eventfd_signal(pair->kick_fd[queue % 2]);
}

/* The transport moved a queue's irqfd (vdev->lock held): the backend follows. */
static void net_queue_irqfds_changed(struct virtio_dev *dev)
{
	struct virtio_net *net = net_of(dev);

	if (net->active_ops && net->active_ops->irqfds_changed)
		net->active_ops->irqfds_changed(net);
}

static const struct virtio_dev_ops net_ops = {
	.queue_irqfds_changed = net_queue_irqfds_changed,
	.activate = net_activate,
	.reset = net_reset,
	.notify = net_notify,
	.config_access = net_config_access,
	.features_ok = net_features_ok,
};

static void net_mark_fds_closed(struct virtio_net *net)
{
	net->ctrl_kick_fd = net->tap_gone_fd = net->monitor_epfd = -1;
	tvm_worker_clear(&net->monitor);
	tvm_worker_clear(&net->ctrl_worker);
	for (unsigned int i = 0; i < NET_MAX_QUEUE_PAIRS; i++) {
		struct net_queue_pair *pair = &net->pairs[i];

		pair->tap_fd = pair->kick_fd[0] = pair->kick_fd[1] = -1;
		tvm_worker_clear(&pair->worker);
		pair->call_fd[0] = pair->call_fd[1] = pair->vhost.fd = -1;
		pair->call_used[0] = pair->call_used[1] = -1;
		pair->err_fd[0] = pair->err_fd[1] = -1;
	}
}

static int init_pair(struct virtio_net *net, unsigned int i, struct tvm_error *err)
{
	struct net_queue_pair *pair = &net->pairs[i];

	pair->net = net;
	pair->index = i;
	pair->tap_fd = tap_open(net->opts.tap_name, net->npairs > 1, err);
	if (pair->tap_fd < 0)
		return -1;
	pair->kick_fd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pair->kick_fd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pair->rx_frame = malloc(NET_RX_FRAME_MAX);
	pair->chains = calloc(NET_RX_MAX_MERGE, sizeof(*pair->chains));
	if (pair->kick_fd[0] < 0 || pair->kick_fd[1] < 0 || tvm_worker_open(&pair->worker) ||
	    !pair->rx_frame || !pair->chains)
		return tvm_fail_kind(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				     "virtio-net: out of memory or fds");
	return 0;
}

/* Decide the backend before offering features: they depend on it. */
static int choose_backend(struct virtio_net *net, struct tvm_error *err)
{
	struct tvm_error why;

	net->backend = NET_BACKEND_USERSPACE;
	if (net->opts.vhost == NET_VHOST_OFF)
		return 0;
	if (net_vhost_open(net, &why) == 0) {
		net->backend = NET_BACKEND_VHOST;
		/* Asked for explicitly: a kernel without it is an error, not a reason for Tier 2. */
		for (unsigned int i = 0; i < net->npairs && net->opts.vhost_poll_us; i++)
			if (vhost_net_set_busyloop(&net->pairs[i].vhost, net->opts.vhost_poll_us, err))
				return -1;
		return 0;
	}
	net_vhost_close(net);
	if (net->opts.vhost == NET_VHOST_ON) {
		*err = why;
		return -1;
	}
	memcpy(net->vhost_unavailable, why.msg, sizeof(net->vhost_unavailable));
	return 0;
}

int virtio_net_init(struct virtio_net *net, const struct net_options *opts,
		    const struct guest_mem *mem, struct tvm_error *err)
{
	unsigned int nqueues;

	memset(net, 0, sizeof(*net));
	/* Every fd -1 before the first way out: destroy() must never close(0). */
	net_mark_fds_closed(net);
	net->opts = *opts;
	net->npairs = opts->queues ? opts->queues : 1;
	net->activation_msgs = (struct tvm_ratelimit)TVM_RATELIMIT_INIT(32, 60);
	net->ctrl_msgs = (struct tvm_ratelimit)TVM_RATELIMIT_INIT(32, 60);
	net->has_ctrl = net->npairs > 1;
	net->active_pairs = 1;
	net->link_status = VIRTIO_NET_S_LINK_UP;
	/* Queues exist before anything can fail, so destroy() is always safe. */
	nqueues = 2 * net->npairs + (net->has_ctrl ? 1 : 0);
	virtio_dev_init(&net->vdev, VIRTIO_ID_NET, 0, nqueues, NET_QUEUE_SIZE_MAX, mem,
			&net_ops, net);
	if (net->npairs > NET_MAX_QUEUE_PAIRS)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "at most %d queue pairs", NET_MAX_QUEUE_PAIRS);
	net->tap_gone_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (net->tap_gone_fd < 0)
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "virtio-net: eventfd: %s", strerror(errno));
	net->vdev.device_features = virtio_net_device_features(opts->packed, net->npairs,
							       opts->features_off);
	for (unsigned int i = 0; i < net->npairs; i++)
		if (init_pair(net, i, err))
			return -1;
	/* Every queue of one TAP takes the same offloads: pair 0 speaks for all. */
	net->tap_offloads = tap_probe_offloads(net->pairs[0].tap_fd);
	net->vdev.device_features |= virtio_net_udp_gso_features(net->tap_offloads);
	if (net->has_ctrl) {
		net->ctrl_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		net->ctrl_chain = calloc(1, sizeof(*net->ctrl_chain));
		net->ctrl_buf = malloc(NET_CTRL_MAX_CMD);
		if (net->ctrl_kick_fd < 0 || tvm_worker_open(&net->ctrl_worker) || !net->ctrl_chain ||
		    !net->ctrl_buf)
			return tvm_fail_kind(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
					     "virtio-net: out of memory or fds");
	}
	if (choose_backend(net, err))
		return -1;
	if (net->backend == NET_BACKEND_VHOST) {
		net->vdev.device_features = vhost_net_guest_features(net->vdev.device_features,
								     net_vhost_features(net));
	}
	/* A TAP we just created is down; an existing one keeps its state. */
	tap_set_up(opts->tap_name);
	net->tap_ifindex = (int)if_nametoindex(opts->tap_name);
	return 0;
}

int virtio_net_start_monitor(struct virtio_net *net, struct tvm_error *err)
{
	if (net->backend == NET_BACKEND_VHOST && net_vhost_monitor_start(net))
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "cannot start the vhost-net monitor thread: %s",
				      strerror(errno));
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void virtio_net_destroy(struct virtio_net *net)
{
	/* The monitor takes the transport's lock: stop it first. */
	net_vhost_monitor_stop(net);
	virtio_dev_destroy(&net->vdev);
	net_vhost_close(net);
	close_fd(&net->ctrl_kick_fd);
	tvm_worker_close(&net->ctrl_worker);
	close_fd(&net->tap_gone_fd);
	free(net->ctrl_chain);
	free(net->ctrl_buf);
	net->ctrl_chain = NULL;
	net->ctrl_buf = NULL;
	for (unsigned int i = 0; i < NET_MAX_QUEUE_PAIRS; i++) {
		struct net_queue_pair *pair = &net->pairs[i];

		close_fd(&pair->tap_fd);
		close_fd(&pair->kick_fd[0]);
		close_fd(&pair->kick_fd[1]);
		tvm_worker_close(&pair->worker);
		free(pair->rx_frame);
		free(pair->chains);
		pair->rx_frame = NULL;
		pair->chains = NULL;
	}
}

bool virtio_net_workers_batch(const struct virtio_net *net)
{
	/* Before the first DRIVER_OK the rings have the backend chosen at start-up. */
	enum net_backend serving = net->activations ? net->active_backend : net->backend;
	bool refused = serving == NET_BACKEND_VHOST ? net->vhost_batch_refused :
			__atomic_load_n(&net->user_batch_refused, __ATOMIC_RELAXED);

	return net->opts.worker_batch && !refused;
}
