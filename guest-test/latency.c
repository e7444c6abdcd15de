// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=latency: the guest side of `scripts/bench --latency`
 * (scripts/lib/bench-latency.sh). Runs Debian's sockperf and iperf3 (in the
 * initramfs: scripts/lib/latency-tools.sh) against servers the host started
 * on the TAP before the VM, and prints what they measured:
 *
 *   guest-test: latency ready cpu=N tests=LIST spin=N|none
 *   guest-test: latency sockperf proto=udp msg=64 p50_us=X p99_us=X p999_us=X tps=X
 *   guest-test: latency sockperf proto=tcp msg=64 ...
 *   guest-test: latency iperf3 dir=g2h mbps=X retr=N     (guest sends)
 *   guest-test: latency iperf3 dir=h2g mbps=X retr=N     (-R: host sends)
 *   guest-test: latency done
 * or `guest-test: latency error: ...` with the tool's last output line.
 * Latencies are full round trips (sockperf --full-rtt), in microseconds;
 * tps: replies received per second of the measured run; mbps: the
 * receiver's Mbit/s; retr: the sender's TCP retransmits.
 *
 * Options: guest-test.ip=, guest-test.peer= (as net); guest-test.seconds=
 * per test (default 3); guest-test.cpu=N runs every tool pinned to vCPU N
 * (the stall of issue 27 depends on the vCPU taking input.0);
 * guest-test.tests= a comma list of udp,tcp,g2h,h2g runs only those (default
 * all four); guest-test.spin=N keeps vCPU N from ever idling (a SCHED_IDLE
 * busy loop pinned there for the whole run: the arm64 guest has no idle=poll,
 * so this is how the stall's idle path is taken out). At the end the virtio,
 * timer and IPI interrupt counts per vCPU (irqs.h).
 * Servers: sockperf UDP on port 11111, TCP on 11112; iperf3 on 5201.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "irqs.h"
#include "net.h"
#include "say.h"

#define TOOL_OUTPUT_MAX 65536
#define TOOL_GRACE_S 30	/* beyond the test's own duration */
#define SOCKPERF_UDP_PORT "11111"
#define SOCKPERF_TCP_PORT "11112"

struct tool_run {
	char out[TOOL_OUTPUT_MAX];
	size_t len;
};

static int latency_cpu = -1;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void exec_tool(char *const argv[], int out_fd)
{
	static char *const envp[] = { "PATH=/usr/bin", "LD_LIBRARY_PATH=/lib/aarch64-linux-gnu",
				      "HOME=/", "TMPDIR=/tmp", NULL };

	dup2(out_fd, 1);
	dup2(out_fd, 2);
	if (latency_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(latency_cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	execve(argv[0], argv, envp);
	dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Run argv with stdout+stderr into @r, killed after @limit_s seconds.
 * Returns its exit status, or -1 if it could not run or was killed.
 */
static int run_tool(char *const argv[], unsigned int limit_s, struct tool_run *r)
{
	long deadline = now_ms() + limit_s * 1000L;
	int fds[2], status;
	pid_t pid;

	r->len = 0;
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0)
		exec_tool(argv, fds[1]);
	close(fds[1]);
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		long left = deadline - now_ms();
		char discard[4096];
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			if (left > 0 && errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		if (r->len + 1 < sizeof(r->out))
			n = read(fds[0], r->out + r->len, sizeof(r->out) - 1 - r->len);
		else
			n = read(fds[0], discard, sizeof(discard));
		if (n <= 0)
			break;
		if (r->len + 1 < sizeof(r->out))
			r->len += (size_t)n;
	}
	close(fds[0]);
	r->out[r->len] = '\0';
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The number after the first @key in @text, or -1 when there is none. */
static double number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	char *end;
	double v;

	if (!p)
		return -1;
	v = strtod(p + strlen(key), &end);
	return end == p + strlen(key) ? -1 : v;
}

/* The last non-empty line of the tool's output, for an error line. */
static void say_tool_error(const char *what, int rc, struct tool_run *r)
{
	char *end = r->out + r->len, *start;

	while (end > r->out && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	start = end;
	while (start > r->out && start[-1] != '\n')
		start--;
	guest_say("latency", "error: %s failed (status %d): %.200s", what, rc, start);
}

/*
 * sockperf's own "[Total Run] RunTime=... Warm up time=..." and "[Valid
 * Duration] RunTime=..." lines, as "guest-test: latency sockperf-run ...":
 * when its test ran.
 */
static void say_run_times(const struct tool_run *r)
{
	const char *line = r->out, *next;

	for (; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (memmem(line, (size_t)(next - line), "RunTime=", 8))
			guest_say("latency", "sockperf-run %.*s", (int)strcspn(line, "\r\n"), line);
	}
}

static int sockperf(const char *peer, const char *proto, const char *secs)
{
	static struct tool_run r;
	int tcp = strcmp(proto, "tcp") == 0;
	char *argv[] = { "/usr/bin/sockperf", "ping-pong", "-i", (char *)peer, "-p",
			 tcp ? SOCKPERF_TCP_PORT : SOCKPERF_UDP_PORT, "-m", "64", "-t",
			 (char *)secs, "--full-rtt", tcp ? "--tcp" : NULL, NULL };
	double p50, p99, p999, runtime, received;
	int rc = run_tool(argv, (unsigned int)atoi(secs) + TOOL_GRACE_S, &r);

	p50 = number_after(r.out, "percentile 50.000 =");
	p99 = number_after(r.out, "percentile 99.000 =");
	p999 = number_after(r.out, "percentile 99.900 =");
	runtime = number_after(r.out, "[Valid Duration] RunTime=");
	received = number_after(r.out, "ReceivedMessages=");
	if (rc != 0 || p50 < 0 || p99 < 0 || p999 < 0 || runtime <= 0 || received < 0) {
		say_tool_error("sockperf", rc, &r);
		return -1;
	}
	guest_say("latency", "sockperf proto=%s msg=64 p50_us=%.3f p99_us=%.3f p999_us=%.3f tps=%.0f",
		  proto, p50, p99, p999, received / runtime);
	say_run_times(&r);
	return 0;
}

/* The line of iperf3's summary that ends in @role ("sender", "receiver"). */
static const char *iperf_summary(const char *out, const char *role)
{
	const char *line = out, *next;

	for (; *line; line = next) {
		size_t len;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		len = (size_t)(next - line);
		while (len && (line[len - 1] == '\n' || line[len - 1] == ' ' || line[len - 1] == '\r'))
			len--;
		if (len >= strlen(role) && !strncmp(line + len - strlen(role), role, strlen(role)) &&
		    strstr(line, "bits/sec") && strstr(line, "bits/sec") < line + len)
			return line;
	}
	return NULL;
}

/* "... 699 Mbits/sec    0    sender": Mbit/s and the number after it (retr). */
static int iperf_rate(const char *line, double *mbps, long *retr)
{
	const char *unit = strstr(line, " Mbits/sec"), *p;
	char *end;

	if (!unit)
		return -1;
	for (p = unit; p > line && p[-1] != ' '; p--)
		;
	*mbps = strtod(p, &end);
	if (end == p)
		return -1;
	if (retr)
		*retr = strtol(unit + strlen(" Mbits/sec"), NULL, 10);
	return 0;
}

static int iperf3(const char *peer, int reverse, const char *secs)
{
	static struct tool_run r;
	char *argv[] = { "/usr/bin/iperf3", "-c", (char *)peer, "-t", (char *)secs, "-f", "m",
			 reverse ? "-R" : NULL, NULL };
	const char *snd, *rcv;
	double mbps, unused;
	long retr = 0;
	int rc = run_tool(argv, (unsigned int)atoi(secs) + TOOL_GRACE_S, &r);

	snd = iperf_summary(r.out, "sender");
	rcv = iperf_summary(r.out, "receiver");
	if (rc != 0 || !snd || !rcv || iperf_rate(rcv, &mbps, NULL) || iperf_rate(snd, &unused, &retr)) {
		say_tool_error("iperf3", rc, &r);
		return -1;
	}
	guest_say("latency", "iperf3 dir=%s mbps=%.1f retr=%ld", reverse ? "h2g" : "g2h", mbps, retr);
	return 0;
}

/*
 * A child pinned to @cpu at SCHED_IDLE that loops until killed: that vCPU
 * then never executes WFI, but yields to any other task at once. Returns its
 * pid, or -1.
 */
static pid_t spin_start(int cpu)
{
	struct sched_param none = { 0 };
	cpu_set_t set;
	pid_t pid;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pid = fork();
	if (pid != 0)
		return pid;
	if (sched_setaffinity(0, sizeof(set), &set) || sched_setscheduler(0, SCHED_IDLE, &none))
		_exit(1);
	for (;;)
		__asm__ volatile("" ::: "memory");
}

static void spin_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Whether the comma-separated LIST names TEST. */
static int has_test(const char *list, const char *test)
{
	size_t n = strlen(test);

	for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',')
		if (!strncmp(p, test, n) && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

static int latency_run(void)
{
	const char *peer = guest_net_peer();
	char buf[16], secs[16], list[32];
	const char *tests;
	pid_t spinner = -1;
	int rc = 0;
	const char *v = guest_net_opt("guest-test.seconds", "3", buf, sizeof(buf));

	if (atoi(v) <= 0 || atoi(v) > 600) {
		guest_say("latency", "error: guest-test.seconds=%s is not 1-600", v);
		return -1;
	}
	snprintf(secs, sizeof(secs), "%d", atoi(v));
	v = guest_net_opt("guest-test.cpu", "", buf, sizeof(buf));
	if (v[0])
		latency_cpu = atoi(v);
	if (guest_net_setup("169.254.0.2"))
		return -1;
	tests = guest_net_opt("guest-test.tests", "udp,tcp,g2h,h2g", list, sizeof(list));
	v = guest_net_opt("guest-test.spin", "", buf, sizeof(buf));
	if (v[0])
		spinner = spin_start(atoi(v));
	guest_say("latency", "ready cpu=%d tests=%s spin=%s", latency_cpu, tests,
		  spinner > 0 ? v : "none");
	if ((has_test(tests, "udp") && sockperf(peer, "udp", secs)) ||
	    (has_test(tests, "tcp") && sockperf(peer, "tcp", secs)) ||
	    (has_test(tests, "g2h") && iperf3(peer, 0, secs)) ||
	    (has_test(tests, "h2g") && iperf3(peer, 1, secs)))
		rc = -1;
	spin_stop(spinner);
	if (rc)
		return -1;
	/* Per vector and vCPU: which vCPU took input.0 (the pinned stall). */
	guest_irqs_report();
	/* Timer ticks and IPIs per vCPU: who waited for a tick. */
	guest_irqs_report_other();
	guest_say("latency", "done");
	return 0;
}

void guest_latency_mode(void)
{
	if (latency_run())
		guest_say("latency", "error: latency mode failed");
}
