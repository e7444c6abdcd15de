/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_NET_CTRL_H
#define TINYVMM_NET_CTRL_H

#include <stddef.h>
#include <stdint.h>

#include "devices/net/virtio_net.h"

/* What a well-formed control command asks tinyvmm to do. */
enum net_ctrl_action {
	NET_CTRL_NONE,		/* accepted, nothing to change (RX mode, MAC, VLAN) */
	NET_CTRL_SET_PAIRS,	/* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET */
};

struct net_ctrl_cmd {
	enum net_ctrl_action action;
	unsigned int pairs;
};

/*
 * Parse one control command (class, command, data) as the driver wrote it.
 * Returns VIRTIO_NET_OK or VIRTIO_NET_ERR (the ack byte for the guest); the
 * guest is untrusted, so every length is checked against @len.
 */
uint8_t net_ctrl_parse(const uint8_t *buf, size_t len, unsigned int max_pairs,
		       struct net_ctrl_cmd *cmd);

/* Serve every pending chain on the control queue. */
void net_ctrl_process(struct virtio_net *net);

/* Thread that waits for control-queue kicks. */
int net_ctrl_start(struct virtio_net *net);
void net_ctrl_stop(struct virtio_net *net);

/* Attach TAP queues [0, n) and detach the rest (TUNSETQUEUE). */
int net_set_active_pairs(struct virtio_net *net, unsigned int n);

#define NET_CTRL_MAX_CMD 65536	/* a MAC table of ~10k entries; more is hostile */

#endif
