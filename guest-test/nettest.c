// SPDX-License-Identifier: MIT
#include "nettest.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <stdbool.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pattern.h"

int nettest_connect(const char *addr, unsigned int tries, unsigned int wait_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(NETTEST_PORT) };

	sin.sin_addr.s_addr = inet_addr(addr);
	for (unsigned int i = 0; i < tries; i++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (s >= 0 && connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return s;
		if (s >= 0)
			close(s);
		if (i + 1 < tries)
			usleep(wait_ms * 1000);
	}
	return -1;
}

#define CHUNK 65536

double nettest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Buffers are per call, never static: several streams run in threads. */
bool nettest_send_verified(int fd, uint64_t bytes, struct nettest_result *r)
{
	uint64_t good_le = 0;
	bool ok = nettest_send(fd, bytes, r) == 0;

	shutdown(fd, SHUT_WR);
	return ok && read(fd, &good_le, sizeof(good_le)) == sizeof(good_le) &&
	       le64toh(good_le) == bytes;
}

int nettest_send(int fd, uint64_t bytes, struct nettest_result *r)
{
	uint8_t *buf = malloc(CHUNK);
	double start = nettest_now();
	uint64_t pos = 0;

	if (!buf)
		return -1;
	while (pos < bytes) {
		size_t n = bytes - pos < CHUNK ? (size_t)(bytes - pos) : CHUNK;
		ssize_t w;

		pattern_fill(buf, n, pos);
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		pos += (uint64_t)w;
		/* a short write leaves the rest of buf to be refilled: fine */
	}
	free(buf);
	r->bytes = pos;
	r->good = pos;
	r->seconds = nettest_now() - start;
	return pos == bytes ? 0 : -1;
}

int nettest_recv(int fd, uint64_t bytes, struct nettest_result *r)
{
	uint8_t *buf = malloc(CHUNK);
	double start = nettest_now();
	uint64_t pos = 0;
	bool ok = buf != NULL;

	r->good = 0;
	while (pos < bytes) {
		size_t want = bytes - pos < CHUNK ? (size_t)(bytes - pos) : CHUNK;
		ssize_t n = read(fd, buf, want);
		size_t match;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ok) {
			match = pattern_check(buf, (size_t)n, pos);
			r->good = pos + match;
			ok = match == (size_t)n;
		}
		pos += (uint64_t)n;
	}
	free(buf);
	r->bytes = pos;
	r->seconds = nettest_now() - start;
	return pos == bytes && ok ? 0 : -1;
}
