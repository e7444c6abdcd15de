// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=netmq: multi-queue checks. Reads and changes the channel
 * count with the ethtool ioctls, runs parallel verified TCP streams (one per
 * vCPU, pinned) and shows from the driver's per-queue statistics that more
 * than one queue pair carried traffic. Peer: tinyvmm-netpeer serve-multi.
 * guest-test.single=1 also runs one verified stream while the channel count
 * is 1 (after ETHTOOL_SCHANNELS 1, before going back to the maximum); its
 * peer then serves two rounds: serve-multi ADDR BYTES 1,MAX TIMEOUT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ethtool.h"
#include "net.h"
#include "nettest.h"
#include "pattern.h"
#include "say.h"

#define IFNAME "eth0"
#define MAX_STREAMS 16

static int ethtool(void *cmd)
{
	return eth_ioctl(IFNAME, cmd);
}

static int get_channels(struct ethtool_channels *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->cmd = ETHTOOL_GCHANNELS;
	return ethtool(ch);
}

static int set_combined(unsigned int n)
{
	struct ethtool_channels ch;

	if (get_channels(&ch))
		return -1;
	ch.cmd = ETHTOOL_SCHANNELS;
	ch.combined_count = n;
	return ethtool(&ch);
}

/* Driver statistics "rx_queue_N_packets" / "tx_queue_N_packets". */
static int read_queue_stats(struct ethq_counters *qs)
{
	return eth_queue_counters(IFNAME, "packets", qs);
}

struct stream {
	pthread_t thread;
	unsigned int index, cpus;
	const char *peer;
	uint64_t bytes;
	struct nettest_result tx, rx;
	int ok;
};

static void *stream_main(void *arg)
{
	struct stream *st = arg;
	cpu_set_t set;
	int fd;

	/* One stream per vCPU: the driver picks the TX queue by CPU (XPS). */
	CPU_ZERO(&set);
	CPU_SET(st->index % st->cpus, &set);
	sched_setaffinity(0, sizeof(set), &set);
	fd = nettest_connect(st->peer, 100, 200);
	if (fd < 0)
		return NULL;
	st->ok = nettest_send(fd, st->bytes, &st->tx) == 0 &&
		 nettest_recv(fd, st->bytes, &st->rx) == 0;
	close(fd);
	return NULL;
}

static int run_streams(const char *peer, unsigned int n, unsigned int cpus, uint64_t bytes)
{
	static struct stream st[MAX_STREAMS];
	int ok = 1;

	for (unsigned int i = 0; i < n; i++) {
		st[i] = (struct stream){ .index = i, .cpus = cpus, .peer = peer, .bytes = bytes };
		pthread_create(&st[i].thread, NULL, stream_main, &st[i]);
	}
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(st[i].thread, NULL);
		guest_say("netmq", "stream %u: tx %llu rx %llu (good %llu) verified=%s", i,
		    (unsigned long long)st[i].tx.bytes, (unsigned long long)st[i].rx.bytes,
		    (unsigned long long)st[i].rx.good, st[i].ok ? "yes" : "NO");
		ok &= st[i].ok;
	}
	return ok ? 0 : -1;
}

static unsigned int queues_used(const uint64_t *before, const uint64_t *after, unsigned int n,
				char *desc, size_t size)
{
	unsigned int used = 0;
	size_t off = 0;

	desc[0] = '\0';
	for (unsigned int q = 0; q < n; q++) {
		uint64_t d = after[q] - before[q];

		off += (size_t)snprintf(desc + off, size - off, " q%u=%llu", q, (unsigned long long)d);
		used += d > 0;
	}
	return used;
}

int guest_netmq_run(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct ethtool_channels ch;
	struct ethq_counters before, after;
	unsigned int max, streams, rx_used, tx_used;
	char rxd[256], txd[256], buf[16];

	if (guest_net_setup("169.254.0.2") || get_channels(&ch)) {
		guest_say("netmq", "error: eth0 setup or ETHTOOL_GCHANNELS failed: %s", strerror(errno));
		return -1;
	}
	max = ch.max_combined;
	guest_say("netmq", "channels: max_combined=%u combined=%u cpus=%ld", max, ch.combined_count, cpus);
	if (max < 2) {
		guest_say("netmq", "error: the device offers no multi-queue");
		return -1;
	}
	if (set_combined(1) || get_channels(&ch) || ch.combined_count != 1) {
		guest_say("netmq", "error: ETHTOOL_SCHANNELS to 1 failed (now %u): %s",
			  ch.combined_count, strerror(errno));
		return -1;
	}
	guest_say("netmq", "channels set to 1: ok");
	/* guest-test.single=1: traffic on the one channel left (peer: serve-multi ... 1,N). */
	if (atoi(guest_net_opt("guest-test.single", "0", buf, sizeof(buf)))) {
		if (run_streams(guest_net_peer(), 1, (unsigned int)cpus, guest_net_bytes()))
			return -1;
		guest_say("netmq", "1 stream on 1 channel: verified");
	}
	if (set_combined(max) || get_channels(&ch) || ch.combined_count != max) {
		guest_say("netmq", "error: ETHTOOL_SCHANNELS to %u failed: %s", max, strerror(errno));
		return -1;
	}
	guest_say("netmq", "channels set to %u: ok", max);
	streams = max < MAX_STREAMS ? max : MAX_STREAMS;
	if (read_queue_stats(&before))
		guest_say("netmq", "warning: no per-queue statistics");
	if (run_streams(guest_net_peer(), streams, (unsigned int)cpus, guest_net_bytes()))
		return -1;
	read_queue_stats(&after);
	tx_used = queues_used(before.tx, after.tx, max, txd, sizeof(txd));
	rx_used = queues_used(before.rx, after.rx, max, rxd, sizeof(rxd));
	guest_say("netmq", "tx packets per queue:%s", txd);
	guest_say("netmq", "rx packets per queue:%s", rxd);
	guest_say("netmq", "queues with traffic: tx=%u rx=%u of %u", tx_used, rx_used, max);
	return tx_used > 1 || rx_used > 1 ? 0 : -1;
}
