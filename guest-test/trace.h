/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_TRACE_H
#define GUEST_TEST_TRACE_H

#include <sys/types.h>

/*
 * A short window of the guest kernel's own ftrace (scheduler switches and
 * wake-ups, interrupt handlers, softirqs, IPIs, idle entry and exit) for the
 * latency mode's tick-stall findings. guest_trace_start() enables the events
 * and forks a child that turns tracing on @delay_ms later for @window_ms;
 * returns its pid, or -1 (the reason said on the console).
 * guest_trace_dump() waits for that child and prints the buffer, one line
 * each: "guest-test: trace LINE".
 */
pid_t guest_trace_start(unsigned int delay_ms, unsigned int window_ms);
void guest_trace_dump(pid_t child);

#endif
