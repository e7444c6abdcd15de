/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_NETIF_H
#define GUEST_TEST_NETIF_H

/* Give @ifname the IPv4 address @addr/@prefix and bring it up (ioctls only). */
int netif_configure(const char *ifname, const char *addr, int prefix);
int netif_up(const char *ifname);
int netif_down_all(void);

#endif
