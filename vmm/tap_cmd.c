// SPDX-License-Identifier: MIT
/*
 * Persistent TAP management, so tinyvmm itself can run without root: root
 * creates a (multi-queue) TAP owned by the user once, the user then opens it.
 */
#include "vmm/tap_cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util.h"

#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

struct tap_request {
	const char *name;
	unsigned int queues;
	const char *user, *group, *address;
};

static int tap_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int tap_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tinyvmm: tap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return TVM_EXIT_ERROR;
}

/* tun_flags from sysfs: -1 if no such interface, -2 if it is not a TUN/TAP. */
static long read_tun_flags(const char *name)
{
	char path[128], buf[32];
	FILE *f;
	long v;

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	if (access(path, F_OK))
		return -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	f = fopen(path, "r");
	if (!f)
		return -2;
	v = fgets(buf, sizeof(buf), f) ? strtol(buf, NULL, 16) : -2;
	fclose(f);
	return v;
}

static int read_id(const char *name, const char *attr)
{
	char path[128], buf[32];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, attr);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = atoi(buf);
		fclose(f);
	}
	return v;
}

static int open_tap(const char *name, bool multi_queue)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_flags = TAP_FLAGS | (multi_queue ? IFF_MULTI_QUEUE : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The name for @id in @file, or NULL. */
static const char *name_of_id(const char *file, long id, char *buf, size_t size)
{
	char line[512];
	const char *found = NULL;
	FILE *f = fopen(file, "r");

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (c2 && strtol(c2 + 1, NULL, 10) == id && (size_t)(c1 - line) < size) {
			memcpy(buf, line, (size_t)(c1 - line));
			buf[c1 - line] = '\0';
			found = buf;
		}
	}
	fclose(f);
	return found;
}

static int resolve_ids(const struct tap_request *rq, long *uid, long *gid)
{
	*uid = *gid = -1;
	if (rq->user && (*uid = lookup_id("/etc/passwd", rq->user)) < 0)
		return tap_error("no user '%s'. Give an existing --user (name or number)", rq->user);
	if (rq->group && (*gid = lookup_id("/etc/group", rq->group)) < 0)
		return tap_error("no group '%s'. Give an existing --group (name or number)", rq->group);
	return 0;
}

static int set_address(const char *name, const char *cidr)
{
	char addr[32];
	const char *slash = strchr(cidr, '/');
	int prefix = slash ? atoi(slash + 1) : 32, s, ret = 0;
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	size_t len = slash ? (size_t)(slash - cidr) : strlen(cidr);

	if (len >= sizeof(addr) || prefix < 0 || prefix > 32)
		return -1;
	memcpy(addr, cidr, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return -1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	sin->sin_family = AF_INET;
	ret |= ioctl(s, SIOCSIFADDR, &ifr);
	sin->sin_addr.s_addr = prefix ? htonl(~0U << (32 - prefix)) : 0;
	ret |= ioctl(s, SIOCSIFNETMASK, &ifr);
	ret |= ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ret |= ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return ret ? -1 : 0;
}

static int tap_create(const struct tap_request *rq)
{
	bool mq = rq->queues > 1;
	long flags = read_tun_flags(rq->name), uid, gid;
	int fd;

	if (resolve_ids(rq, &uid, &gid))
		return TVM_EXIT_ERROR;
	if (flags == -2)
		return tap_error("'%s' exists and is not a TAP. Pick another name", rq->name);
	if (flags >= 0 && !!(flags & IFF_MULTI_QUEUE) != mq)
		return tap_error("'%s' exists %s multi-queue. Delete it first: tinyvmm tap delete %s",
				 rq->name, mq ? "without" : "with", rq->name);
	fd = open_tap(rq->name, mq);
	if (fd < 0)
		return errno == EPERM ? tap_error("creating TAP '%s' needs root (CAP_NET_ADMIN). Run: sudo tinyvmm tap create %s ...",
						  rq->name, rq->name)
				      : tap_error("cannot create TAP '%s': %s", rq->name, strerror(errno));
	if ((uid >= 0 && ioctl(fd, TUNSETOWNER, uid) < 0) ||
	    (gid >= 0 && ioctl(fd, TUNSETGROUP, gid) < 0) || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		close(fd);
		return tap_error("cannot make TAP '%s' persistent with its owner: %s", rq->name,
				 strerror(errno));
	}
	close(fd);
	if (rq->address && set_address(rq->name, rq->address))
		return tap_error("cannot give '%s' the address '%s': %s. Use an IPv4 CIDR like 169.254.0.1/16",
				 rq->name, rq->address, strerror(errno));
	printf("tap %s: %s, %s%s%s%s\n", rq->name, flags >= 0 ? "updated" : "created",
	       mq ? "multi-queue" : "single-queue", rq->user ? ", user " : "",
	       rq->user ? rq->user : "", rq->address ? ", address set" : "");
	return 0;
}

static int tap_delete(const char *name)
{
	long flags = read_tun_flags(name);
	int fd;

	if (flags == -1) {
		printf("tap %s: does not exist, nothing to delete\n", name);
		return 0;
	}
	if (flags == -2)
		return tap_error("'%s' is not a TAP; not deleting it", name);
	fd = open_tap(name, flags & IFF_MULTI_QUEUE);
	if (fd < 0 || ioctl(fd, TUNSETPERSIST, 0) < 0) {
		if (fd >= 0)
			close(fd);
		return tap_error("cannot delete TAP '%s': %s (busy or not root)", name, strerror(errno));
	}
	close(fd);	/* last reference gone: the interface disappears */
	printf("tap %s: deleted\n", name);
	return 0;
}

static int tap_show(const char *name)
{
	long flags = read_tun_flags(name);
	int uid = read_id(name, "owner"), gid = read_id(name, "group");
	char ubuf[64], gbuf[64];
	const char *user = uid >= 0 ? name_of_id("/etc/passwd", uid, ubuf, sizeof(ubuf)) : NULL;
	const char *group = gid >= 0 ? name_of_id("/etc/group", gid, gbuf, sizeof(gbuf)) : NULL;

	if (flags == -1)
		return tap_error("no interface '%s'. Create it: tinyvmm tap create %s --queues N",
				 name, name);
	if (flags == -2)
		return tap_error("'%s' is not a TUN/TAP interface", name);
	printf("tap %s\n  type: %s\n  multi-queue: %s\n  vnet header: %s\n  persistent: %s\n",
	       name, flags & IFF_TAP ? "tap" : "tun", flags & IFF_MULTI_QUEUE ? "yes" : "no",
	       flags & IFF_VNET_HDR ? "yes" : "no", flags & IFF_PERSIST ? "yes" : "no");
	if (uid < 0)
		printf("  owner: none (root only)\n");
	else
		printf("  owner: %s (%d)\n", user ? user : "?", uid);
	if (gid < 0)
		printf("  group: none\n");
	else
		printf("  group: %s (%d)\n", group ? group : "?", gid);
	return 0;
}

static int parse_create(int argc, char **argv, struct tap_request *rq)
{
	for (int i = 3; i < argc; i++) {
		const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;

		if (!v)
			return tap_error("%s needs a value", opt);
		i++;
		if (!strcmp(opt, "--queues")) {
			if (parse_u64(v, 1, 16, &n))
				return tap_error("--queues '%s': use a number from 1 to 16", v);
			rq->queues = (unsigned int)n;
		} else if (!strcmp(opt, "--user")) {
			rq->user = v;
		} else if (!strcmp(opt, "--group")) {
			rq->group = v;
		} else if (!strcmp(opt, "--address")) {
			rq->address = v;
		} else {
			return tap_error("unknown option '%s'. See tinyvmm tap --help", opt);
		}
	}
	return 0;
}

static void tap_usage(void)
{
	printf("Usage:\n"
	       "  tinyvmm tap create NAME [--queues N] [--user USER] [--group GROUP] [--address CIDR]\n"
	       "  tinyvmm tap delete NAME\n"
	       "  tinyvmm tap show NAME\n"
	       "create makes a persistent TAP (multi-queue when N > 1) that USER can open\n"
	       "without root; run it again to update owner or address.\n");
}

int tap_command(int argc, char **argv)
{
	struct tap_request rq = { .queues = 1 };

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		tap_usage();
		return argc < 2 ? TVM_EXIT_USAGE : 0;
	}
	if (argc < 3 || !*argv[2] || strlen(argv[2]) >= IFNAMSIZ) {
		tap_error("'%s' needs an interface name of 1 to %d characters", argv[1], IFNAMSIZ - 1);
		return TVM_EXIT_USAGE;
	}
	rq.name = argv[2];
	if (!strcmp(argv[1], "create"))
		return parse_create(argc, argv, &rq) ? TVM_EXIT_USAGE : tap_create(&rq);
	if (argc != 3) {
		tap_error("'%s' takes only a name", argv[1]);
		return TVM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "delete"))
		return tap_delete(rq.name);
	if (!strcmp(argv[1], "show"))
		return tap_show(rq.name);
	tap_error("unknown command '%s'. Use create, delete or show", argv[1]);
	return TVM_EXIT_USAGE;
}
