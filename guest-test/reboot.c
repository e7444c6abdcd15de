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
 * transfer verified`, `guest-test: reboot rebooting` (boots before the
 * last), then `guest-test: reboot all N boots done`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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
