// SPDX-License-Identifier: MIT
#include "netif.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int set_addr(int s, const char *ifname, unsigned long req, in_addr_t a)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = a;
	return ioctl(s, req, &ifr);
}

int netif_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret = -1;

	if (s < 0)
		return -1;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ret = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return ret;
}

int netif_configure(const char *ifname, const char *addr, int prefix)
{
	in_addr_t a = inet_addr(addr);
	in_addr_t mask = prefix ? htonl(~0U << (32 - prefix)) : 0;
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (s < 0)
		return -1;
	ret = set_addr(s, ifname, SIOCSIFADDR, a) || set_addr(s, ifname, SIOCSIFNETMASK, mask);
	close(s);
	if (ret)
		return -1;
	return netif_up(ifname);
}

/*
 * Take every interface down, as an orderly shutdown (ifdown, networkd) does
 * before poweroff: the driver's close stops its NAPI polls. Returns how many
 * interfaces were taken down.
 */
int netif_down_all(void)
{
	struct if_nameindex *list = if_nameindex(), *i;
	int s = socket(AF_INET, SOCK_DGRAM, 0), n = 0;

	if (s < 0 || !list) {
		if (s >= 0)
			close(s);
		if (list)
			if_freenameindex(list);
		return -1;
	}
	for (i = list; i->if_index; i++) {
		struct ifreq ifr = { 0 };

		strncpy(ifr.ifr_name, i->if_name, IFNAMSIZ - 1);
		if (ioctl(s, SIOCGIFFLAGS, &ifr) || !(ifr.ifr_flags & IFF_UP))
			continue;
		ifr.ifr_flags &= ~IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) == 0)
			n++;
	}
	if_freenameindex(list);
	close(s);
	return n;
}
