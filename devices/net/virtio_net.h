/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VIRTIO_NET_H
#define TINYVMM_VIRTIO_NET_H

#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/net/net_features.h"
#include "devices/net/net_poll.h"
#include "devices/virtio/virtio_dev.h"
#include "vhost/vhost_net.h"
#include "vhost/vhost_workers.h"
#include "lib/util.h"

#define NET_MAX_QUEUE_PAIRS	16
#define NET_QUEUE_SIZE_MAX	1024
#define NET_RX_FRAME_MAX	(65536 + 14 + 4 + 12)	/* GSO frame + VLAN + vnet header */
/*
 * The longest TX chain a TAP can take: the vnet header, a 64 KiB GSO frame
 * and its Ethernet header (VLAN tag included). Longer ones are dropped
 * unsent: tun cannot allocate them (ENOBUFS) however often it is asked.
 */
#define NET_TX_FRAME_MAX	NET_RX_FRAME_MAX
/* Times one TX chain is offered to a TAP that refuses it for now, then dropped. */
#define NET_TX_TRIES		8
#define NET_RX_MAX_MERGE	64	/* buffers one merged RX frame may span */

enum net_backend { NET_BACKEND_USERSPACE, NET_BACKEND_VHOST };

/* Whether to use vhost-net: try it and fall back, insist, or never. */
enum net_vhost_mode { NET_VHOST_AUTO, NET_VHOST_ON, NET_VHOST_OFF };

/* How vhost's "call" reaches the guest (docs/vhost-net.md compares them). */
enum net_irq_mode {
	NET_IRQ_DIRECT,	/* call eventfd is a KVM irqfd; InterruptStatus reports VRING */
	NET_IRQ_RELAY,	/* a tinyvmm thread sets InterruptStatus, then raises the line */
};

struct net_options {
	const char *tap_name;
	uint8_t mac[6];
	bool packed;		/* offer VIRTIO_F_RING_PACKED (userspace backend only) */
	uint64_t features_off;	/* feature bits never offered (--no-event-idx, --no-mrg-rxbuf) */
	enum net_vhost_mode vhost;
	enum net_irq_mode irq_mode;
	unsigned int vhost_poll_us;	/* vhost busy-poll time per ring, 0 = off */
	unsigned int worker_poll_us;	/* Tier 2 worker's longest poll, 0 = off */
	bool worker_batch;	/* the queues' workers, Tier 2's or vhost-net's, run SCHED_BATCH */
	unsigned int queues;	/* queue pairs; > 1 offers MQ and a control queue */
	bool quiet;		/* no negotiation report */
};

/* Counters only (uint64_t each): net_pair_stats_read() relies on it. */
struct net_pair_stats {
	uint64_t rx_packets, rx_bytes, rx_dropped;
	uint64_t tx_packets, tx_bytes, tx_dropped;
	uint64_t rx_kicks, tx_kicks, interrupts;
	uint64_t interrupts_saved;	/* passes where TX and RX shared one edge */
	uint64_t rx_waits;	/* RX slept for lack of guest buffers */
	uint64_t tx_waits;	/* TX slept until the TAP had room again */
	uint64_t tx_oversize;	/* TX frames longer than NET_TX_FRAME_MAX: dropped */
	uint64_t tx_refused;	/* TX frames the TAP refused NET_TX_TRIES times: dropped */
	uint64_t worker_wakeups;	/* returns from epoll_wait: a spinning worker shows here */
	uint64_t polls_found;	/* --worker-poll-us: polls that found work (no sleep) */
	uint64_t polls_missed;	/* polls that ran out: the worker slept after all */
};

struct virtio_net;
struct net_vhost_guard;

/* One RX/TX virtqueue pair, its TAP queue and the thread serving them. */
struct net_queue_pair {
	struct virtio_net *net;
	unsigned int index;
	int tap_fd;
	int kick_fd[2];		/* [0] RX, [1] TX: KVM ioeventfds for QueueNotify */
	int call_fd[2];		/* vhost -> guest interrupt requests, relayed (or mmio's irqfd) */
	int call_used[2];	/* what vhost signals now: call_fd or the queue's vector irqfd */
	int err_fd[2];		/* vhost gave up on the ring (VHOST_SET_VRING_ERR) */
	struct vhost_net vhost;
	struct tvm_worker worker;	/* Tier 2: the thread serving this pair */
	bool rx_waiting;	/* out of RX buffers: TAP not polled until a kick */
	bool tx_blocked;	/* the TAP refused a frame: wait for EPOLLOUT or tx_retry_ns */
	unsigned int tx_tries;	/* refusals of the chain at the head of TX so far */
	uint64_t tx_retry_ns;	/* ENOBUFS: retry then (CLOCK_MONOTONIC), 0: at EPOLLOUT */
	unsigned int irq_pending;	/* rings of this pass that want an interrupt */
	bool tap_gone;		/* the TAP was deleted under us: never poll it again */
	bool tap_gone_reported;	/* tap_gone_fd written for this loss */
	bool tap_watched;	/* the TAP is in the worker's epoll set */
	uint32_t tap_events;	/* what it is registered for there */
	uint8_t *rx_frame;	/* one frame read from the TAP, not yet delivered */
	size_t rx_frame_len;
	struct virtq_chain *chains;	/* scratch: NET_RX_MAX_MERGE chains */
	struct net_poll poll;	/* Tier 2: how long to spin before sleeping */
	struct net_pair_stats stats;
};

/*
 * A data path for the rings: userspace (net_user.c, Tier 2) or vhost-net
 * (net_vhost.c, Tiers 1A/1B). start() at DRIVER_OK; stop() at reset, and
 * to undo a start() that failed part-way.
 */
struct net_backend_ops {
	enum net_backend kind;
	int (*start)(struct virtio_net *net, struct tvm_error *err);
	void (*stop)(struct virtio_net *net);
	/* Optional: virtio_dev_queue_irqfd() may answer differently now (lock held). */
	void (*irqfds_changed)(struct virtio_net *net);
};

struct virtio_net {
	struct virtio_dev vdev;		/* on whichever transport the VM attaches */
	struct net_options opts;
	uint16_t link_status;
	unsigned int npairs;
	struct net_queue_pair pairs[NET_MAX_QUEUE_PAIRS];
	enum net_backend backend;	/* chosen at start-up */
	enum net_backend active_backend;	/* serving the rings now */
	const struct net_backend_ops *active_ops;	/* its ops, NULL when none runs */
	char vhost_unavailable[512];	/* why not vhost, when it was wanted */
	bool link_down;			/* reported to the guest once */
	/* A worker refused SCHED_BATCH: vhost-net's at start-up, Tier 2's (atomic). */
	bool vhost_batch_refused;
	bool user_batch_refused;
	struct vhost_workers vhost_workers;	/* vhost-net's, in the order found (net_vhost.c) */
	/* The last negotiation, kept across a driver reset (for reports). */
	unsigned int activations;
	uint64_t negotiated_features;
	uint16_t negotiated_sizes[VIRTIO_MAX_QUEUES];
	int tap_ifindex;		/* to recognise its removal (rtnetlink) */
	/*
	 * Written by a worker that found the TAP gone; the main loop reads it
	 * and calls virtio_net_link_down() (workers never take the lock).
	 */
	int tap_gone_fd;
	unsigned int tap_offloads;	/* optional TUN_F_* the TAP accepts (UFO, USO) */
	/* vhost backends: the thread watching err_fd (and call_fd unless it is KVM's). */
	struct tvm_worker monitor;
	int monitor_epfd;		/* its watch set, made before it starts */
	uint64_t vhost_errors;		/* ring errors vhost-net reported */
	struct net_vhost_guard *vhost_guard;	/* the spin watchdog (net_vhost_guard.h) */
	uint64_t vhost_stalls;		/* pairs it stopped: a worker spinning in place */
	uint64_t irqfd_direct_starts;	/* vhost rings started on a transport irqfd (a vector's) */
	uint64_t irqfd_moves;		/* rings re-pointed at another irqfd while live */
	/* Control queue (multi-queue only): the last virtqueue. */
	bool has_ctrl;
	unsigned int active_pairs;	/* as set by VQ_PAIRS_SET */
	int ctrl_kick_fd;
	struct tvm_worker ctrl_worker;
	struct virtq_chain *ctrl_chain;
	uint8_t *ctrl_buf;
	/* What the guest can make us print: activations (under the lock), ctrl thread. */
	struct tvm_ratelimit activation_msgs, ctrl_msgs;
	bool offload_warned;		/* TUNSETOFFLOAD failure said once */
};

int virtio_net_init(struct virtio_net *net, const struct net_options *opts,
		    const struct guest_mem *mem, struct tvm_error *err);
/*
 * Start the vhost-net monitor thread (nothing to do for Tier 2), once the
 * transport is attached: its watch set depends on it.
 */
int virtio_net_start_monitor(struct virtio_net *net, struct tvm_error *err);
void virtio_net_destroy(struct virtio_net *net);

/*
 * The TAP went away (deleted on the host): clear VIRTIO_NET_S_LINK_UP and
 * send a config-change interrupt, once. The guest keeps running.
 */
void virtio_net_link_down(struct virtio_net *net, const char *why);

/* Why the packed ring was asked for (not --no-packed) but not offered, or NULL. */
const char *virtio_net_packed_not_offered(const struct virtio_net *net);

/*
 * --worker-sched batch is in force: every worker serving the rings now,
 * Tier 2's or vhost-net's, took SCHED_BATCH. After a fall-back to Tier 2
 * that is Tier 2's, whatever vhost-net's did. For reports.
 */
bool virtio_net_workers_batch(const struct virtio_net *net);

/* Both rings of pair @i set up by the driver (it may leave extra pairs out). */
bool virtio_net_pair_ready(const struct virtio_net *net, unsigned int i);

#endif
