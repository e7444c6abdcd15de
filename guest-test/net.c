// SPDX-License-Identifier: MIT
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "netif.h"
#include "nettest.h"
#include "pattern.h"
#include "say.h"

#define IFNAME "eth0"

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Value of KEY= on the kernel command line, or @def. */
static const char *cmdline_opt(const char *key, const char *def, char *buf, size_t size)
{
	static char cmdline[4096];
	size_t klen = strlen(key), len;
	char *p;

	if (read_small("/proc/cmdline", cmdline, sizeof(cmdline)))
		return def;
	for (p = cmdline; (p = strstr(p, key)); p++) {
		if ((p == cmdline || p[-1] == ' ') && p[klen] == '=')
			break;
	}
	if (!p)
		return def;
	p += klen + 1;
	len = strcspn(p, " ");
	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

static int wait_for(const char *path, const char *want, int tenths)
{
	char buf[64];

	while (tenths-- > 0) {
		if (!read_small(path, buf, sizeof(buf)) && (!want || !strcmp(buf, want)))
			return 0;
		usleep(100000);
	}
	return -1;
}

static void report_features(void)
{
	static const struct { int bit; const char *name; } bits[] = {
		{ 0, "csum" }, { 1, "guest_csum" }, { 5, "mac" }, { 7, "guest_tso4" },
		{ 8, "guest_tso6" }, { 9, "guest_ecn" }, { 10, "guest_ufo" },
		{ 11, "host_tso4" }, { 12, "host_tso6" }, { 13, "host_ecn" }, { 14, "host_ufo" },
		{ 15, "mrg_rxbuf" }, { 16, "status" }, { 17, "ctrl_vq" }, { 22, "mq" },
		{ 28, "indirect_desc" }, { 29, "event_idx" }, { 32, "version_1" },
		{ 34, "ring_packed" }, { 54, "guest_uso4" }, { 55, "guest_uso6" },
		{ 56, "host_uso" },
	};
	char f[128], mac[32], line[512];
	size_t off = 0;

	if (read_small("/sys/class/net/" IFNAME "/device/features", f, sizeof(f)))
		f[0] = '\0';
	if (read_small("/sys/class/net/" IFNAME "/address", mac, sizeof(mac)))
		strcpy(mac, "?");
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (strlen(f) > (size_t)bits[i].bit && f[bits[i].bit] == '1')
			off += (size_t)snprintf(line + off, sizeof(line) - off, " %s", bits[i].name);
	line[off] = '\0';
	guest_say("net", "mac=%s features=%s", mac, f);
	guest_say("net", "negotiated:%s", line);
}

static uint16_t icmp_sum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Three ICMP echoes; returns how many were answered. */
static int ping(const char *peer)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 2 };
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), got = 0;

	to.sin_addr.s_addr = inet_addr(peer);
	if (s < 0)
		return 0;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (uint16_t seq = 1; seq <= 3; seq++) {
		struct icmphdr h = { .type = ICMP_ECHO };
		uint8_t reply[256];
		ssize_t n;

		h.un.echo.id = htons(0x7476);
		h.un.echo.sequence = htons(seq);
		h.checksum = icmp_sum(&h, sizeof(h));
		if (sendto(s, &h, sizeof(h), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			continue;
		while ((n = recv(s, reply, sizeof(reply), 0)) > 0) {
			struct icmphdr *r = (struct icmphdr *)(reply + (reply[0] & 0xf) * 4);

			if ((size_t)n >= (size_t)(reply[0] & 0xf) * 4 + sizeof(*r) &&
			    r->type == ICMP_ECHOREPLY && r->un.echo.sequence == htons(seq)) {
				got++;
				break;
			}
		}
	}
	close(s);
	return got;
}

/*
 * The peer may still be starting. guest-test.tries= bounds the attempts
 * (default 100) for tests that expect the network to be gone: an attempt
 * without ARP resolution takes ~3 s.
 */
static int connect_peer(const char *peer)
{
	char buf[16];
	unsigned int tries = (unsigned int)atoi(cmdline_opt("guest-test.tries", "100", buf,
							    sizeof(buf)));

	return nettest_connect(peer, tries ? tries : 100, 200);
}

static double mbps(const struct nettest_result *r)
{
	return r->seconds > 0 ? (double)r->bytes / r->seconds / 1e6 : 0;
}

int guest_net_transfer(const char *peer, uint64_t bytes)
{
	struct nettest_result tx = { 0 }, rx = { 0 };
	int fd, ok_tx, ok_rx;

	fd = connect_peer(peer);
	if (fd < 0) {
		guest_say("net", "error: cannot connect to %s:%d: %s", peer, NETTEST_PORT, strerror(errno));
		return -1;
	}
	ok_tx = nettest_send_verified(fd, bytes, &tx);
	close(fd);
	guest_say("net", "tx bytes=%llu verified=%s MB/s=%.1f", (unsigned long long)tx.bytes,
	    ok_tx ? "yes" : "NO", mbps(&tx));
	fd = connect_peer(peer);
	if (fd < 0) {
		guest_say("net", "error: cannot reconnect to %s: %s", peer, strerror(errno));
		return -1;
	}
	ok_rx = nettest_recv(fd, bytes, &rx) == 0;
	close(fd);
	guest_say("net", "rx bytes=%llu good=%llu verified=%s MB/s=%.1f", (unsigned long long)rx.bytes,
	    (unsigned long long)rx.good, ok_rx ? "yes" : "NO", mbps(&rx));
	return ok_tx && ok_rx ? 0 : -1;
}

const char *guest_net_peer(void)
{
	static char buf[32];

	return cmdline_opt("guest-test.peer", "169.254.0.1", buf, sizeof(buf));
}

uint64_t guest_net_bytes(void)
{
	char buf[32];

	return strtoull(cmdline_opt("guest-test.bytes", "16777216", buf, sizeof(buf)), NULL, 10);
}

const char *guest_net_opt(const char *key, const char *def, char *buf, size_t size)
{
	return cmdline_opt(key, def, buf, size);
}

/* Wait for eth0, optionally report features, address it, wait for carrier. */
int guest_net_bringup(const char *default_ip, int report)
{
	char ipbuf[32];
	const char *ip = cmdline_opt("guest-test.ip", default_ip, ipbuf, sizeof(ipbuf));

	if (wait_for("/sys/class/net/" IFNAME "/address", NULL, 100)) {
		guest_say("net", "error: no %s (virtio-net driver not bound)", IFNAME);
		return -1;
	}
	if (report)
		report_features();
	netif_up("lo");
	if (netif_configure(IFNAME, ip, 16)) {
		guest_say("net", "error: cannot configure %s: %s", IFNAME, strerror(errno));
		return -1;
	}
	if (wait_for("/sys/class/net/" IFNAME "/carrier", "1", 100)) {
		guest_say("net", "error: %s has no carrier", IFNAME);
		return -1;
	}
	return 0;
}

int guest_net_setup(const char *default_ip)
{
	return guest_net_bringup(default_ip, 1);
}

int guest_net_run(void)
{
	const char *peer = guest_net_peer();
	int pings;

	if (guest_net_setup("169.254.0.2"))
		return -1;
	pings = ping(peer);
	guest_say("net", "ping %s: %d/3 replies", peer, pings);
	if (pings == 0)
		return -1;
	return guest_net_transfer(peer, guest_net_bytes());
}
