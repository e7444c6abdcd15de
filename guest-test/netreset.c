// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=netreset: device reset under traffic history. After the
 * first verified transfer (guest-test.bytes=), unbind the virtio-net driver
 * (the driver resets the device: status 0), bind it again (full
 * re-negotiation, new rings), re-address eth0 and run a smaller verified
 * transfer (guest-test.loopbytes=, default 262144), guest-test.loops= times
 * (default 20). Peer: tinyvmm-netpeer serve ADDR BYTES TIMEOUT LOOPS+1 LOOPBYTES.
 *
 * On virtio-pci the PCI function is rebound instead (virtio-pci driver: MSI-X
 * vectors freed and set up again each time), on virtio-mmio the virtio device.
 *
 * Lines: `guest-test: netreset device=virtio0 driver=virtio_net loops=N loopbytes=N`
 * (or device=0000:00:01.0 driver=virtio-pci),
 * `guest-test: netreset loop I/N ok (S s)` per loop, then
 * `guest-test: netreset N of N rebinds verified in S s`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "netif.h"
#include "nettest.h"
#include "pcidev.h"
#include "say.h"

#define IFNAME "eth0"
#define DRIVER_DIR "/sys/bus/virtio/drivers/virtio_net"

/* The virtio device behind eth0, e.g. "virtio0" (from the sysfs link). */
static int device_name(char *buf, size_t size)
{
	char link[PATH_MAX];
	ssize_t n = readlink("/sys/class/net/" IFNAME "/device", link, sizeof(link) - 1);
	const char *base;

	if (n <= 0)
		return -1;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (strlen(base) >= size)
		return -1;
	strcpy(buf, base);
	return 0;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Unbind and bind again; eth0 is gone in between and comes back. */
static int rebind(const char *driver_dir, const char *dev)
{
	char unbind[PATH_MAX], bind[PATH_MAX];
	int tenths;

	snprintf(unbind, sizeof(unbind), "%s/unbind", driver_dir);
	snprintf(bind, sizeof(bind), "%s/bind", driver_dir);
	if (write_str(unbind, dev)) {
		guest_say("netreset", "error: unbind %s: %s", dev, strerror(errno));
		return -1;
	}
	for (tenths = 0; exists("/sys/class/net/" IFNAME) && tenths < 100; tenths++)
		usleep(100000);
	if (exists("/sys/class/net/" IFNAME)) {
		guest_say("netreset", "error: %s still there 10 s after unbind", IFNAME);
		return -1;
	}
	if (write_str(bind, dev)) {
		guest_say("netreset", "error: bind %s: %s", dev, strerror(errno));
		return -1;
	}
	return 0;
}

int guest_netreset_run(void)
{
	const char *peer = guest_net_peer();
	const char *driver_dir = DRIVER_DIR;
	char buf[32], dev[64];
	long loops = strtol(guest_net_opt("guest-test.loops", "20", buf, sizeof(buf)), NULL, 10);
	unsigned long long loop_bytes =
		strtoull(guest_net_opt("guest-test.loopbytes", "262144", buf, sizeof(buf)), NULL, 10);
	double start, t0;

	if (guest_net_setup("169.254.0.2"))
		return -1;
	if (pci_function_of(IFNAME, dev, sizeof(dev)) == 0) {
		driver_dir = PCI_VIRTIO_DRIVER_DIR;
	} else if (device_name(dev, sizeof(dev))) {
		guest_say("netreset", "error: no device link for %s: %s", IFNAME, strerror(errno));
		return -1;
	}
	guest_say("netreset", "device=%s driver=%s loops=%ld loopbytes=%llu", dev,
		  strrchr(driver_dir, '/') + 1, loops, loop_bytes);
	if (guest_net_transfer(peer, guest_net_bytes()))
		return -1;
	start = nettest_now();
	for (long i = 1; i <= loops; i++) {
		t0 = nettest_now();
		if (rebind(driver_dir, dev) || guest_net_bringup("169.254.0.2", i == loops)) {
			guest_say("netreset", "error: loop %ld/%ld: driver rebind or bring-up failed", i, loops);
			return -1;
		}
		if (guest_net_transfer(peer, loop_bytes)) {
			guest_say("netreset", "error: loop %ld/%ld: transfer after rebind failed", i, loops);
			return -1;
		}
		guest_say("netreset", "loop %ld/%ld ok (%.1f s)", i, loops, nettest_now() - t0);
	}
	guest_say("netreset", "%ld of %ld rebinds verified in %.1f s", loops, loops,
		  nettest_now() - start);
	return 0;
}

/*
 * netstarve: take eth0 down while the host floods it (guest-test.seconds),
 * so its RX buffers are used up and never refilled, then unbind the driver
 * (a device reset, as rmmod virtio_net does) and say how long that took.
 * A device that spins on the empty ring, or cannot be reset, shows here.
 */
int guest_netstarve_run(void)
{
	char buf[32], dev[64];
	double seconds = atof(guest_net_opt("guest-test.seconds", "20", buf, sizeof(buf))), t0;

	if (guest_net_setup("169.254.0.2") || device_name(dev, sizeof(dev)))
		return -1;
	netif_down_all();
	guest_say("netstarve", "eth0 down, RX not refilled for %.0f s", seconds);
	usleep((useconds_t)(seconds * 1e6));
	t0 = nettest_now();
	if (write_str(DRIVER_DIR "/unbind", dev)) {
		guest_say("netstarve", "error: unbind %s: %s", dev, strerror(errno));
		return -1;
	}
	guest_say("netstarve", "driver unbound (device reset) in %.1f s", nettest_now() - t0);
	return 0;
}
