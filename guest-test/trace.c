// SPDX-License-Identifier: MIT
/*
 * guest-test.trace=MS (latency mode): the guest kernel's view of the tick
 * stall of issue 27 (docs/findings/2026-12-07-tick-stall.md), from tracefs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"
#include "trace.h"

#define TRACEFS "/sys/kernel/tracing"
#define TRACE_MAX_LINES 4000

static const char *const trace_events[] = {
	"sched/sched_switch", "sched/sched_wakeup", "irq/irq_handler_entry",
	"irq/softirq_entry", "ipi/ipi_raise", "power/cpu_idle",
};

/* Write @value to TRACEFS/@file; 0 or -1. */
static int trace_write(const char *file, const char *value)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

pid_t guest_trace_start(unsigned int delay_ms, unsigned int window_ms)
{
	char file[96];
	pid_t pid;

	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY) {
		guest_say("trace", "error: mount tracefs: %s", strerror(errno));
		return -1;
	}
	trace_write("tracing_on", "0");
	trace_write("buffer_size_kb", "2048");
	trace_write("trace", "");
	for (size_t i = 0; i < sizeof(trace_events) / sizeof(trace_events[0]); i++) {
		snprintf(file, sizeof(file), "events/%s/enable", trace_events[i]);
		if (trace_write(file, "1"))
			guest_say("trace", "warning: no event %s", trace_events[i]);
	}
	pid = fork();
	if (pid != 0)
		return pid;
	sleep_ms(delay_ms);
	trace_write("tracing_on", "1");
	sleep_ms(window_ms);
	trace_write("tracing_on", "0");
	_exit(0);
}

void guest_trace_dump(pid_t child)
{
	unsigned int lines = 0;
	char line[512];
	FILE *f;

	if (child <= 0)
		return;
	waitpid(child, NULL, 0);
	f = fopen(TRACEFS "/trace", "re");
	if (!f) {
		guest_say("trace", "error: %s/trace: %s", TRACEFS, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) && lines++ < TRACE_MAX_LINES) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		guest_say("trace", "%s", line);
	}
	fclose(f);
	trace_write("events/enable", "0");
}
