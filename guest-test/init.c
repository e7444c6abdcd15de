/*
 * guest-test-init: PID 1 for tinyvmm test guests (static arm64).
 *
 * Prints machine-readable lines on the console that tests/e2e checks:
 *   guest-test: started
 *   guest-test: cpus=N kernel=RELEASE mem_kib=N
 *   guest-test: clock realtime=SECONDS (since the epoch, from the RTC)
 *   guest-test: mode=NAME
 * and with guest-test.mode=cpu:
 *   guest-test: cpu features=<cpu 0's /proc/cpuinfo Features>
 *   guest-test: cpu pmus=<armv8_pmuv3* event sources, or none>
 * then runs the mode chosen by `guest-test.mode=` on the kernel command
 * line (default: boot). PID 1 must never exit (the kernel would panic),
 * so every error path prints `guest-test: error: ...` and powers off.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "irqs.h"
#include "net.h"
#include "netif.h"
#include "say.h"

#define MODULES_LIST "/modules.list"
#define CMDLINE_KEY "guest-test.mode="

struct mode {
	const char *name;
	const char *help;
	void (*run)(void); /* returns => power off */
};

/*
 * Like an orderly shutdown, take the interfaces down first. Linux's
 * device_shutdown() breaks virtqueues under a live NIC, and a NAPI poll
 * that runs after that can spin forever in virtnet_poll_cleantx() (fixed
 * upstream by 0d0eff39ceb3, not in Debian's 6.1): `poweroff -f` with the
 * NIC up then hangs the guest, under any VMM. guest-test.ifdown=0 skips
 * this, to show the guest bug.
 */
static __attribute__((noreturn)) void power_off(void)
{
	char buf[8];

	if (strcmp(guest_net_opt("guest-test.ifdown", "1", buf, sizeof(buf)), "0"))
		netif_down_all();
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	/* Only reached if reboot() failed: never return from PID 1. */
	for (;;)
		pause();
}

static __attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("guest-test: error: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	power_off();
}

/* Read a small file into buf (NUL-terminated); returns length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

static void mount_one(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	/* EBUSY: the kernel already mounted it (devtmpfs.mount=1). */
	if (mount(src, dst, type, 0, NULL) != 0 && errno != EBUSY)
		fail("mount %s on %s: %s", type, dst, strerror(errno));
}

/* The console may not be open if /dev/console was missing from the cpio. */
static void setup_console(void)
{
	int fd;

	if (fcntl(1, F_GETFD) != -1)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail("open module %s: %s", path, strerror(errno));
	if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
		fail("finit_module %s: %s", path, strerror(errno));
	close(fd);
}

static void load_modules(void)
{
	FILE *f = fopen(MODULES_LIST, "re");
	char line[512];
	int count = 0;

	if (!f)
		return; /* no modules wanted */
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		load_module(line);
		count++;
	}
	fclose(f);
	guest_say(NULL, "modules=%d", count);
}

/* Online CPUs: count the ranges in "0-3,5" rather than trust sysconf. */
static int online_cpus(void)
{
	char buf[256], *p;
	int count = 0;

	if (read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) <= 0)
		return (int)sysconf(_SC_NPROCESSORS_ONLN);
	for (p = buf; *p;) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			break;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		count += (int)(hi - lo + 1);
		p = *end == ',' ? end + 1 : end;
		if (*p == '\n')
			break;
	}
	return count;
}

static long mem_total_kib(void)
{
	char buf[4096], *p;

	if (read_file("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "MemTotal:");
	return p ? strtol(p + strlen("MemTotal:"), NULL, 10) : -1;
}

static void report(void)
{
	struct utsname u;

	if (uname(&u) != 0)
		fail("uname: %s", strerror(errno));
	guest_say(NULL, "cpus=%d kernel=%s mem_kib=%ld", online_cpus(), u.release,
	    mem_total_kib());
	/* The wall clock the kernel set from the RTC (PL031): the host's time, not 1970. */
	guest_say(NULL, "clock realtime=%lld", (long long)time(NULL));
}

/* Value of guest-test.mode= on /proc/cmdline, copied to buf. */
static const char *cmdline_mode(char *buf, size_t size)
{
	char cmdline[4096], *p;
	size_t len;

	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		fail("read /proc/cmdline: %s", strerror(errno));
	/* The key must start a word: "xguest-test.mode=" is not ours. */
	for (p = cmdline; (p = strstr(p, CMDLINE_KEY)); p++)
		if (p == cmdline || p[-1] == ' ')
			break;
	if (!p)
		return "boot";
	p += strlen(CMDLINE_KEY);
	len = strcspn(p, " \n");
	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

static void mode_boot(void)
{
	/* Reporting already happened; returning powers off. */
}

static void mode_panic(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	if (fd < 0)
		fail("open /proc/sysrq-trigger: %s", strerror(errno));
	guest_say(NULL, "triggering panic");
	if (write(fd, "c", 1) != 1)
		fail("write sysrq-trigger: %s", strerror(errno));
	close(fd);
	fail("still alive after sysrq c");
}

static void mode_hang(void)
{
	guest_say(NULL, "hanging");
	for (;;)
		pause();
}

static void mode_net(void)
{
	if (guest_net_run())
		fail("network test failed");
	guest_irqs_report();
	guest_say(NULL, "net ok");
}

static void mode_netmq(void)
{
	if (guest_netmq_run())
		fail("multi-queue network test failed");
	guest_irqs_report();
	guest_say(NULL, "netmq ok");
}

static void mode_netreset(void)
{
	if (guest_netreset_run())
		fail("network reset test failed");
	guest_irqs_report();
	guest_say(NULL, "netreset ok");
}

static void mode_linkdown(void)
{
	if (guest_linkdown_run())
		fail("link-down test failed");
	guest_say(NULL, "linkdown ok");
}

static void mode_busyoff(void)
{
	if (guest_busyoff_run())
		fail("busy power-off test failed");
}

static void mode_netstarve(void)
{
	if (guest_netstarve_run())
		fail("netstarve failed");
	guest_say(NULL, "netstarve ok");
}

static void mode_cpu(void);

/* Each boot also says what CPU it got: a reboot must give the same features. */
static void mode_reboot(void)
{
	mode_cpu();
	if (guest_reboot_run())
		fail("reboot test failed");
	guest_say(NULL, "reboot ok");
}

/* Sleep guest-test.seconds, then power off: a guest that ignores its console. */
static void mode_sleep(void)
{
	char buf[32];

	sleep((unsigned int)atoi(guest_net_opt("guest-test.seconds", "25", buf, sizeof(buf))));
	guest_say(NULL, "slept");
}

static void mode_hostile(void)
{
	if (guest_hostile_run())
		fail("hostile-guest test failed");
	guest_say(NULL, "hostile ok");
}

static void mode_soak(void)
{
	if (guest_soak_run())
		fail("soak failed");
	guest_say(NULL, "soak ok");
}

/* What CPU the VMM gave us: the features and the PMUs perf can use. */
static void mode_cpu(void)
{
	char buf[8192], pmus[512] = "";
	struct dirent *d;
	const char *features;
	DIR *dir;

	if (read_file("/proc/cpuinfo", buf, sizeof(buf)) <= 0)
		fail("read /proc/cpuinfo: %s", strerror(errno));
	features = strstr(buf, "Features");
	features = features ? strchr(features, ':') : NULL;
	if (!features)
		fail("no Features line in /proc/cpuinfo");
	features += strspn(features, ": \t");
	guest_say(NULL, "cpu features=%.*s", (int)strcspn(features, "\n"), features);
	dir = opendir("/sys/bus/event_source/devices");
	while (dir && (d = readdir(dir))) {
		size_t len = strlen(pmus);

		if (!strncmp(d->d_name, "armv8_pmuv3", strlen("armv8_pmuv3")))
			snprintf(pmus + len, sizeof(pmus) - len, "%s%s", len ? "," : "", d->d_name);
	}
	if (dir)
		closedir(dir);
	guest_say(NULL, "cpu pmus=%s", pmus[0] ? pmus : "none");
}

static const struct mode modes[] = {
	{ "cpu", "print the CPU features and PMUs the guest has", mode_cpu },
	{ "boot", "report and power off", mode_boot },
	{ "panic", "panic the kernel (sysrq c)", mode_panic },
	{ "hang", "never power off", mode_hang },
	{ "soak", "verified transfers for guest-test.seconds (scripts/soak)", mode_soak },
	{ "hostile", "attack the NIC through /dev/mem, then a verified transfer", mode_hostile },
	{ "linkdown", "send until the host deletes the TAP; see carrier drop", mode_linkdown },
	{ "busyoff", "power off in the middle of a TCP transfer", mode_busyoff },
	{ "net", "ping and verified TCP both ways with tinyvmm-netpeer", mode_net },
	{ "netmq", "channels, parallel streams, per-queue traffic (serve-multi)", mode_netmq },
	{ "bench", "scripts/bench transfers with interrupt counts (see bench.c)", guest_bench_mode },
	{ "latency", "sockperf and iperf3 against the host's servers (see latency.c)", guest_latency_mode },
	{ "netreset", "net, then driver unbind/bind + verified transfer, loops times", mode_netreset },
	{ "netstarve", "eth0 down under a host flood, then a timed driver unbind", mode_netstarve },
	{ "reboot", "CPU features and net on each boot, guest-test.loops reboots (--on-reset reboot), power off", mode_reboot },
	{ "sleep", "sleep guest-test.seconds without reading the console, power off", mode_sleep },
};

static const struct mode *find_mode(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, name) == 0)
			return &modes[i];
	return NULL;
}

int main(void)
{
	const struct mode *m;
	char name[64];
	const char *want;

	/* devtmpfs first: without /dev/console in the cpio we have no stdout. */
	mount_one("devtmpfs", "/dev", "devtmpfs");
	setup_console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	guest_say(NULL, "started");
	mount_one("proc", "/proc", "proc");
	mount_one("sysfs", "/sys", "sysfs");
	report();
	load_modules();
	want = cmdline_mode(name, sizeof(name));
	m = find_mode(want);
	if (!m) {
		size_t i;

		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			guest_say(NULL, "known mode: %s (%s)", modes[i].name, modes[i].help);
		fail("unknown mode '%s'", want);
	}
	guest_say(NULL, "mode=%s", m->name);
	m->run();
	guest_say(NULL, "powering off");
	power_off();
}
