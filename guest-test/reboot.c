// SPDX-License-Identifier: MIT
/*
 * guest-test.mode=reboot: for tinyvmm --on-reset reboot. Each boot brings
 * up eth0 and runs mode net's verified transfer (guest-test.bytes=; 0: no
 * network), then reboots (the kernel's PSCI SYSTEM_RESET) until
 * guest-test.loops= reboots (default 3) are done, and powers off. Which
 * boot this is comes from the host: /chosen/tinyvmm,boot-count (1 on the
 * first boot), which tinyvmm writes only with --on-reset reboot.
 * Peer: tinyvmm-netpeer serve ADDR BYTES TIMEOUT LOOPS+1 BYTES.
 *
 * Lines: `guest-test: reboot boot I of N`, `guest-test: reboot boot I
 * transfer verified`, `guest-test: reboot boot I tainted T` (the kernel's
 * taint mask, 0 when clean) and `guest-test: reboot boot I GIC warnings: W`
 * (each such kernel line before it, read from the kernel log, which `quiet`
 * keeps off the console only), `guest-test: reboot rebooting` (boots before
 * the last), then `guest-test: reboot all N boots done`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "net.h"
#include "netif.h"
#include "say.h"

#define BOOT_COUNT "/sys/firmware/devicetree/base/chosen/tinyvmm,boot-count"

/* The host's boot counter (a big-endian cell), or 0 without one. */
static unsigned int boot_count(void)
{
	uint8_t cell[4];
	int fd = open(BOOT_COUNT, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, cell, sizeof(cell));
	close(fd);
	if (n != (ssize_t)sizeof(cell))
		return 0;
	return (unsigned int)cell[0] << 24 | (unsigned int)cell[1] << 16 |
	       (unsigned int)cell[2] << 8 | cell[3];
}

/*
 * What a kernel says when the interrupt controller kept the last boot's
 * state (drivers/irqchip/irq-gic-v3-its.c: the redistributors' LPIs).
 */
static const char *const gic_warnings[] = {
	"Booted with LPIs enabled", "disabling LPIs", "disable LPIs", "Expected reserved range",
};

static bool is_gic_warning(const char *line)
{
	for (size_t i = 0; i < sizeof(gic_warnings) / sizeof(gic_warnings[0]); i++)
		if (strstr(line, gic_warnings[i]))
			return true;
	return false;
}

/* Say each GIC warning in the kernel log, then their count (-1: no log). */
static int say_gic_warnings(unsigned int boot)
{
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *log, *line, *save = NULL;
	int n, warnings = 0;

	if (size <= 0 || !(log = malloc((size_t)size + 1)))
		return -1;
	n = klogctl(3, log, size);		/* SYSLOG_ACTION_READ_ALL */
	if (n < 0) {
		free(log);
		return -1;
	}
	log[n] = '\0';
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!is_gic_warning(line))
			continue;
		guest_say("reboot", "boot %u GIC warning: %s", boot, line);
		warnings++;
	}
	free(log);
	return warnings;
}

/* The kernel's taint mask, or -1 when it cannot be read. */
static long kernel_tainted(void)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/tainted", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

int guest_reboot_run(void)
{
	char buf[32];
	unsigned int loops = (unsigned int)atoi(guest_net_opt("guest-test.loops", "3", buf, sizeof(buf)));
	unsigned int boot = boot_count();

	if (!boot) {
		guest_say("reboot", "error: no %s (run tinyvmm with --on-reset reboot)", BOOT_COUNT);
		return -1;
	}
	guest_say("reboot", "boot %u of %u", boot, loops + 1);
	if (boot > loops + 1) {
		guest_say("reboot", "error: boot %u is past the %u wanted", boot, loops + 1);
		return -1;
	}
	if (guest_net_bytes()) {
		if (guest_net_run())
			return -1;
		guest_say("reboot", "boot %u transfer verified", boot);
	}
	/* A boot that inherited the last one's state says so (the host checks these). */
	guest_say("reboot", "boot %u tainted %ld", boot, kernel_tainted());
	guest_say("reboot", "boot %u GIC warnings: %d", boot, say_gic_warnings(boot));
	if (boot == loops + 1) {
		guest_say("reboot", "all %u boots done", boot);
		return 0;
	}
	guest_say("reboot", "rebooting");
	/* As power_off(): interfaces down first, so no NAPI poll outlives the rings. */
	netif_down_all();
	sync();
	reboot(RB_AUTOBOOT);
	guest_say("reboot", "error: reboot() failed: %s", strerror(errno));
	return -1;
}
