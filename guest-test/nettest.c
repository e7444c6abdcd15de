// SPDX-License-Identifier: MIT
#include "nettest.h"

#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"

#define CHUNK 65536

double nettest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int nettest_send(int fd, uint64_t bytes, struct nettest_result *r)
{
	static uint8_t buf[CHUNK];
	double start = nettest_now();
	uint64_t pos = 0;

	while (pos < bytes) {
		size_t n = bytes - pos < CHUNK ? (size_t)(bytes - pos) : CHUNK;
		ssize_t w;

		pattern_fill(buf, n, pos);
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		pos += (uint64_t)w;
		/* a short write leaves the rest of buf to be refilled: fine */
	}
	r->bytes = pos;
	r->good = pos;
	r->seconds = nettest_now() - start;
	return 0;
}

int nettest_recv(int fd, uint64_t bytes, struct nettest_result *r)
{
	static uint8_t buf[CHUNK];
	double start = nettest_now();
	uint64_t pos = 0;
	bool ok = true;

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
	r->bytes = pos;
	r->seconds = nettest_now() - start;
	return pos == bytes && ok ? 0 : -1;
}
