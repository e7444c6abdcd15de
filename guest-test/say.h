/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_SAY_H
#define GUEST_TEST_SAY_H

/*
 * One console line "guest-test: [PART ]TEXT", flushed at once: the host
 * side (tests/e2e, scripts/bench) acts on each line as it appears.
 * @part may be NULL.
 */
void guest_say(const char *part, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
