// SPDX-License-Identifier: MIT
/*
 * tinyvmm check: a doctor that changes nothing. It looks at the host the way
 * a run would (KVM, vGIC, vhost-net, tun, the TAP), says which tier
 * `tinyvmm --tap X --queues N` would get, and what to do to reach Tier 1A.
 */
#include "vmm/check.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "devices/net/virtio_net.h"
#include "lib/host_page.h"
#include "vmm/core/tier.h"
#include "lib/util.h"

struct check_args {
	const char *tap;
	unsigned int queues, cpus;
};

static int open_errno(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno ? errno : EIO;
	close(fd);
	return 0;
}

static bool in_group_of(const char *path)
{
	gid_t groups[256];
	struct stat st;
	int n = getgroups(256, groups);

	if (stat(path, &st))
		return false;
	if (getegid() == st.st_gid)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == st.st_gid)
			return true;
	return false;
}

/* Whether KVM on this host can run a guest; prints why (not). */
static bool report_kvm(int e)
{
	struct kvm_check_info k = { 0 };

	if (e) {
		check_line(stdout, "!!", "/dev/kvm: %s%s", strerror(e),
		     e == EACCES ? (in_group_of("/dev/kvm") ? " (you are in its group; check its mode)"
							: " (you are not in its group: sudo usermod -aG kvm $USER)")
				 : "");
		return false;
	}
	if (kvm_check_probe(&k)) {
		struct utsname u;

		if (uname(&u))
			strcpy(u.machine, "this");
		check_line(stdout, "--", "/dev/kvm: present, but KVM on %s runs only %s guests", u.machine, u.machine);
		return false;
	}
	return check_report_kvm_info(stdout, &k);
}

static int report_vhost(void)
{
	int e = open_errno("/dev/vhost-net"), fd;
	uint64_t features = 0;
	char why[300];

	if (e) {
		vhost_net_describe_error(e, why, sizeof(why));
		check_line(stdout, "!!", "%s", why);
		return e;
	}
	fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (fd >= 0 && ioctl(fd, VHOST_GET_FEATURES, &features) == 0)
		check_line(stdout, "ok", "/dev/vhost-net: opens; packed ring %s, event idx %s, mergeable RX %s",
		     features & (1ULL << VIRTIO_F_RING_PACKED) ? "yes" : "no (split only)",
		     features & (1ULL << VIRTIO_RING_F_EVENT_IDX) ? "yes" : "no",
		     features & (1ULL << VIRTIO_NET_F_MRG_RXBUF) ? "yes" : "no");
	if (fd >= 0)
		close(fd);
	return 0;
}

/* The TAP as sysfs describes it: 1 exists (mq in *mq), 0 missing, -1 unknown. */
static int report_tap(const char *name, bool *mq)
{
	char path[128], buf[32];
	FILE *f;

	*mq = false;
	if (!name)
		return -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	f = fopen(path, "r");
	if (!f) {
		snprintf(path, sizeof(path), "/sys/class/net/%s", name);
		if (access(path, F_OK) == 0) {
			check_line(stdout, "!!", "%s exists but is not a TAP", name);
			return 1;
		}
		check_line(stdout, "--", "TAP %s: does not exist (tinyvmm creates it if allowed, else: sudo tinyvmm tap create %s)",
		     name, name);
		return 0;
	}
	if (fgets(buf, sizeof(buf), f))
		*mq = strtol(buf, NULL, 16) & IFF_MULTI_QUEUE;
	fclose(f);
	check_line(stdout, "ok", "TAP %s: exists, %s", name, *mq ? "multi-queue" : "single-queue");
	return 1;
}

static int parse_args(int argc, char **argv, struct check_args *a)
{
	for (int i = 1; i < argc; i++) {
		uint64_t n;

		if (i + 1 >= argc) {
			fprintf(stderr, "tinyvmm check: %s needs a value\n", argv[i]);
			return -1;
		}
		if (!strcmp(argv[i], "--tap")) {
			a->tap = argv[++i];
		} else if (!strcmp(argv[i], "--queues") && !parse_u64(argv[i + 1], 1, 16, &n)) {
			a->queues = (unsigned int)n;
			i++;
		} else if (!strcmp(argv[i], "--cpus") && !parse_u64(argv[i + 1], 1, 512, &n)) {
			a->cpus = (unsigned int)n;
			i++;
		} else {
			fprintf(stderr, "tinyvmm check: bad option '%s'. Usage: tinyvmm check [--tap NAME] [--queues N] [--cpus N]\n",
				argv[i]);
			return -1;
		}
	}
	return 0;
}

static void print_plan(const struct tier_plan *p, const struct check_args *a)
{
	printf("\nA run with%s%s --queues %u --cpus %u would get:\n", a->tap ? " --tap " : "",
	       a->tap ? a->tap : "", a->queues, a->cpus);
	printf("%s\n", p->platform);
	if (p->network[0])
		printf("%s\n", p->network);
	for (unsigned int i = 0; i < p->nwarnings; i++)
		printf("tinyvmm: warning: %s\n", p->warnings[i]);
	if (p->error[0])
		printf("tinyvmm: %s\n", p->error);
}

static void print_tier_1a_steps(const struct tier_plan *p, const char *tap, unsigned int n)
{
	if (p->tier == TIER_3) {
		printf("\nThis host cannot run ARM64 guests with KVM. On x86_64 use the emulated ARM64 host:\n"
		       "  scripts/emuhost -- tinyvmm --kernel ... (see README.md)\n");
		return;
	}
	if (p->tier == TIER_1A)
		return;
	n = n > 1 ? n : 2;
	printf("\nTo reach Tier 1A (vhost-net, multi-queue):\n"
	       "  sudo modprobe vhost_net tun\n"
	       "  sudo tinyvmm tap create %s --queues %u --user $USER\n"
	       "  tinyvmm --kernel Image --tap %s --queues %u --cpus %u\n",
	       tap, n, tap, n, n);
}

int check_command(int argc, char **argv)
{
	struct check_args a = { .queues = 1, .cpus = 1 };
	struct host_caps caps = { .tap_exists = -1 };
	struct tier_request rq;
	struct tier_plan plan;
	struct utsname u;
	bool kvm_usable;

	if (parse_args(argc, argv, &a))
		return TVM_EXIT_USAGE;
	if (uname(&u))
		strcpy(u.machine, "unknown");
	printf("tinyvmm check: what this host can run (nothing is changed)\n");
	caps.arch = u.machine;
	check_line(stdout, !strcmp(u.machine, "aarch64") ? "ok" : "!!", "architecture: %s%s", u.machine,
	     !strcmp(u.machine, "aarch64") ? "" : " (KVM runs ARM64 guests only on ARM64 hosts)");
	caps.kvm_errno = open_errno("/dev/kvm");
	kvm_usable = report_kvm(caps.kvm_errno);
	if (!caps.kvm_errno && !kvm_usable)
		caps.kvm_broken = true;
	check_line(stdout, "ok", "host page size: %lluK (guest RAM in %llu MiB stage-2 blocks)",
		   (unsigned long long)(host_page_size() >> 10),
		   (unsigned long long)(host_stage2_block(host_page_size()) >> 20));
	caps.vhost_errno = report_vhost();
	caps.tun_errno = open_errno("/dev/net/tun");
	if (caps.tun_errno)
		check_line(stdout, "!!", "/dev/net/tun: %s (modprobe tun)", strerror(caps.tun_errno));
	else
		check_line(stdout, "ok", "/dev/net/tun: opens");
	caps.tap_exists = report_tap(a.tap, &caps.tap_multi_queue);
	rq = (struct tier_request){ .tap = a.tap ? a.tap : "tap0", .queues = a.queues,
				    .cpus = a.cpus, .vhost = VHOST_AUTO };
	tier_plan(&caps, &rq, &plan);
	print_plan(&plan, &a);
	print_tier_1a_steps(&plan, rq.tap, a.queues);
	return plan.tier == TIER_3 || !kvm_usable ? TVM_EXIT_NO_KVM : 0;
}
