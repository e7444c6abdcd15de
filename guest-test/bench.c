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
 *   guest-test: bench ready irq=N
 *       eth0 is up; the host snapshots and starts `tinyvmm-netpeer serve`.
 *       The guest retries its connect until the peer listens.
 *   guest-test: bench single bytes=B tx_ok=yes rx_ok=yes tx_MBs=X rx_MBs=Y irq=N
 *       phase 1 done (1 stream, B each way); host snapshots and, when
 *       guest-test.streams=S > 1, starts `serve-multi ADDR B S`.
 *   guest-test: bench multi streams=S bytes=B ok=yes tx_MBs=X rx_MBs=Y irq=N
 *       phase 2 done (S parallel streams, one per vCPU, B each way each).
 *       After the last phase the guest connects once more and closes: the
 *       host listens (serve 0 bytes) only once it has read its counters, so
 *       the VM is still alive for the final snapshot.
 *   guest-test: bench done
 * Nothing else is printed inside a measured phase (console output costs
 * exits). irq= is the sum over all CPUs of the /proc/interrupts lines whose
 * name contains "virtio" (virtio-mmio: one line per device).
 * Options: guest-test.ip=, guest-test.peer=, guest-test.bytes= (as net) and
 * guest-test.streams= (default 1: no phase 2).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
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

#include "net.h"
#include "nettest.h"
#include "pattern.h"

#define MAX_STREAMS 16

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("guest-test: bench ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Sum of the per-CPU counts of every /proc/interrupts line naming virtio. */
static unsigned long long virtio_irqs(void)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char line[1024];
	unsigned long long sum = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!p || !strstr(line, "virtio"))
			continue;
		for (p++;;) {
			char *end;
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
	}
	fclose(f);
	return sum;
}

/* Ring sizes the driver uses (QEMU may cap what its command line asked). */
static void report_rings(void)
{
	struct ethtool_ringparam rp = { .cmd = ETHTOOL_GRINGPARAM };
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	strncpy(ifr.ifr_name, "eth0", IFNAMSIZ - 1);
	ifr.ifr_data = (void *)&rp;
	if (ioctl(s, SIOCETHTOOL, &ifr) == 0)
		say("rings rx=%u tx=%u", rp.rx_pending, rp.tx_pending);
	close(s);
}

static unsigned int cmdline_uint(const char *key, unsigned int def)
{
	char buf[4096], *p;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t klen = strlen(key);

	if (fd < 0)
		return def;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return def;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, key)); p++)
		if ((p == buf || p[-1] == ' ') && p[klen] == '=')
			return (unsigned int)strtoul(p + klen + 1, NULL, 10);
	return def;
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

/* Phase 1: the net mode's two transfers, 1 stream each way. */
static int single(const char *peer, uint64_t bytes)
{
	struct nettest_result tx = { 0 }, rx = { 0 };
	uint64_t good_le = 0;
	int fd, ok_tx, ok_rx = 0;

	fd = connect_peer(peer);
	if (fd < 0) {
		say("error: cannot connect to %s: %s", peer, strerror(errno));
		return -1;
	}
	ok_tx = nettest_send(fd, bytes, &tx) == 0;
	shutdown(fd, SHUT_WR);
	ok_tx = ok_tx && read(fd, &good_le, sizeof(good_le)) == sizeof(good_le) &&
		le64toh(good_le) == bytes;
	close(fd);
	fd = connect_peer(peer);
	if (fd >= 0) {
		ok_rx = nettest_recv(fd, bytes, &rx) == 0;
		close(fd);
	}
	say("single bytes=%llu tx_ok=%s rx_ok=%s tx_MBs=%.1f rx_MBs=%.1f irq=%llu",
	    (unsigned long long)bytes, ok_tx ? "yes" : "NO", ok_rx ? "yes" : "NO",
	    mbps(tx.bytes, tx.seconds), mbps(rx.bytes, rx.seconds), virtio_irqs());
	return ok_tx && ok_rx ? 0 : -1;
}

struct stream {
	pthread_t thread;
	unsigned int index, cpus;
	const char *peer;
	uint64_t bytes;
	pthread_barrier_t *barrier;
	double t_start, t_sent, t_done;
	int ok;
};

/* serve-multi: per connection the peer receives BYTES, then sends BYTES. */
static void *stream_main(void *arg)
{
	struct stream *st = arg;
	struct nettest_result tx = { 0 }, rx = { 0 };
	cpu_set_t set;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(st->index % st->cpus, &set);
	sched_setaffinity(0, sizeof(set), &set);
	fd = connect_peer(st->peer);
	pthread_barrier_wait(st->barrier);	/* all connected: start together */
	st->t_start = nettest_now();
	st->ok = fd >= 0 && nettest_send(fd, st->bytes, &tx) == 0;
	st->t_sent = nettest_now();
	st->ok = st->ok && nettest_recv(fd, st->bytes, &rx) == 0;
	st->t_done = nettest_now();
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * Aggregate rates: guest->host over [first stream starts, last stream has
 * sent]; host->guest over [first stream has sent (the peer starts sending on
 * that connection then), last stream has received]. Conservative: the
 * windows hold all the bytes, and may overlap the other direction.
 */
static int multi(const char *peer, unsigned int n, unsigned int cpus, uint64_t bytes)
{
	static struct stream st[MAX_STREAMS];
	pthread_barrier_t barrier;
	double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
	int ok = 1;

	pthread_barrier_init(&barrier, NULL, n);
	for (unsigned int i = 0; i < n; i++) {
		st[i] = (struct stream){ .index = i, .cpus = cpus, .peer = peer, .bytes = bytes,
					 .barrier = &barrier };
		pthread_create(&st[i].thread, NULL, stream_main, &st[i]);
	}
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(st[i].thread, NULL);
		ok &= st[i].ok;
		if (i == 0 || st[i].t_start < t0)
			t0 = st[i].t_start;
		if (st[i].t_sent > t1)
			t1 = st[i].t_sent;
		if (i == 0 || st[i].t_sent < t2)
			t2 = st[i].t_sent;
		if (st[i].t_done > t3)
			t3 = st[i].t_done;
	}
	pthread_barrier_destroy(&barrier);
	say("multi streams=%u bytes=%llu ok=%s tx_MBs=%.1f rx_MBs=%.1f irq=%llu", n,
	    (unsigned long long)bytes, ok ? "yes" : "NO", mbps(bytes * n, t1 - t0),
	    mbps(bytes * n, t3 - t2), virtio_irqs());
	return ok ? 0 : -1;
}

static int bench_run(void)
{
	const char *peer = guest_net_peer();
	uint64_t bytes = guest_net_bytes();
	unsigned int streams = cmdline_uint("guest-test.streams", 1);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int fd;

	if (guest_net_setup("169.254.0.2"))
		return -1;
	if (streams > MAX_STREAMS)
		streams = MAX_STREAMS;
	report_rings();
	say("ready irq=%llu", virtio_irqs());
	if (single(peer, bytes))
		return -1;
	if (streams > 1 && multi(peer, streams, cpus > 0 ? (unsigned int)cpus : 1, bytes))
		return -1;
	/* Stay up until the host has read its counters: it then listens again. */
	fd = connect_peer(peer);
	if (fd >= 0)
		close(fd);
	say("done");
	return 0;
}

void guest_bench_mode(void)
{
	/* Returning powers the guest off; the host sees no `bench done`. */
	if (bench_run())
		printf("guest-test: error: bench failed\n");
}
