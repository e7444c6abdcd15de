// SPDX-License-Identifier: MIT
/* The few ethtool ioctls guest-test uses (no ethtool binary in the guest). */
#include "ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_STATS 512

int eth_ioctl(const char *ifname, void *cmd)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (s < 0)
		return -1;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = cmd;
	ret = ioctl(s, SIOCETHTOOL, &ifr);
	close(s);
	return ret;
}

static void store(struct ethq_counters *c, const char *name, const char *what, uint64_t v)
{
	char fmt[48], dir[3];
	unsigned int q;
	int end = 0;

	/* %n: the whole name must match ("rx_queue_0_xdp_bytes" must not). */
	snprintf(fmt, sizeof(fmt), "%%2[rtx]_queue_%%u_%s%%n", what);
	if (sscanf(name, fmt, dir, &q, &end) != 2 ||
	    end != (int)strnlen(name, ETH_GSTRING_LEN) || q >= ETHQ_MAX)
		return;
	if (dir[0] == 'r')
		c->rx[q] = v;
	else
		c->tx[q] = v;
}

int eth_queue_counters(const char *ifname, const char *what, struct ethq_counters *c)
{
	static struct { struct ethtool_sset_info hdr; uint32_t len; } info;
	static struct { struct ethtool_gstrings hdr; uint8_t s[MAX_STATS * ETH_GSTRING_LEN]; } names;
	static struct { struct ethtool_stats hdr; uint64_t v[MAX_STATS]; } vals;
	unsigned int n;

	memset(c, 0, sizeof(*c));
	info.hdr = (struct ethtool_sset_info){ .cmd = ETHTOOL_GSSET_INFO,
					       .sset_mask = 1ULL << ETH_SS_STATS };
	if (eth_ioctl(ifname, &info) || !info.hdr.sset_mask)
		return -1;
	n = info.len < MAX_STATS ? info.len : MAX_STATS;
	names.hdr = (struct ethtool_gstrings){ .cmd = ETHTOOL_GSTRINGS,
					       .string_set = ETH_SS_STATS, .len = n };
	vals.hdr = (struct ethtool_stats){ .cmd = ETHTOOL_GSTATS, .n_stats = n };
	if (eth_ioctl(ifname, &names) || eth_ioctl(ifname, &vals))
		return -1;
	for (unsigned int i = 0; i < n; i++)
		store(c, (const char *)names.s + i * ETH_GSTRING_LEN, what, vals.v[i]);
	return 0;
}
