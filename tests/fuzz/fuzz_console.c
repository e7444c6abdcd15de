// SPDX-License-Identifier: MIT
/*
 * Guest console output through the --expect/--fail-on matcher
 * (vmm/console/console_match.c) and the boot milestones (vmm/console/boot_milestones.c).
 * Input: one byte for the burst size (16 to 4096 bytes: a search costs up
 * to a window, and the smoke run must stay quick; the unit tests cover
 * byte-sized bursts), then the bytes the guest writes, fed in bursts with
 * a bounded search after each (which may defer), as the main loop does, and
 * a full one at the end, as its timer does.
 */
#include <stdbool.h>

#include "fuzz_common.h"
#include "vmm/console/boot_milestones.h"
#include "vmm/console/console_match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static double fake_clock;

static double fake_now(void)
{
	return fake_clock += 0.001;
}

static void check_invariants(const struct console_match *m, enum console_match_kind before)
{
	FZ_CHECK(m->len <= CONSOLE_MATCH_WINDOW);
	FZ_CHECK(m->unchecked <= m->len);
	FZ_CHECK(!before || m->result == before);	/* a result is final */
	if (!m->result)
		return;
	FZ_CHECK(m->matched);
	FZ_CHECK(memchr(m->matched_line, 0, sizeof(m->matched_line)));
	for (const char *c = m->matched_line; *c; c++)
		FZ_CHECK(*c >= 0x20 && *c < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fail[] = { "^ERROR [0-9]+$", "a.b", "(x|y)z" };
	struct console_match_config cfg = {
		.expect = "^login: ", .fail_on = fail, .nfail_on = 3, .default_fail_on = true,
	};
	static struct console_match m;
	static bool compiled;
	struct boot_milestones b;
	struct tvm_error err;
	size_t burst;

	if (!size)
		return 0;
	burst = ((size_t)data[0] + 1) * 16;
	data++;
	size--;
	/* regcomp() once: it costs more than a whole run of the matcher. */
	if (!compiled)
		FZ_CHECK(console_match_init(&m, &cfg, &err) == 0);
	compiled = true;
	console_match_reset(&m);
	boot_milestones_init(&b);
	fake_clock = 0;
	while (size) {
		size_t n = size < burst ? size : burst;
		enum console_match_kind before = m.result;

		console_match_feed(&m, data, n);
		console_match_check_bounded(&m);
		check_invariants(&m, before);
		boot_milestones_output(&b, data, n, fake_now, 0);
		data += n;
		size -= n;
	}
	console_match_check(&m);
	FZ_CHECK(!console_match_pending(&m));
	boot_milestones_flush(&b);
	FZ_CHECK(b.first_user_line < 0 || b.first_user_line >= b.first_byte);
	return 0;
}
