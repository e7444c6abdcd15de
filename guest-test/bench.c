// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=bench: the guest side of scripts/bench. Same transfers as
 * the net and netmq modes (pattern-verified TCP with tinyvmm-netpeer), but
 * arranged so the host can take before/after snapshots (KVM exit counters,
 * VMM RSS) around each measured phase, and with the guest's own virtio
 * interrupt counts from /proc/interrupts printed around each phase.
 *
 * Console protocol (one line each, the host acts on them):
 *   guest-test: bench rings rx=N tx=N     (ring sizes in use, ETHTOOL_GRINGPARAM)
 *   guest-test: bench channels combined=N max=M   (queue pairs on / offered)
 *   guest-test: bench ready irq=N
 *       eth0 is up; the host snapshots and starts the peer of the first
 *       phase. The guest retries its connect until the peer listens.
 *   guest-test: bench single bytes=B tx_ok=yes rx_ok=yes tx_MBs=X rx_MBs=Y irq=N
 *       a `single` phase is done (1 stream, B each way; peer: `tinyvmm-netpeer
 *       serve ADDR B T`); the host snapshots and starts the next phase's peer.
 *   guest-test: bench multi streams=S bytes=B ok=yes tx_MBs=X rx_MBs=Y irq=N
 *                     [txq=Q rxq=Q tx_bytes=B,B,.. rx_bytes=B,B,..]
 *       a `multi` phase is done (S parallel streams, B each way each; peer:
 *       `serve-multi ADDR B S T`, which receives every stream before it sends
 *       on any, so the two directions do not overlap). tx_MBs: guest->host
 *       aggregate at the sender (the peer prints the receiver's); rx_MBs:
 *       host->guest aggregate from the first byte received to the last.
 *       txq/rxq: the TX/RX queues that carried at least 5% of the bytes
 *       of that direction in the phase (so: guest->host and host->guest
 *       data; a queue with only the other direction's ACKs stays below),
 *       from the driver's per-queue statistics; tx_bytes/rx_bytes: the bytes
 *       per queue pair (of the pairs enabled).
 *       After the last phase the guest connects once more and closes: the
 *       host listens (serve 0 bytes) only once it has read its counters, so
 *       the VM is still alive for the final snapshot.
 *   guest-test: bench done
 * Nothing else is printed inside a measured phase (console output costs
 * exits). irq= is the sum over all CPUs of the /proc/interrupts lines whose
 * name contains "virtio" (virtio-mmio: one line per device).
 *
 * Options: guest-test.ip=, guest-test.peer=, guest-test.bytes= (as net) and
 * guest-test.streams=, which picks the phases:
 *   S (one number; default 1)  a `single` phase, then, when S > 1, a `multi`
 *                              phase of S streams (scripts/bench)
 *   A,B,... (a list, a comma)  one `multi` phase per entry, in that order,
 *                              1 included (scripts/bench --matrix: "1,2,4")
 * guest-test.cpu=N pins the `single` phase to vCPU N (default: not pinned).
 * Stream i of S runs pinned to vCPU i * cpus / S: spread over the vCPUs, so
 * that the driver's XPS map (contiguous groups of CPUs per TX queue) can put
 * the streams on different queue pairs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
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
#include "irqs.h"
#include "net.h"
#include "nettest.h"
#include "pattern.h"
#include "say.h"

#define MAX_STREAMS 16
#define MAX_PHASES 8
#define PHASE_SINGLE 0	/* in a phase list: the 1-stream `single` phase */

/* SIOCETHTOOL on eth0 with command block @cmd. */
static int ethtool(void *cmd)
{
	return eth_ioctl("eth0", cmd);
}

/* Ring sizes the driver uses (QEMU may cap what its command line asked). */
static void report_rings(void)
{
	struct ethtool_ringparam rp = { .cmd = ETHTOOL_GRINGPARAM };

	if (ethtool(&rp) == 0)
		guest_say("bench", "rings rx=%u tx=%u", rp.rx_pending, rp.tx_pending);
}

/* Queue pairs the driver has enabled (1 when it cannot tell). */
static unsigned int report_channels(void)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };

	if (ethtool(&ch) || ch.combined_count == 0)
		return 1;
	guest_say("bench", "channels combined=%u max=%u", ch.combined_count, ch.max_combined);
	return ch.combined_count < MAX_STREAMS ? ch.combined_count : MAX_STREAMS;
}

/* Driver statistics "rx_queue_N_bytes" / "tx_queue_N_bytes" (netmq.c: packets). */
static int read_queue_stats(struct ethq_counters *qs)
{
	return eth_queue_counters("eth0", "bytes", qs);
}

/*
 * Bytes per queue (@after - @before) of @n queues as "B,B,..." into @out;
 * returns how many queues carried at least 5% of them (TCP ACKs for the
 * other direction are a few % of its bytes: they do not count as data).
 */
static unsigned int busy_queues(const uint64_t *before, const uint64_t *after, unsigned int n,
				char *out, size_t size)
{
	uint64_t total = 0;
	unsigned int busy = 0;
	size_t off = 0;

	for (unsigned int q = 0; q < n; q++)
		total += after[q] - before[q];
	out[0] = '\0';
	for (unsigned int q = 0; q < n; q++) {
		uint64_t d = after[q] - before[q];

		off += (size_t)snprintf(out + off, size - off, "%s%llu", q ? "," : "",
					(unsigned long long)d);
		busy += d > 0 && d * 20 >= total;
	}
	return busy;
}

/* The host starts the peer only after it has seen our marker line. */
static int connect_peer(const char *peer)
{
	return nettest_connect(peer, 1500, 100);
}

static double mbps(uint64_t bytes, double seconds)
{
	return seconds > 0 ? (double)bytes / seconds / 1e6 : 0;
}

/*
 * " tx_bytes=B,B rx_bytes=B,B": the queues one phase used (with several
 * pairs, which pair the TAP's flow steering and the guest's XPS picked).
 */
static void queue_info(const struct ethq_counters *before, unsigned int pairs, char *out,
		       size_t size)
{
	struct ethq_counters after;
	char txp[MAX_STREAMS * 24], rxp[MAX_STREAMS * 24];

	out[0] = '\0';
	if (pairs < 2 || read_queue_stats(&after))
		return;
	busy_queues(before->tx, after.tx, pairs, txp, sizeof(txp));
	busy_queues(before->rx, after.rx, pairs, rxp, sizeof(rxp));
	snprintf(out, size, " tx_bytes=%s rx_bytes=%s", txp, rxp);
}

/*
 * guest-test.cpu=N: run the `single` phase on vCPU N only. Left to the
 * scheduler, the transfer's process lands on the CPU that takes the NIC's
 * interrupts in some runs and on the other in others, and the per-MB
 * exits, interrupts and CPU time differ by up to 1.5x between the two.
 */
static void pin_single_phase(void)
{
	char buf[16];
	const char *v = guest_net_opt("guest-test.cpu", "", buf, sizeof(buf));
	cpu_set_t set;

	if (!*v)
		return;
	CPU_ZERO(&set);
	CPU_SET(atoi(v), &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		guest_say("bench", "warning: cannot pin to cpu %s: %s", v, strerror(errno));
}

/* Phase `single`: the net mode's two transfers, 1 stream each way. */
static int single(const char *peer, uint64_t bytes, unsigned int pairs)
{
	struct nettest_result tx = { 0 }, rx = { 0 };
	struct ethq_counters before;
	char qinfo[2 * MAX_STREAMS * 24 + 32];
	int fd, ok_tx, ok_rx = 0;
	bool have_stats = read_queue_stats(&before) == 0;

	pin_single_phase();
	fd = connect_peer(peer);
	if (fd < 0) {
		guest_say("bench", "error: cannot connect to %s: %s", peer, strerror(errno));
		return -1;
	}
	ok_tx = nettest_send_verified(fd, bytes, &tx);
	close(fd);
	fd = connect_peer(peer);
	if (fd >= 0) {
		ok_rx = nettest_recv(fd, bytes, &rx) == 0;
		close(fd);
	}
	qinfo[0] = '\0';
	if (have_stats)
		queue_info(&before, pairs, qinfo, sizeof(qinfo));
	guest_say("bench", "single bytes=%llu tx_ok=%s rx_ok=%s tx_MBs=%.1f rx_MBs=%.1f irq=%llu%s",
	    (unsigned long long)bytes, ok_tx ? "yes" : "NO", ok_rx ? "yes" : "NO",
	    mbps(tx.bytes, tx.seconds), mbps(rx.bytes, rx.seconds), guest_virtio_irqs(), qinfo);
	return ok_tx && ok_rx ? 0 : -1;
}

struct stream {
	pthread_t thread;
	unsigned int cpu;
	const char *peer;
	uint64_t bytes;
	pthread_barrier_t *barrier;
	double t_start, t_sent, t_first, t_done;
	int ok;
};

/* Wait until data is there to read (the peer sends once it has all ours). */
static int wait_first_byte(int fd)
{
	char c;
	ssize_t n;

	do
		n = recv(fd, &c, 1, MSG_PEEK);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

/* serve-multi: per connection the peer receives BYTES, then sends BYTES. */
static void *stream_main(void *arg)
{
	struct stream *st = arg;
	struct nettest_result tx = { 0 }, rx = { 0 };
	cpu_set_t set;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(st->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	fd = connect_peer(st->peer);
	pthread_barrier_wait(st->barrier);	/* all connected: start together */
	st->t_start = nettest_now();
	st->ok = fd >= 0 && nettest_send(fd, st->bytes, &tx) == 0;
	st->t_sent = nettest_now();
	st->ok = st->ok && wait_first_byte(fd) == 0;
	st->t_first = nettest_now();
	st->ok = st->ok && nettest_recv(fd, st->bytes, &rx) == 0;
	st->t_done = nettest_now();
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Aggregate windows over all streams: [start, end] of each direction. */
struct window {
	double tx_start, tx_end, rx_start, rx_end;
};

static void window_add(struct window *w, const struct stream *st, int first)
{
	if (first || st->t_start < w->tx_start)
		w->tx_start = st->t_start;
	if (first || st->t_sent > w->tx_end)
		w->tx_end = st->t_sent;
	if (first || st->t_first < w->rx_start)
		w->rx_start = st->t_first;
	if (first || st->t_done > w->rx_end)
		w->rx_end = st->t_done;
}

/* Run @n streams of @bytes each way to completion; 0 if all verified. */
static int run_streams(const char *peer, unsigned int n, unsigned int cpus, uint64_t bytes,
		       struct window *w)
{
	static struct stream st[MAX_STREAMS];
	pthread_barrier_t barrier;
	int ok = 1;

	pthread_barrier_init(&barrier, NULL, n);
	for (unsigned int i = 0; i < n; i++) {
		st[i] = (struct stream){ .cpu = i * cpus / n, .peer = peer, .bytes = bytes,
					 .barrier = &barrier };
		pthread_create(&st[i].thread, NULL, stream_main, &st[i]);
	}
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(st[i].thread, NULL);
		ok &= st[i].ok;
		window_add(w, &st[i], i == 0);
	}
	pthread_barrier_destroy(&barrier);
	return ok ? 0 : -1;
}

/*
 * Phase `multi`: @n parallel streams. Rates are aggregates: guest->host over
 * [first stream starts, last has sent] (sender side: what is still in the
 * socket buffers counts as sent; the peer prints the receiver's rate),
 * host->guest over [first byte received, last stream has received].
 */
static int multi(const char *peer, unsigned int n, unsigned int cpus, uint64_t bytes,
		 unsigned int pairs)
{
	struct ethq_counters before, after;
	struct window w = { 0 };
	char qinfo[3 * MAX_STREAMS * 24], txp[MAX_STREAMS * 24], rxp[MAX_STREAMS * 24];
	int have_stats = read_queue_stats(&before) == 0, ret;
	unsigned int txq, rxq;

	ret = run_streams(peer, n, cpus, bytes, &w);
	qinfo[0] = '\0';
	if (have_stats && read_queue_stats(&after) == 0) {
		txq = busy_queues(before.tx, after.tx, pairs, txp, sizeof(txp));
		rxq = busy_queues(before.rx, after.rx, pairs, rxp, sizeof(rxp));
		snprintf(qinfo, sizeof(qinfo), " txq=%u rxq=%u tx_bytes=%s rx_bytes=%s", txq, rxq,
			 txp, rxp);
	}
	guest_say("bench", "multi streams=%u bytes=%llu ok=%s tx_MBs=%.1f rx_MBs=%.1f irq=%llu%s", n,
	    (unsigned long long)bytes, ret ? "NO" : "yes",
	    mbps(bytes * n, w.tx_end - w.tx_start), mbps(bytes * n, w.rx_end - w.rx_start),
	    guest_virtio_irqs(), qinfo);
	return ret;
}

static unsigned int clamp_streams(unsigned long s)
{
	return s < MAX_STREAMS ? (unsigned int)s : MAX_STREAMS;
}

/*
 * guest-test.streams= as a phase list (PHASE_SINGLE or a stream count per
 * entry); returns the number of phases.
 */
static unsigned int parse_phases(unsigned int *phases)
{
	char buf[128], *end;
	const char *v = guest_net_opt("guest-test.streams", "1", buf, sizeof(buf));
	unsigned int n = 0;
	unsigned long s;

	if (!strchr(v, ',')) {
		s = strtoul(v, NULL, 10);
		phases[n++] = PHASE_SINGLE;
		if (s > 1)
			phases[n++] = clamp_streams(s);
		return n;
	}
	for (const char *p = v; *p && n < MAX_PHASES; p = *end ? end + 1 : end) {
		s = strtoul(p, &end, 10);
		if (end == p)
			break;
		if (s > 0)
			phases[n++] = clamp_streams(s);
	}
	return n;
}

static int bench_run(void)
{
	const char *peer = guest_net_peer();
	uint64_t bytes = guest_net_bytes();
	unsigned int phases[MAX_PHASES], nphases = parse_phases(phases), pairs, cpus;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int fd;

	cpus = ncpu > 0 ? (unsigned int)ncpu : 1;
	if (guest_net_setup("169.254.0.2"))
		return -1;
	report_rings();
	pairs = report_channels();
	guest_say("bench", "ready irq=%llu", guest_virtio_irqs());
	for (unsigned int i = 0; i < nphases; i++) {
		if (phases[i] == PHASE_SINGLE ? single(peer, bytes, pairs)
					      : multi(peer, phases[i], cpus, bytes, pairs))
			return -1;
	}
	/* Stay up until the host has read its counters: it then listens again. */
	fd = connect_peer(peer);
	if (fd >= 0)
		close(fd);
	/* Per vector and vCPU: after the host's snapshot, so not in any figure. */
	guest_irqs_report();
	guest_say("bench", "done");
	return 0;
}

void guest_bench_mode(void)
{
	/* Returning powers the guest off; the host sees no `bench done`. */
	if (bench_run())
		printf("guest-test: error: bench failed\n");
}
