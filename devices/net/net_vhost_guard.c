// SPDX-License-Identifier: MIT
/* The vhost spin watchdog on a virtio-net device (see net_vhost_guard.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "devices/net/net_vhost_guard.h"
#include "devices/net/net_vhost_watchdog.h"
#include "devices/net/virtio_net.h"
#include "lib/dev_lock.h"
#include "vhost/vhost_workers.h"

struct net_vhost_guard {
	struct vhost_watchdog wd;
	struct virtio_net *net;
	int wake_fd;		/* arm(): the monitor picks up its new timeout */
	int stat_fd[VHOST_WD_MAX_PAIRS];	/* each pair's worker's /proc stat */
	int worker[VHOST_WD_MAX_PAIRS];		/* its pid or tid, 0: none found */
};

static int worker_ticks(void *ctx, unsigned int pair, uint64_t *ticks)
{
	struct net_vhost_guard *g = ctx;
	char buf[1024];
	ssize_t n;

	if (g->stat_fd[pair] < 0)
		return -1;
	n = pread(g->stat_fd[pair], buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return vhost_wd_parse_stat(buf, ticks);
}

/*
 * vhost's own last_avail_idx. VHOST_GET_VRING_BASE only reads it, under
 * the device's and the ring's mutex (drivers/vhost/vhost.c
 * vhost_vring_ioctl, 6.1 and 6.12): the ring keeps running.
 */
static int ring_pos(void *ctx, unsigned int pair, unsigned int ring, uint16_t *pos)
{
	struct net_vhost_guard *g = ctx;
	struct vhost_vring_state state = { .index = ring };

	/* It waits for vhost's ring mutex (one worker pass at most): no device lock. */
	dev_lock_assert_none("VHOST_GET_VRING_BASE");
	if (ioctl(g->net->pairs[pair].vhost.fd, VHOST_GET_VRING_BASE, &state) < 0)
		return -1;
	*pos = (uint16_t)state.num;
	return 0;
}

int net_vhost_guard_open(struct virtio_net *net)
{
	struct net_vhost_guard *g = calloc(1, sizeof(*g));
	struct vhost_wd_source src = { .worker_ticks = worker_ticks, .ring_pos = ring_pos };

	if (!g)
		return -1;
	g->net = net;
	src.ctx = g;
	src.ticks_per_sec = sysconf(_SC_CLK_TCK);
	if (src.ticks_per_sec <= 0)
		src.ticks_per_sec = 100;
	vhost_wd_init(&g->wd, net->npairs, &src);
	for (unsigned int i = 0; i < VHOST_WD_MAX_PAIRS; i++)
		g->stat_fd[i] = -1;
	g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->wake_fd < 0) {
		free(g);
		return -1;
	}
	net->vhost_guard = g;
	return 0;
}

/* Watch @id's /proc stat (opened now: seccomp and --user come later). */
void net_vhost_guard_watch_worker(struct virtio_net *net, unsigned int pair,
				  enum vhost_workers_kind kind, int id)
{
	struct net_vhost_guard *g = net->vhost_guard;
	char path[128];

	if (!g || pair >= VHOST_WD_MAX_PAIRS)
		return;
	if (kind == VHOST_WORKERS_THREADS)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", getpid(), id);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", id);
	g->stat_fd[pair] = open(path, O_RDONLY | O_CLOEXEC);
	if (g->stat_fd[pair] >= 0)
		g->worker[pair] = id;
}

void net_vhost_guard_close(struct virtio_net *net)
{
	struct net_vhost_guard *g = net->vhost_guard;

	if (!g)
		return;
	for (unsigned int i = 0; i < VHOST_WD_MAX_PAIRS; i++)
		if (g->stat_fd[i] >= 0)
			close(g->stat_fd[i]);
	close(g->wake_fd);
	free(g);
	net->vhost_guard = NULL;
}

int net_vhost_guard_wake_fd(const struct virtio_net *net)
{
	return net->vhost_guard ? net->vhost_guard->wake_fd : -1;
}

void net_vhost_guard_arm(struct virtio_net *net)
{
	if (!net->vhost_guard)
		return;
	vhost_wd_arm(&net->vhost_guard->wd);
	eventfd_signal(net->vhost_guard->wake_fd);
}

void net_vhost_guard_disarm(struct virtio_net *net)
{
	/* No wake-up: the monitor finds it disarmed at its next one. */
	if (net->vhost_guard)
		vhost_wd_disarm(&net->vhost_guard->wd);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int net_vhost_guard_timeout_ms(struct virtio_net *net)
{
	return net->vhost_guard ? vhost_wd_timeout_ms(&net->vhost_guard->wd, now_ms()) : -1;
}

/*
 * Detach the spinning pairs' backends and ask the guest for a reset, as
 * ring_error() does for a ring vhost gave up on. Only if the session the
 * samples came from still runs: a reset in between has stopped it already.
 */
static void stop_spinning(struct virtio_net *net, uint32_t pairs, uint64_t generation)
{
	struct net_vhost_guard *g = net->vhost_guard;
	struct virtio_dev *dev = &net->vdev;

	dev_lock(&dev->lock);
	if (dev->active && net->active_backend == NET_BACKEND_VHOST &&
	    vhost_wd_generation(&g->wd) == generation) {
		for (unsigned int i = 0; i < g->wd.npairs; i++) {
			if (!(pairs & 1u << i))
				continue;
			/* Said once: a hostile guest must not be able to flood stderr. */
			if (++net->vhost_stalls == 1)
				tvm_warn("vhost-net: queue pair %u's worker (%d) used %u %%+ of a core for %u s without moving a ring (a TX chain the TAP refuses, retried for ever): its backend is stopped and the device needs a reset (guest driver re-init); later ones are only counted (vhost_stalls in --report-json)",
					 i, g->worker[i], VHOST_WD_BUSY_PERCENT,
					 VHOST_WD_STALL_TICKS * VHOST_WD_PERIOD_MS / 1000);
			vhost_net_stop(&net->pairs[i].vhost);
		}
		virtio_dev_needs_reset(dev);
	}
	dev_unlock(&dev->lock);
}

void net_vhost_guard_run(struct virtio_net *net)
{
	struct net_vhost_guard *g = net->vhost_guard;
	uint64_t generation;
	uint32_t spinning;

	if (!g)
		return;
	generation = vhost_wd_generation(&g->wd);
	spinning = vhost_wd_tick(&g->wd, now_ms());
	if (spinning)
		stop_spinning(net, spinning, generation);
}
