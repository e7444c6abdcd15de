/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_TFTPD_H
#define GUEST_TEST_TFTPD_H

/*
 * Serve the regular files directly inside @dir, read-only, over TFTP (RFC
 * 1350 read requests; the blksize, timeout, tsize and windowsize options of
 * RFC 2347, 2348, 2349 and 7440) on @addr port 69, one transfer at a time,
 * for @seconds.
 * Each transfer's outcome is one line on stdout. Returns 0, or 1 if the
 * socket could not be set up.
 */
int tftpd_serve(const char *addr, const char *dir, unsigned int seconds);

/*
 * Write the U-Boot script @in as a legacy uImage of type "script" (what
 * `mkimage -A arm64 -T script -C none -d IN OUT` makes) to @out, for U-Boot's
 * `source`. Returns 0, or 1 with the reason on stderr.
 */
int uimage_script(const char *in, const char *out);

#endif
