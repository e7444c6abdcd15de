// SPDX-License-Identifier: MIT
/*
 * TAP devices (drivers/net/tun.c): the host end of the guest's NIC. Steps
 * 1-3 of the vhost-net map (vhost/vhost_net.c) are here; Tier 2 uses the
 * same TAP.
 */
#include "vhost/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int open_failure(const char *name, bool multi_queue, int e, struct tvm_error *err)
{
	switch (e) {
	case ENOENT:
	case ENODEV:
		return tvm_fail(err, TVM_EXIT_ERROR,
				"--tap %s: /dev/net/tun is missing. Load the tun module: modprobe tun",
				name);
	case EPERM:
	case EACCES:
		return tvm_fail(err, TVM_EXIT_ERROR,
				"--tap %s: permission denied opening or creating the TAP. Create it for your user as root: ip tuntap add dev %s mode tap user $USER%s",
				name, name, multi_queue ? " multi_queue" : "");
	case EBUSY:
		return tvm_fail(err, TVM_EXIT_ERROR,
				"--tap %s: the interface is busy (another process holds it, or it is not a TAP). Stop that process or choose another --tap",
				name);
	case EINVAL:
		if (multi_queue)
			return tvm_fail(err, TVM_EXIT_ERROR,
					"--tap %s: the interface is not a multi-queue TAP, which --queues needs. Recreate it: tinyvmm tap delete %s; tinyvmm tap create %s --queues N (or: ip tuntap add dev %s mode tap multi_queue)",
					name, name, name, name);
		return tvm_fail(err, TVM_EXIT_ERROR,
				"--tap %s: the interface exists but is not a TAP. Choose another name or create one: tinyvmm tap create %s",
				name, name);
	default:
		return tvm_fail(err, TVM_EXIT_ERROR, "--tap %s: cannot attach: %s", name,
				strerror(e));
	}
}

static int attach(int fd, const char *name, bool multi_queue)
{
	struct ifreq ifr = { 0 };

	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (multi_queue)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	return ioctl(fd, TUNSETIFF, &ifr);
}

int tap_open(const char *name, bool multi_queue, struct tvm_error *err)
{
	int fd;

	if (!*name || strlen(name) >= IFNAMSIZ)
		return tvm_fail(err, TVM_EXIT_USAGE,
				"--tap '%s' is not an interface name. Use 1 to %d characters",
				name, IFNAMSIZ - 1);
	/* 1. One fd per queue pair; vhost takes it at step 20. */
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return open_failure(name, multi_queue, errno, err);
	if (attach(fd, name, multi_queue) < 0 &&
	    (multi_queue || errno != EINVAL || attach(fd, name, true) < 0)) {
		/* A multi-queue TAP serves one queue just as well: retried above. */
		int e = errno;

		close(fd);
		return open_failure(name, multi_queue, e, err);
	}
	/*
	 * 2. Persistent TAPs remember an old size: always set ours (12,
	 *    VERSION_1); step 10 sets what the driver negotiated.
	 */
	if (tap_set_vnet_hdr_size(fd, VNET_HDR_SIZE) < 0) {
		close(fd);
		return tvm_fail(err, TVM_EXIT_ERROR, "--tap %s: TUNSETVNETHDRSZ failed: %s",
				name, strerror(errno));
	}
	/* No offloads until the guest says which it takes. */
	tap_set_offload(fd, 0);
	return fd;
}

int tap_set_vnet_hdr_size(int fd, int size)
{
	return ioctl(fd, TUNSETVNETHDRSZ, &size);
}

int tap_set_offload(int fd, unsigned int tun_flags)
{
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags);
}

unsigned int tap_probe_offloads(int fd)
{
	unsigned int ok = 0;

	/* 3. TUNSETOFFLOAD refuses bits it does not know (EINVAL): the way to ask. */
	if (tap_set_offload(fd, TUN_F_CSUM | TUN_F_UFO) == 0)
		ok |= TUN_F_UFO;
	if (tap_set_offload(fd, TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6) == 0)
		ok |= TUN_F_USO4 | TUN_F_USO6;
	tap_set_offload(fd, 0);
	return ok;
}

int tap_set_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

	if (s < 0)
		return -1;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		if (ifr.ifr_flags & IFF_UP)
			ret = 0;
		else {
			ifr.ifr_flags |= IFF_UP;
			ret = ioctl(s, SIOCSIFFLAGS, &ifr);
		}
	}
	close(s);
	return ret;
}
