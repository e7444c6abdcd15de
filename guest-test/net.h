/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_NET_H
#define GUEST_TEST_NET_H

#include <stddef.h>
#include <stdint.h>

/*
 * guest-test.mode=net: bring up eth0, report what the driver negotiated,
 * ping the host peer and run the verified TCP transfers both ways.
 * Options on the kernel command line: guest-test.ip= (169.254.0.2),
 * guest-test.peer= (169.254.0.1), guest-test.bytes= (16777216).
 * Returns 0 when everything was verified.
 */
int guest_net_run(void);

/* guest-test.mode=soak: see soak.c. */
int guest_soak_run(void);

/* guest-test.mode=hostile: see hostile.c. */
int guest_hostile_run(void);

/* guest-test.mode=linkdown: see faults.c. */
int guest_linkdown_run(void);

int guest_busyoff_run(void);

/* guest-test.mode=netmq: see netmq.c. */
int guest_netmq_run(void);

/* guest-test.mode=netreset: see netreset.c. */
int guest_netreset_run(void);
/* eth0 down under a flood, then a driver unbind (device reset), timed. */
int guest_netstarve_run(void);
/* guest-test.mode=reboot (reboot.c): a transfer per boot, guest-test.loops reboots. */
int guest_reboot_run(void);

/* guest-test.mode=bench: see bench.c (used by scripts/bench). */
void guest_bench_mode(void);
/* guest-test.mode=latency: see latency.c (scripts/bench --latency). */
void guest_latency_mode(void);

/* Shared by the modes: wait for eth0, report features, address it, wait for carrier. */
int guest_net_setup(const char *default_ip);
/* The same; @report 0 skips the feature lines (repeated bring-ups). */
int guest_net_bringup(const char *default_ip, int report);
/* The two verified transfers with tinyvmm-netpeer serve; 0 if both verified. */
int guest_net_transfer(const char *peer, uint64_t bytes);
/* Value of KEY= on the kernel command line (copied to buf), or @def. */
const char *guest_net_opt(const char *key, const char *def, char *buf, size_t size);
const char *guest_net_peer(void);
uint64_t guest_net_bytes(void);

#endif
