// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=latency: the guest side of `scripts/bench --latency`
 * (scripts/lib/bench-latency.sh). Runs Debian's sockperf and iperf3 (in the
 * initramfs: scripts/lib/latency-tools.sh) against servers the host started
 * on the TAP before the VM, and prints what they measured:
 *
 *   guest-test: latency ready cpu=N set=LIST tests=LIST spin=N|none
 *   guest-test: latency phase name=KEY irq=N     (before each test, and name=end)
 *   guest-test: latency sockperf proto=udp msg=64 p50_us=X p99_us=X p999_us=X tps=X count=N
 *   guest-test: latency sockperf-run ...         (sockperf's own run-time lines)
 *   guest-test: latency sockperf proto=tcp msg=1400 ...
 *   guest-test: latency rate dir=g2h pps=X lost=N count=N   (64-byte UDP, iperf3 -u -b 0)
 *   guest-test: latency iperf3 dir=g2h streams=P mbps=X retr=N count=MB   (guest sends)
 *   guest-test: latency iperf3 dir=h2g streams=P ...     (-R: host sends)
 *   guest-test: latency done
 * or `guest-test: latency error: ...` with the tool's last output line.
 * Latencies are full round trips (sockperf --full-rtt), in microseconds;
 * tps: replies received per second of the measured run; pps: datagrams the
 * receiver got per second, lost: those it missed; mbps: the receiver's
 * Mbit/s; retr: the sender's TCP retransmits; count: transactions,
 * datagrams delivered or MB moved, what the host divides its counters by.
 * A phase line is followed by PHASE_PAUSE_MS of sleep: the host takes its
 * counters (VM exits, thread CPU) when it reads the line, and the test's
 * figures are the difference to the next phase line (tool start included).
 *
 * Options: guest-test.ip=, guest-test.peer= (as net); guest-test.seconds=
 * per test (default 3); guest-test.cpu=N runs every tool pinned to vCPU N
 * (the stall of issue 27 depends on the vCPU taking input.0);
 * guest-test.set=A,B,... which tests (default rr,rate,bulk): rr (sockperf
 * UDP and TCP, 64 and 1400 bytes), rr64 (64 bytes only), rate (64-byte
 * UDP both ways), bulk (iperf3 -P 1, 2, 4 both ways), bulk1 (-P 1 only);
 * guest-test.tests= a comma list of udp,tcp,g2h,h2g keeps, within the set,
 * only those protocols (sockperf) and directions (rate, iperf3) (default
 * all four); guest-test.spin=N keeps vCPU N from ever idling (a SCHED_IDLE
 * busy loop pinned there for the whole run: the arm64 guest has no
 * idle=poll, so this is how the stall's idle path is taken out). At the end
 * the virtio, timer and IPI interrupt counts per vCPU (irqs.h).
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
#define PHASE_PAUSE_MS 300	/* the host's snapshot happens in this pause */
#define RATE_MSG "64"		/* small-packet rate: UDP payload bytes */

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

static int sockperf(const char *peer, const char *proto, const char *msg, const char *secs)
{
	static struct tool_run r;
	int tcp = strcmp(proto, "tcp") == 0;
	char *argv[] = { "/usr/bin/sockperf", "ping-pong", "-i", (char *)peer, "-p",
			 tcp ? SOCKPERF_TCP_PORT : SOCKPERF_UDP_PORT, "-m", (char *)msg, "-t",
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
	guest_say("latency", "sockperf proto=%s msg=%s p50_us=%.3f p99_us=%.3f p999_us=%.3f tps=%.0f count=%.0f",
		  proto, msg, p50, p99, p999, received / runtime, received);
	say_run_times(&r);
	return 0;
}

/*
 * The line of iperf3's summary that ends in @role ("sender", "receiver");
 * with @sum, the "[SUM]" one (-P 2 and more: the streams together).
 */
static const char *iperf_summary(const char *out, const char *role, int sum)
{
	const char *line = out, *next;

	for (; *line; line = next) {
		size_t len;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		len = (size_t)(next - line);
		while (len && (line[len - 1] == '\n' || line[len - 1] == ' ' || line[len - 1] == '\r'))
			len--;
		if (sum && strncmp(line, "[SUM]", 5))
			continue;
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

static int iperf3(const char *peer, int reverse, int streams, const char *secs)
{
	static struct tool_run r;
	char nstreams[8];
	char *argv[] = { "/usr/bin/iperf3", "-c", (char *)peer, "-t", (char *)secs, "-f", "m",
			 "-P", nstreams, reverse ? "-R" : NULL, NULL };
	const char *snd, *rcv;
	double mbps, unused;
	long retr = 0;
	int rc;

	snprintf(nstreams, sizeof(nstreams), "%d", streams);
	rc = run_tool(argv, (unsigned int)atoi(secs) + TOOL_GRACE_S, &r);
	snd = iperf_summary(r.out, "sender", streams > 1);
	rcv = iperf_summary(r.out, "receiver", streams > 1);
	if (rc != 0 || !snd || !rcv || iperf_rate(rcv, &mbps, NULL) || iperf_rate(snd, &unused, &retr)) {
		say_tool_error("iperf3", rc, &r);
		return -1;
	}
	guest_say("latency", "iperf3 dir=%s streams=%d mbps=%.1f retr=%ld count=%.2f",
		  reverse ? "h2g" : "g2h", streams, mbps, retr, mbps * atoi(secs) / 8);
	return 0;
}

/*
 * "... 0.016 ms  600/38400 (1.6%)  receiver": iperf3's UDP receiver line,
 * its interval ("0.00-3.04") and lost/total datagrams.
 */
static int iperf_udp_counts(const char *line, double *secs, double *lost, double *total)
{
	const char *p = strchr(line, ']'), *slash;
	char *end;
	double from, to;

	if (!p)
		return -1;
	from = strtod(p + 1, &end);
	if (end == p + 1 || *end != '-')
		return -1;
	p = end + 1;
	to = strtod(p, &end);
	if (end == p || to <= from)
		return -1;
	*secs = to - from;
	p = strstr(end, " ms ");	/* the jitter; lost/total follows (not "Mbits/sec") */
	slash = p ? strchr(p, '/') : NULL;
	if (!slash)
		return -1;
	for (p = slash; p > line && p[-1] != ' '; p--)
		;
	*lost = strtod(p, &end);
	if (end != slash)
		return -1;
	*total = strtod(slash + 1, NULL);
	return 0;
}

/* Small-packet rate: 64-byte UDP as fast as the sender can, one direction. */
static int udp_rate(const char *peer, int reverse, const char *secs)
{
	static struct tool_run r;
	char *argv[] = { "/usr/bin/iperf3", "-c", (char *)peer, "-t", (char *)secs, "-u", "-l",
			 RATE_MSG, "-b", "0", "-f", "m", reverse ? "-R" : NULL, NULL };
	double s, lost, total;
	const char *rcv;
	int rc = run_tool(argv, (unsigned int)atoi(secs) + TOOL_GRACE_S, &r);

	rcv = iperf_summary(r.out, "receiver", 0);
	if (rc != 0 || !rcv || iperf_udp_counts(rcv, &s, &lost, &total)) {
		say_tool_error("iperf3 -u", rc, &r);
		return -1;
	}
	guest_say("latency", "rate dir=%s msg=%s pps=%.0f lost=%.0f count=%.0f",
		  reverse ? "h2g" : "g2h", RATE_MSG, (total - lost) / s, lost, total - lost);
	return 0;
}

/* Before each test: its name and the interrupts so far; the host snapshots now. */
static void phase(const char *name)
{
	struct timespec pause = { 0, PHASE_PAUSE_MS * 1000000L };

	guest_say("latency", "phase name=%s irq=%llu", name, guest_virtio_irqs());
	nanosleep(&pause, NULL);
}

/* guest-test.tests: the protocols and directions kept within the set. */
static char test_filter[32] = "udp,tcp,g2h,h2g";

/* Whether @name is one of the comma-separated words of @set. */
static int in_set(const char *set, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = set; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static int run_rr(const char *peer, const char *secs, int big)
{
	static const char *const protos[] = { "udp", "tcp" };
	static const char *const sizes[] = { "64", "1400" };
	char key[32];

	for (int m = 0; m < (big ? 2 : 1); m++)
		for (int p = 0; p < 2; p++) {
			if (!in_set(test_filter, protos[p]))
				continue;
			snprintf(key, sizeof(key), "sockperf_%s_%s", protos[p], sizes[m]);
			phase(key);
			if (sockperf(peer, protos[p], sizes[m], secs))
				return -1;
		}
	return 0;
}

static int run_rate(const char *peer, const char *secs)
{
	for (int rev = 0; rev < 2; rev++) {
		if (!in_set(test_filter, rev ? "h2g" : "g2h"))
			continue;
		phase(rev ? "udp64_h2g" : "udp64_g2h");
		if (udp_rate(peer, rev, secs))
			return -1;
	}
	return 0;
}

static int run_bulk(const char *peer, const char *secs, int max_streams)
{
	char key[32];

	for (int p = 1; p <= max_streams; p *= 2)
		for (int rev = 0; rev < 2; rev++) {
			if (!in_set(test_filter, rev ? "h2g" : "g2h"))
				continue;
			snprintf(key, sizeof(key), "iperf3_%s_%d", rev ? "h2g" : "g2h", p);
			phase(key);
			if (iperf3(peer, rev, p, secs))
				return -1;
		}
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

static int latency_run(void)
{
	const char *peer = guest_net_peer();
	char buf[16], secs[16], set[64];
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
	guest_net_opt("guest-test.set", "rr,rate,bulk", set, sizeof(set));
	if (guest_net_setup("169.254.0.2"))
		return -1;
	guest_net_opt("guest-test.tests", "udp,tcp,g2h,h2g", test_filter, sizeof(test_filter));
	v = guest_net_opt("guest-test.spin", "", buf, sizeof(buf));
	if (v[0])
		spinner = spin_start(atoi(v));
	guest_say("latency", "ready cpu=%d set=%s tests=%s spin=%s", latency_cpu, set, test_filter,
		  spinner > 0 ? v : "none");
	if ((in_set(set, "rr") && run_rr(peer, secs, 1)) ||
	    (in_set(set, "rr64") && run_rr(peer, secs, 0)) ||
	    (in_set(set, "rate") && run_rate(peer, secs)) ||
	    (in_set(set, "bulk") && run_bulk(peer, secs, 4)) ||
	    (in_set(set, "bulk1") && run_bulk(peer, secs, 1)))
		rc = -1;
	spin_stop(spinner);
	if (rc)
		return -1;
	phase("end");
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
