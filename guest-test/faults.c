// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=linkdown: bring eth0 up, keep sending to the peer in a
 * thread, and wait (up to guest-test.wait= seconds, default 120) for the
 * carrier to drop, which is what the guest must see when the host deletes
 * the TAP under tinyvmm. Prints "linkdown: carrier down" and succeeds then,
 * after staying up guest-test.hold= seconds (default 0).
 *
 * guest-test.mode=busyoff: the same sender, and power off while it is in
 * full flow, guest-test.seconds= (default 2) after it starts: a VM stopped
 * mid-transfer must still power off (see power_off() in init.c).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "nettest.h"
#include "pattern.h"

static volatile int sending;

static void *sender(void *arg)
{
	struct nettest_result r;
	int fd = nettest_connect(arg, 1, 0);

	if (fd >= 0) {
		printf("guest-test: linkdown: sending\n");
		fflush(stdout);
		sending = 1;
		nettest_send(fd, 1ULL << 40, &r);	/* until the link breaks */
	}
	return NULL;
}

static int carrier(void)
{
	char c = '?';
	int fd = open("/sys/class/net/eth0/carrier", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '?';
		close(fd);
	}
	return c == '1';
}

int guest_linkdown_run(void)
{
	pthread_t t;

	if (guest_net_setup("169.254.0.2"))
		return -1;
	printf("guest-test: linkdown: carrier up\n");
	fflush(stdout);
	pthread_create(&t, NULL, sender, (void *)guest_net_peer());
	for (int i = 0; i < 1200; i++) {
		if (!carrier()) {
			char buf[16];
			unsigned int hold = (unsigned int)atoi(guest_net_opt("guest-test.hold", "0",
									     buf, sizeof(buf)));

			printf("guest-test: linkdown: carrier down\n");
			fflush(stdout);
			/* Stay up a while: the host checks tinyvmm is idle, not spinning. */
			sleep(hold);
			return 0;
		}
		usleep(100000);
	}
	printf("guest-test: linkdown: error: carrier never dropped\n");
	return -1;
}

int guest_busyoff_run(void)
{
	char buf[16];
	unsigned int secs = (unsigned int)atoi(guest_net_opt("guest-test.seconds", "2",
							     buf, sizeof(buf)));
	pthread_t t;
	int i;

	if (guest_net_setup("169.254.0.2"))
		return -1;
	pthread_create(&t, NULL, sender, (void *)guest_net_peer());
	for (i = 0; i < 600 && !sending; i++)
		usleep(100000);
	if (!sending) {
		printf("guest-test: busyoff: error: could not start sending\n");
		return -1;
	}
	sleep(secs);
	printf("guest-test: busyoff: powering off mid-transfer\n");
	return 0;
}
