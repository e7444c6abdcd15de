// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=soak: verified transfers both ways, back to back, for
 * guest-test.seconds= (default 600). Every round is checked byte for byte on
 * both ends (the peer reports how many bytes it verified). Prints one line
 * per minute and a summary; fails on the first bad round.
 * Peer: tinyvmm-netpeer serve ADDR BYTES TIMEOUT ROUNDS (ROUNDS large).
 */
#include <stdio.h>
#include <stdlib.h>

#include "net.h"
#include "nettest.h"

int guest_soak_run(void)
{
	char buf[32];
	double seconds = atof(guest_net_opt("guest-test.seconds", "600", buf, sizeof(buf)));
	uint64_t bytes = guest_net_bytes(), rounds = 0;
	double start, next_report;

	if (guest_net_setup("169.254.0.2"))
		return -1;
	start = nettest_now();
	next_report = start + 60;
	while (nettest_now() - start < seconds) {
		if (guest_net_transfer(guest_net_peer(), bytes)) {
			printf("guest-test: soak: error: round %llu failed\n", (unsigned long long)rounds + 1);
			return -1;
		}
		rounds++;
		if (nettest_now() >= next_report) {
			printf("guest-test: soak: %.0f s, %llu rounds, %llu MiB verified each way\n",
			       nettest_now() - start, (unsigned long long)rounds,
			       (unsigned long long)(rounds * bytes >> 20));
			fflush(stdout);
			next_report += 60;
		}
	}
	printf("guest-test: soak: done: %.0f s, %llu rounds, %llu bytes verified each way, 0 errors\n",
	       nettest_now() - start, (unsigned long long)rounds, (unsigned long long)(rounds * bytes));
	return 0;
}
