// SPDX-License-Identifier: MIT
/*
 * tinyvmm-netpeer: the host side of the network tests, run in the (emulated)
 * ARM64 host next to tinyvmm. Traffic stays on the TAP it creates.
 *
 *   tinyvmm-netpeer tap-setup NAME ADDR PREFIX   persistent TAP with an address, up
 *   tinyvmm-netpeer tap-delete NAME
 *   tinyvmm-netpeer serve ADDR BYTES TIMEOUT [ROUNDS [ROUND_BYTES]]
 *                                                the two verified transfers, ROUNDS
 *                                                times (default 1); rounds after the
 *                                                first move ROUND_BYTES (default BYTES)
 *   tinyvmm-netpeer serve-multi ADDR BYTES STREAMS TIMEOUT
 *                                                STREAMS connections at once: each
 *                                                receives BYTES; once all have, each
 *                                                sends BYTES; then the aggregate rates.
 *                                                STREAMS may be a list, "1,2": one
 *                                                such round per entry, in order
 *   tinyvmm-netpeer stall-reader FIFO SECONDS    open FIFO, shrink its pipe to one page
 *                                                and never read it: a console reader
 *                                                that stopped (tests/e2e: a VMM whose
 *                                                stdout is full must still stop)
 *   tinyvmm-netpeer tftp ADDR DIR SECONDS        read-only TFTP server for DIR's files
 *                                                (tftpd.c: firmware network boots)
 *   tinyvmm-netpeer uimage-script IN OUT         U-Boot script IN as a uImage for `source`
 */
#include <arpa/inet.h>
#include <endian.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netif.h"
#include "nettest.h"
#include "pattern.h"
#include "tftpd.h"

static int tap_persist(const char *name, int persist)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("netpeer: /dev/net/tun");
		return -1;
	}
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, persist) < 0) {
		perror("netpeer: TUNSETIFF/TUNSETPERSIST");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int accept_one(int ls)
{
	int fd = accept(ls, NULL, NULL);

	if (fd < 0)
		perror("netpeer: accept");
	return fd;
}

static int listen_on(const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(NETTEST_PORT) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = inet_addr(addr);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) || listen(s, 4)) {
		perror("netpeer: listen");
		return -1;
	}
	return s;
}

static double mbps(const struct nettest_result *r)
{
	return r->seconds > 0 ? (double)r->bytes / r->seconds / 1e6 : 0;
}

/* One round: the guest->host transfer, then host->guest, on listener @ls. */
static int serve_round(int ls, uint64_t bytes, const char *tag)
{
	struct nettest_result in = { 0 }, out = { 0 };
	int fd, ok_in, ok_out;
	uint64_t good_le;

	fd = accept_one(ls);
	if (fd < 0)
		return 1;
	ok_in = nettest_recv(fd, bytes, &in) == 0;
	good_le = htole64(in.good);
	if (write(fd, &good_le, sizeof(good_le)) != sizeof(good_le))
		ok_in = 0;
	close(fd);
	printf("netpeer: %sguest->host bytes=%llu good=%llu verified=%s MB/s=%.1f\n", tag,
	       (unsigned long long)in.bytes, (unsigned long long)in.good,
	       ok_in ? "yes" : "NO", mbps(&in));
	fd = accept_one(ls);
	if (fd < 0)
		return 1;
	ok_out = nettest_send(fd, bytes, &out) == 0;
	shutdown(fd, SHUT_WR);
	close(fd);
	printf("netpeer: %shost->guest bytes=%llu sent=%s MB/s=%.1f\n", tag,
	       (unsigned long long)out.bytes, ok_out ? "yes" : "NO", mbps(&out));
	return ok_in && ok_out ? 0 : 1;
}

/*
 * @rounds rounds on one listener (TIMEOUT covers them all): the first moves
 * @bytes each way, the others @round_bytes (guest-test.mode=netreset).
 */
static int serve(const char *addr, uint64_t bytes, unsigned int timeout, unsigned int rounds,
		 uint64_t round_bytes)
{
	int ls = listen_on(addr), ret = 0;
	char tag[32] = "";

	if (ls < 0 || rounds == 0)
		return 1;
	alarm(timeout);	/* never hang a test run */
	for (unsigned int r = 1; r <= rounds && ret == 0; r++) {
		if (rounds > 1)
			snprintf(tag, sizeof(tag), "round %u/%u ", r, rounds);
		ret = serve_round(ls, r == 1 ? bytes : round_bytes, tag);
	}
	if (rounds > 1)
		printf("netpeer: %s\n", ret ? "rounds failed" : "all rounds verified");
	close(ls);
	return ret;
}

struct peer_stream {
	pthread_t thread;
	int fd;
	uint64_t bytes;
	pthread_barrier_t *barrier;
	struct nettest_result in, out;
	double t_first, t_in, t_out;
	int ok;
};

/* Wait until the first byte is there: the clock starts with the data. */
static int wait_first_byte(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_PEEK) == 1 ? 0 : -1;
}

/* Receive all of this stream, wait for the other streams, then send. */
static void *peer_stream_main(void *arg)
{
	struct peer_stream *ps = arg;

	ps->ok = wait_first_byte(ps->fd) == 0;
	ps->t_first = nettest_now();
	ps->ok = ps->ok && nettest_recv(ps->fd, ps->bytes, &ps->in) == 0;
	ps->t_in = nettest_now();
	pthread_barrier_wait(ps->barrier);
	ps->ok = ps->ok && nettest_send(ps->fd, ps->bytes, &ps->out) == 0;
	ps->t_out = nettest_now();
	shutdown(ps->fd, SHUT_WR);
	close(ps->fd);
	return NULL;
}

/*
 * The aggregate rates: guest->host from the first byte received on any
 * stream to the last byte of all (as the receiver sees it), host->guest
 * from the barrier to the last send returning (sender side).
 */
static void print_aggregate(const struct peer_stream *ps, unsigned int n, uint64_t bytes)
{
	double first = ps[0].t_first, in = ps[0].t_in, out = ps[0].t_out;
	struct nettest_result g2h = { .bytes = bytes * n }, h2g = { .bytes = bytes * n };

	for (unsigned int i = 1; i < n; i++) {
		first = ps[i].t_first < first ? ps[i].t_first : first;
		in = ps[i].t_in > in ? ps[i].t_in : in;
		out = ps[i].t_out > out ? ps[i].t_out : out;
	}
	g2h.seconds = in - first;
	h2g.seconds = out - in;	/* the barrier opens when the last stream is in */
	printf("netpeer: aggregate streams=%u guest->host bytes=%llu MB/s=%.1f host->guest bytes=%llu MB/s=%.1f\n",
	       n, (unsigned long long)g2h.bytes, mbps(&g2h), (unsigned long long)h2g.bytes,
	       mbps(&h2g));
}

/*
 * N concurrent connections, each: guest sends BYTES, then we send BYTES;
 * we send on none before all N have received everything (a barrier), so
 * the two directions are measured apart.
 */
static int serve_multi(const char *addr, uint64_t bytes, unsigned int n, unsigned int timeout)
{
	static struct peer_stream ps[16];
	pthread_barrier_t barrier;
	int ls = listen_on(addr), ok = 1;

	if (ls < 0 || n == 0 || n > 16)
		return 1;
	alarm(timeout);
	pthread_barrier_init(&barrier, NULL, n);
	for (unsigned int i = 0; i < n; i++) {
		ps[i] = (struct peer_stream){ .bytes = bytes, .barrier = &barrier };
		ps[i].fd = accept_one(ls);
		if (ps[i].fd < 0)
			return 1;
		pthread_create(&ps[i].thread, NULL, peer_stream_main, &ps[i]);
	}
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(ps[i].thread, NULL);
		printf("netpeer: stream %u guest->host bytes=%llu good=%llu host->guest bytes=%llu verified=%s\n",
		       i, (unsigned long long)ps[i].in.bytes, (unsigned long long)ps[i].in.good,
		       (unsigned long long)ps[i].out.bytes, ps[i].ok ? "yes" : "NO");
		ok &= ps[i].ok;
	}
	if (ok)
		print_aggregate(ps, n, bytes);
	pthread_barrier_destroy(&barrier);
	close(ls);
	return ok ? 0 : 1;
}

/* serve-multi with STREAMS a list "A,B,...": one round of each, in order. */
static int serve_rounds(const char *addr, uint64_t bytes, const char *list, unsigned int timeout)
{
	const char *p = list;
	char *end;

	for (;;) {
		unsigned long n = strtoul(p, &end, 10);

		if (end == p || n == 0 || n > 16 || (*end && *end != ','))
			return 1;
		if (serve_multi(addr, bytes, (unsigned int)n, timeout))
			return 1;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

/*
 * flood IFNAME SECONDS SIZE: broadcast SIZE-byte frames (local experimental
 * ethertype) out of IFNAME as fast as it takes them, for SECONDS: what a
 * guest that stopped refilling its RX ring is faced with (e2e rx-starve).
 */
static int flood(const char *ifname, double seconds, size_t size)
{
	static uint8_t frame[ETH_HLEN + 65536];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	struct ifreq ifr = { .ifr_mtu = (int)size };
	unsigned long long sent = 0, refused = 0;
	double end = nettest_now() + seconds, next_report = nettest_now() + 5;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0 || size > 65536)
		return 1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCSIFMTU, &ifr) < 0)
		perror("netpeer: flood: SIOCSIFMTU");
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		perror("netpeer: flood: SIOCGIFINDEX");
		return 1;
	}
	to.sll_ifindex = ifr.ifr_ifindex;
	memset(frame, 0xff, ETH_ALEN);		/* broadcast: no ARP needed */
	memset(frame + ETH_ALEN, 0x02, ETH_ALEN);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	while (nettest_now() < end) {
		if (sendto(fd, frame, ETH_HLEN + size, MSG_DONTWAIT, (struct sockaddr *)&to,
			   sizeof(to)) < 0) {
			refused++;
			usleep(100);
		} else {
			sent++;
		}
		/* Progress now and then: the test may stop us before the end. */
		if (nettest_now() >= next_report) {
			printf("netpeer: flood %s: %llu frames of %zu bytes sent, %llu refused\n",
			       ifname, sent, size, refused);
			next_report += 5;
		}
	}
	printf("netpeer: flood %s: %llu frames of %zu bytes sent, %llu refused\n", ifname, sent,
	       size, refused);
	close(fd);
	return sent ? 0 : 1;
}

/*
 * spoof-dellink PID IFNAME: a forged RTM_DELLINK for IFNAME, sent by an
 * ordinary process straight to the netlink port of process PID (its first
 * netlink socket's port id is its PID). tinyvmm must ignore it (e2e
 * link-spoof): only the kernel (port 0) speaks for links.
 */
static int spoof_dellink(int pid, const char *ifname)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} msg = {
		.h = { .nlmsg_len = sizeof(msg), .nlmsg_type = RTM_DELLINK },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = (uint32_t)pid };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ufd < 0 || ioctl(ufd, SIOCGIFINDEX, &ifr) < 0)
		return 1;
	msg.ifi.ifi_index = ifr.ifr_ifindex;
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to)) != sizeof(msg)) {
		perror("netpeer: spoof-dellink: sendto");
		return 1;
	}
	printf("netpeer: spoof-dellink: sent RTM_DELLINK for %s (index %d) to port %d\n", ifname,
	       ifr.ifr_ifindex, pid);
	close(ufd);
	close(fd);
	return 0;
}

/*
 * Open @path (a FIFO) for reading and hold it without reading for @seconds.
 * O_RDWR: the open does not wait for a writer, and the writer never sees
 * EOF or EPIPE, only a full pipe (one page, so a boot log fills it).
 */
static int stall_reader(const char *path, unsigned int seconds)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("netpeer: stall-reader: open");
		return 1;
	}
	if (fcntl(fd, F_SETPIPE_SZ, 4096) < 0)
		perror("netpeer: stall-reader: F_SETPIPE_SZ");
	sleep(seconds);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "tap-setup")) {
		if (tap_persist(argv[2], 1) || netif_configure(argv[2], argv[3], atoi(argv[4]))) {
			fprintf(stderr, "netpeer: cannot set up TAP %s\n", argv[2]);
			return 1;
		}
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "spoof-dellink"))
		return spoof_dellink(atoi(argv[2]), argv[3]);
	if (argc == 5 && !strcmp(argv[1], "flood"))
		return flood(argv[2], atof(argv[3]), strtoul(argv[4], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "stall-reader"))
		return stall_reader(argv[2], (unsigned int)atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "tftp"))
		return tftpd_serve(argv[2], argv[3], (unsigned int)atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "uimage-script"))
		return uimage_script(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "tap-delete"))
		return tap_persist(argv[2], 0) ? 1 : 0;
	if (argc == 6 && !strcmp(argv[1], "serve-multi"))
		return serve_rounds(argv[2], strtoull(argv[3], NULL, 10), argv[4],
				    (unsigned int)atoi(argv[5]));
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "serve")) {
		uint64_t bytes = strtoull(argv[3], NULL, 10);

		return serve(argv[2], bytes, (unsigned int)atoi(argv[4]),
			     argc > 5 ? (unsigned int)atoi(argv[5]) : 1,
			     argc > 6 ? strtoull(argv[6], NULL, 10) : bytes);
	}
	fprintf(stderr, "usage: tinyvmm-netpeer tap-setup NAME ADDR PREFIX | tap-delete NAME | flood NAME SECONDS SIZE | spoof-dellink PID NAME | serve ADDR BYTES TIMEOUT [ROUNDS [ROUND_BYTES]] | serve-multi ADDR BYTES STREAMS TIMEOUT | tftp ADDR DIR SECONDS | uimage-script IN OUT\n");
	return 2;
}
