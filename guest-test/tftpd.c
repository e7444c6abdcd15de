// SPDX-License-Identifier: MIT
/*
 * A small read-only TFTP server for the firmware network-boot checks
 * (tests/e2e: U-Boot loads a boot script and a payload over TFTP), and the
 * uImage script packer for that boot script. Part of tinyvmm-netpeer.
 *
 * RFC 1350 read requests in octet mode, with the option extension (RFC
 * 2347: blksize 2348, timeout and tsize 2349, windowsize 7440) answered by
 * an OACK. One transfer at a time, each from its own UDP socket (a new
 * TID): a window of blocks (lock-step without windowsize), resent from the
 * first unacknowledged block after a timeout, at most TFTP_RETRIES times in
 * a row; a duplicate ACK is ignored (no Sorcerer's Apprentice resend).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tftpd.h"

#define TFTP_PORT	69
#define OP_RRQ		1
#define OP_WRQ		2
#define OP_DATA		3
#define OP_ACK		4
#define OP_ERROR	5
#define OP_OACK		6
#define ERR_NOT_FOUND	1
#define ERR_ACCESS	2
#define ERR_ILLEGAL	4
#define ERR_OPTION	8
#define BLKSIZE_DEFAULT	512
#define BLKSIZE_MIN	8
#define BLKSIZE_MAX	65464
#define TIMEOUT_DEFAULT	1
#define TFTP_RETRIES	5
#define WINDOW_MAX	64
#define NAME_MAX_LEN	255

struct tftp_req {
	char file[NAME_MAX_LEN + 1];
	unsigned int blksize;
	unsigned int timeout;
	unsigned int windowsize;
	int opt_blksize, opt_timeout, opt_tsize, opt_windowsize;
};

struct tftp_xfer {
	int sock;
	unsigned int timeout;		/* seconds per retransmission */
	unsigned int retransmits;
	double deadline;		/* the server's own end */
	const char *why;		/* why it stopped early */
};

static uint8_t pkt[4 + BLKSIZE_MAX];
static uint8_t in[4 + BLKSIZE_MAX];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned int get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static void send_error(int s, const struct sockaddr_in *to, unsigned int code, const char *msg)
{
	size_t len = strlen(msg);

	put16(pkt, OP_ERROR);
	put16(pkt + 2, code);
	memcpy(pkt + 4, msg, len + 1);
	sendto(s, pkt, 4 + len + 1, 0, (const struct sockaddr *)to, to ? sizeof(*to) : 0);
}

/* The NUL-terminated string at *off in p[0..n), advancing *off; NULL if unterminated. */
static const char *next_str(const uint8_t *p, size_t n, size_t *off)
{
	const uint8_t *nul;
	const char *s;

	if (*off >= n)
		return NULL;
	nul = memchr(p + *off, 0, n - *off);
	if (!nul)
		return NULL;
	s = (const char *)p + *off;
	*off = (size_t)(nul - p) + 1;
	return s;
}

/* A plain file name directly in the served directory: no path, no dot files. */
static int name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= NAME_MAX_LEN && name[0] != '.' && !strchr(name, '/');
}

static void take_option(struct tftp_req *r, const char *name, const char *val)
{
	char *end;
	unsigned long v = strtoul(val, &end, 10);
	int num = *val && !*end;

	if (!strcasecmp(name, "blksize") && num && v >= BLKSIZE_MIN) {
		r->blksize = v > BLKSIZE_MAX ? BLKSIZE_MAX : (unsigned int)v;
		r->opt_blksize = 1;
	} else if (!strcasecmp(name, "timeout") && num && v >= 1 && v <= 255) {
		r->timeout = (unsigned int)v;
		r->opt_timeout = 1;
	} else if (!strcasecmp(name, "windowsize") && num && v >= 1 && v <= 65535) {
		r->windowsize = v > WINDOW_MAX ? WINDOW_MAX : (unsigned int)v;
		r->opt_windowsize = 1;
	} else if (!strcasecmp(name, "tsize") && num) {
		r->opt_tsize = 1;
	}
	/* Any other option is left out of the OACK, which declines it (RFC 2347). */
}

/* Parse a read request (after its opcode). Returns NULL or why it is refused. */
static const char *parse_rrq(const uint8_t *p, size_t n, struct tftp_req *r)
{
	size_t off = 2;
	const char *file = next_str(p, n, &off), *mode = next_str(p, n, &off), *name, *val;

	memset(r, 0, sizeof(*r));
	r->blksize = BLKSIZE_DEFAULT;
	r->timeout = TIMEOUT_DEFAULT;
	r->windowsize = 1;
	if (!file || !mode)
		return "malformed request";
	if (strcasecmp(mode, "octet"))
		return "only octet mode";
	if (!name_ok(file))
		return "no such file here";
	strcpy(r->file, file);
	while ((name = next_str(p, n, &off)) && (val = next_str(p, n, &off)))
		take_option(r, name, val);
	return NULL;
}

/* The OACK naming the options taken; its length, 0 if none were asked for. */
static size_t build_oack(const struct tftp_req *r, off_t size)
{
	size_t len = 2;
	char *p = (char *)pkt;

	put16(pkt, OP_OACK);
	if (r->opt_blksize)
		len += (size_t)sprintf(p + len, "blksize%c%u", 0, r->blksize) + 1;
	if (r->opt_timeout)
		len += (size_t)sprintf(p + len, "timeout%c%u", 0, r->timeout) + 1;
	if (r->opt_windowsize)
		len += (size_t)sprintf(p + len, "windowsize%c%u", 0, r->windowsize) + 1;
	if (r->opt_tsize)
		len += (size_t)sprintf(p + len, "tsize%c%lld", 0, (long long)size) + 1;
	return len > 2 ? len : 0;
}

/*
 * Wait until @until for an ACK of a block in (@acked, @hi] (block
 * numbers are 16 bits on the wire; a window is far smaller). Returns that
 * block, ACK_TIMEOUT, or ACK_FAILED with x->why set. A duplicate or stray
 * ACK is ignored: only a timeout resends (no Sorcerer's Apprentice).
 */
#define ACK_TIMEOUT	(-1)
#define ACK_FAILED	(-2)
static int64_t wait_ack(struct tftp_xfer *x, int64_t acked, int64_t hi, double until)
{
	for (;;) {
		struct pollfd pfd = { .fd = x->sock, .events = POLLIN };
		double left = until - now_s();
		ssize_t n;

		if (now_s() >= x->deadline) {
			x->why = "the server's time ran out";
			return ACK_FAILED;
		}
		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) == 0)
			return ACK_TIMEOUT;
		n = recv(x->sock, in, sizeof(in), MSG_DONTWAIT);
		if (n < 4)
			continue;
		if (get16(in) == OP_ERROR) {
			x->why = "the client sent an ERROR";
			return ACK_FAILED;
		}
		if (get16(in) != OP_ACK)
			continue;
		for (int64_t k = acked + 1; k <= hi; k++)
			if ((k & 0xffff) == get16(in + 2))
				return k;
	}
}

/* Send the OACK in pkt[0..len) until its ACK (block 0) comes. Returns 0 then. */
static int send_oack(struct tftp_xfer *x, size_t len)
{
	for (unsigned int tries = 0; tries <= TFTP_RETRIES; tries++) {
		int64_t got;

		if (tries)
			x->retransmits++;
		if (send(x->sock, pkt, len, 0) != (ssize_t)len) {
			x->why = "send failed";
			return -1;
		}
		got = wait_ack(x, -1, 0, now_s() + x->timeout);
		if (got == 0)
			return 0;
		if (got == ACK_FAILED)
			return -1;
	}
	x->why = "no ACK of the OACK after the retransmissions";
	return -1;
}

/* Send block @k of the file; its payload length (< blksize: the last), or -1. */
static ssize_t send_block(struct tftp_xfer *x, int fd, int64_t k, unsigned int blksize)
{
	ssize_t n = pread(fd, pkt + 4, blksize, (off_t)(k - 1) * blksize);

	if (n < 0) {
		x->why = "read failed";
		return -1;
	}
	put16(pkt, OP_DATA);
	put16(pkt + 2, (unsigned int)(k & 0xffff));
	if (send(x->sock, pkt, 4 + (size_t)n, 0) != 4 + n) {
		x->why = "send failed";
		return -1;
	}
	return n;
}

/*
 * Send the file open on @fd, @window blocks at a time (RFC 7440; 1 is RFC
 * 1350's lock-step): after a window, wait for an ACK and go on after the
 * block it names; a timeout resends from the first unacknowledged block,
 * TFTP_RETRIES times in a row at most, and so does a repeated ACK in a
 * window. Returns the bytes sent, or -1.
 */
static long long send_file(struct tftp_xfer *x, int fd, unsigned int blksize, unsigned int window,
			   unsigned int *blocks)
{
	int64_t acked = 0, last = -1, hi, got, resent_after = -1;
	unsigned int tries = 0;
	ssize_t n, last_len = 0;
	double until;

	for (;;) {
		hi = last >= 0 && acked + window > last ? last : acked + (int64_t)window;
		for (int64_t k = acked + 1; k <= hi; k++) {
			n = send_block(x, fd, k, blksize);
			if (n < 0)
				return -1;
			if ((size_t)n < blksize) {
				last = hi = k;
				last_len = n;
			}
		}
		/*
		 * In a window, a repeated ACK of the last acknowledged block says the
		 * next one was lost (RFC 7440): resend at once, but once per block,
		 * so a burst of repeats cannot multiply the windows in flight, and
		 * an ignored repeat does not put the timeout off.
		 */
		until = now_s() + x->timeout;
		do
			got = wait_ack(x, window > 1 ? acked - 1 : acked, hi, until);
		while (got == acked && resent_after == acked);
		if (got == ACK_FAILED)
			return -1;
		if (got == acked) {
			resent_after = acked;
			x->retransmits++;
			continue;
		}
		if (got == ACK_TIMEOUT) {
			if (++tries > TFTP_RETRIES) {
				x->why = "no ACK after the retransmissions";
				return -1;
			}
			x->retransmits++;
			continue;
		}
		tries = 0;
		acked = got;
		if (acked == last) {
			*blocks = (unsigned int)last;
			return (long long)(last - 1) * blksize + last_len;
		}
	}
}

static void transfer(int dirfd, const char *addr, const struct tftp_req *r,
		     const struct sockaddr_in *client, double deadline)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	struct tftp_xfer x = { .timeout = r->timeout, .deadline = deadline };
	unsigned int blocks = 0;
	long long sent = -1;
	struct stat st;
	size_t len;
	int fd;

	x.sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	me.sin_addr.s_addr = inet_addr(addr);
	if (x.sock < 0 || bind(x.sock, (struct sockaddr *)&me, sizeof(me)) ||
	    connect(x.sock, (const struct sockaddr *)client, sizeof(*client))) {
		perror("netpeer: tftp: transfer socket");
		goto out;
	}
	fd = openat(dirfd, r->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		send_error(x.sock, NULL, ERR_NOT_FOUND, "file not found");
		x.why = "no such regular file";
		if (fd >= 0)
			close(fd);
		goto out;
	}
	len = build_oack(r, st.st_size);
	if (len == 0 || !send_oack(&x, len))
		sent = send_file(&x, fd, r->blksize, r->windowsize, &blocks);
	close(fd);
out:
	if (sent >= 0)
		printf("netpeer: tftp: sent %s to %s:%u: %lld bytes, %u blocks of %u, window %u, %u retransmits\n",
		       r->file, inet_ntoa(client->sin_addr), ntohs(client->sin_port), sent, blocks,
		       r->blksize, r->windowsize, x.retransmits);
	else
		printf("netpeer: tftp: %s to %s: failed: %s\n", r->file, inet_ntoa(client->sin_addr),
		       x.why ? x.why : "socket");
	if (x.sock >= 0)
		close(x.sock);
}

static int listen_udp(const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(TFTP_PORT) };
	int one = 1, s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = inet_addr(addr);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("netpeer: tftp: bind port 69");
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

int tftpd_serve(const char *addr, const char *dir, unsigned int seconds)
{
	double deadline = now_s() + seconds;
	int s = listen_udp(addr), dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (s < 0 || dirfd < 0) {
		if (dirfd < 0)
			perror("netpeer: tftp: directory");
		return 1;
	}
	printf("netpeer: tftp: serving %s on %s port %d for %u s\n", dir, addr, TFTP_PORT, seconds);
	while (now_s() < deadline) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		struct tftp_req r;
		const char *why;
		ssize_t n;

		if (poll(&pfd, 1, (int)((deadline - now_s()) * 1000) + 1) <= 0)
			continue;
		n = recvfrom(s, in, sizeof(in) - 1, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 4 || fl != sizeof(from))
			continue;
		if (get16(in) == OP_WRQ) {
			send_error(s, &from, ERR_ACCESS, "read-only server");
			continue;
		}
		if (get16(in) != OP_RRQ)
			continue;
		why = parse_rrq(in, (size_t)n, &r);
		if (why) {
			printf("netpeer: tftp: request refused: %s\n", why);
			send_error(s, &from, strcmp(why, "no such file here") ? ERR_ILLEGAL : ERR_NOT_FOUND, why);
			continue;
		}
		transfer(dirfd, addr, &r, &from, deadline);
	}
	close(dirfd);
	close(s);
	return 0;
}

/* --- uImage script ---------------------------------------------------------- */

#define UIMAGE_MAGIC		0x27051956u
#define UIMAGE_HEADER_SIZE	64
#define IH_OS_LINUX		5
#define IH_ARCH_ARM64		22
#define IH_TYPE_SCRIPT		6
#define IH_COMP_NONE		0
#define SCRIPT_MAX		65536

/* CRC-32 (IEEE 802.3, reflected), what U-Boot's image checks and `crc32` use. */
static uint32_t crc32_ieee(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int uimage_script(const char *inpath, const char *outpath)
{
	static uint8_t img[UIMAGE_HEADER_SIZE + 8 + SCRIPT_MAX];
	uint8_t *h = img, *data = img + UIMAGE_HEADER_SIZE;
	FILE *f = fopen(inpath, "rb");
	size_t len;

	if (!f) {
		perror("netpeer: uimage-script: input");
		return 1;
	}
	len = fread(data + 8, 1, SCRIPT_MAX, f);
	if (ferror(f) || !feof(f) || len == 0) {
		fprintf(stderr, "netpeer: uimage-script: %s: empty, unreadable or over %d bytes\n",
			inpath, SCRIPT_MAX);
		fclose(f);
		return 1;
	}
	fclose(f);
	/* A multi-file image of one: its length, a 0 terminator, then the script. */
	put32(data, (uint32_t)len);
	put32(data + 4, 0);
	memset(h, 0, UIMAGE_HEADER_SIZE);
	put32(h, UIMAGE_MAGIC);
	put32(h + 12, (uint32_t)(len + 8));
	put32(h + 24, crc32_ieee(0, data, len + 8));
	h[28] = IH_OS_LINUX;
	h[29] = IH_ARCH_ARM64;
	h[30] = IH_TYPE_SCRIPT;
	h[31] = IH_COMP_NONE;
	strcpy((char *)h + 32, "tinyvmm e2e boot script");
	put32(h + 4, crc32_ieee(0, h, UIMAGE_HEADER_SIZE));
	f = fopen(outpath, "wb");
	if (!f || fwrite(img, 1, UIMAGE_HEADER_SIZE + 8 + len, f) != UIMAGE_HEADER_SIZE + 8 + len ||
	    fclose(f)) {
		perror("netpeer: uimage-script: output");
		return 1;
	}
	return 0;
}
