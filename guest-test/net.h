/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_NET_H
#define GUEST_TEST_NET_H

/*
 * guest-test.mode=net: bring up eth0, report what the driver negotiated,
 * ping the host peer and run the verified TCP transfers both ways.
 * Options on the kernel command line: guest-test.ip= (169.254.0.2),
 * guest-test.peer= (169.254.0.1), guest-test.bytes= (16777216).
 * Returns 0 when everything was verified.
 */
int guest_net_run(void);

#endif
