/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_NETTEST_H
#define GUEST_TEST_NETTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * Shared by the guest (guest-test) and the host peer (tinyvmm-netpeer):
 * a verified TCP transfer in each direction over fresh connections.
 *   1st connection: client sends N pattern bytes, server verifies and
 *                   answers with an 8-byte little-endian count of good bytes.
 *   2nd connection: server sends N pattern bytes, client verifies.
 */
struct nettest_result {
	uint64_t bytes;
	uint64_t good;		/* bytes that matched before the first error */
	double seconds;
};

int nettest_send(int fd, uint64_t bytes, struct nettest_result *r);
/*
 * nettest_send(), then half-close and read the peer's verdict (netpeer
 * answers with the little-endian count of bytes that matched): true only
 * if all @bytes arrived intact.
 */
bool nettest_send_verified(int fd, uint64_t bytes, struct nettest_result *r);
int nettest_recv(int fd, uint64_t bytes, struct nettest_result *r);
double nettest_now(void);

/*
 * TCP connect to ADDR:NETTEST_PORT, retrying @tries times @wait_ms apart
 * (the peer may not be listening yet). Returns the socket or -1.
 */
int nettest_connect(const char *addr, unsigned int tries, unsigned int wait_ms);

#endif
