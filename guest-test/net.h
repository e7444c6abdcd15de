/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_NET_H
#define GUEST_TEST_NET_H

#include <stdint.h>

/*
 * guest-test.mode=net: bring up eth0, report what the driver negotiated,
 * ping the host peer and run the verified TCP transfers both ways.
 * Options on the kernel command line: guest-test.ip= (169.254.0.2),
 * guest-test.peer= (169.254.0.1), guest-test.bytes= (16777216).
 * Returns 0 when everything was verified.
 */
int guest_net_run(void);

/* guest-test.mode=netmq: see netmq.c. */
int guest_netmq_run(void);

/* Shared by both modes: wait for eth0, report features, address it, wait for carrier. */
int guest_net_setup(const char *default_ip);
const char *guest_net_peer(void);
uint64_t guest_net_bytes(void);

#endif
