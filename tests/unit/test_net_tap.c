// SPDX-License-Identifier: MIT
/*
 * Tier 2 against a real TAP, natively: each test enters a network namespace
 * of its own (root only; skipped otherwise), lets virtio_net create a TAP
 * there, and plays the guest driver on simulated guest memory. Frames cross
 * the host kernel for real: ARP gets answered, ICMP echoes come back, UDP
 * from a host socket lands in mergeable RX buffers, UDP segmentation offload
 * works both ways where this kernel's TAP has it.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <netinet/udp.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103	/* linux/udp.h, which clashes with netinet/udp.h */
#endif
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio/virtio_mmio.h"
#include "devices/net/net_user.h"
#include "devices/net/virtio_net.h"
#include "vhost/tap.h"
#include "net_driver.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (8ULL << 20)
#define QSIZE 64
#define TAP_NAME "tvt0"
#define HOST_IP "10.77.0.1"
#define GUEST_IP "10.77.0.2"

static const uint8_t guest_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static struct guest_mem mem;
static struct virtio_net net;
static struct virtio_mmio mmio;	/* the guest reaches net through it */
static struct nd_ring rxr, txr;
static struct net_driver drv;

static void *gp(uint64_t gpa) { return nd_gp(&drv, gpa); }

/* One counter of pair 0, read while its worker runs. */
static uint64_t pair_stat(size_t offset)
{
	struct net_pair_stats s;

	net_pair_stats_read(&net.pairs[0], &s);
	return *(uint64_t *)((uint8_t *)&s + offset);
}

static void set_ip(const char *ifname, const char *ip)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, ifname);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	cr_assert_eq(ioctl(s, SIOCSIFADDR, &ifr), 0, "SIOCSIFADDR: %s", strerror(errno));
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	cr_assert_eq(ioctl(s, SIOCSIFNETMASK, &ifr), 0);
	ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
}

static void write_sysctl(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");

	if (f) {	/* absent without IPv6: nothing to silence then */
		fputs(v, f);
		fclose(f);
	}
}

/* The device on a TAP in a namespace of this test's own, on virtio-mmio version 2 or 1. */
static void create_device(bool legacy)
{
	struct net_options o = { .tap_name = TAP_NAME, .packed = false, .vhost = NET_VHOST_OFF,
				 .queues = 1, .quiet = true };
	struct tvm_error err;

	if (geteuid() != 0)
		cr_skip_test("needs root to create a network namespace and a TAP");
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
	/* This namespace only: no IPv6 chatter (MLD, RS) among the test's frames. */
	write_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	cr_assert_eq(guest_mem_alloc(&mem, RAM_BASE, RAM_SIZE, &err), 0);
	nd_init(&drv, &rxr, &txr, &mmio, &mem, RAM_BASE, RAM_SIZE, QSIZE);
	memcpy(o.mac, guest_mac, 6);
	cr_assert_eq(virtio_net_init(&net, &o, &mem, &err), 0, "%s", err.msg);
	if (legacy)
		virtio_mmio_init_legacy(&mmio, &net.vdev);
	else
		virtio_mmio_init(&mmio, &net.vdev);
	set_ip(TAP_NAME, HOST_IP);
	rxr.kick_fd = net.pairs[0].kick_fd[0];
	txr.kick_fd = net.pairs[0].kick_fd[1];
}

static void start_device(uint64_t features)
{
	create_device(false);
	cr_assert(nd_negotiate(&drv, features), "device refused the features");
	nd_setup_queue(&drv, 0, &rxr);
	nd_setup_queue(&drv, 1, &txr);
	nd_reg_write(&drv, VIRTIO_MMIO_STATUS, 15);
	cr_assert_eq(nd_reg_read(&drv, VIRTIO_MMIO_STATUS), 15, "device refused DRIVER_OK");
}

static void stop_device(void)
{
	virtio_net_destroy(&net);
	guest_mem_free(&mem);
}

TestSuite(net_tap, .fini = stop_device);

#define F(n) (1ULL << (n))
#define BASE_FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS))

/* --- frames --------------------------------------------------------------- */

static size_t eth(uint8_t *p, const uint8_t *dst, uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, guest_mac, 6);
	p[12] = (uint8_t)(type >> 8);
	p[13] = (uint8_t)type;
	return 14;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An ARP request after a vnet header of @hdr bytes (10: legacy without MRG_RXBUF). */
static size_t arp_request_hdr(uint8_t *f, size_t hdr)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = f + hdr + 14;
	size_t n = hdr + eth(f + hdr, bcast, 0x0806);

	memset(f, 0, hdr);	/* vnet header: nothing to offload */
	memcpy(a, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	memcpy(a + 8, guest_mac, 6);
	inet_pton(AF_INET, GUEST_IP, a + 14);
	memset(a + 18, 0, 6);
	inet_pton(AF_INET, HOST_IP, a + 24);
	return n + 28;
}

static const uint8_t *rx_frame(uint64_t buf) { return gp(buf); }

/*
 * Post 4 RX buffers and an ARP request for the host (after a vnet header of
 * @hdr bytes); return the RX buffer the host's reply landed in (other host
 * chatter is skipped).
 */
static const uint8_t *arp_round_trip_hdr(size_t hdr)
{
	uint8_t frame[128];
	uint64_t bufs[4], rxbuf;
	uint32_t id, len;

	for (int i = 0; i < 4; i++)
		bufs[i] = nd_post(&drv, &rxr, NULL, 2048, true);
	nd_post(&drv, &txr, frame, (uint32_t)arp_request_hdr(frame, hdr), false);
	cr_assert(nd_wait_used(&drv, &txr, &id, &len), "TX chain never returned");
	cr_assert_eq(len, 0, "TX chains report 0 bytes written");
	do {
		cr_assert(nd_wait_used(&drv, &rxr, &id, &len), "no ARP reply arrived");
		cr_assert_lt(id, 4);
		rxbuf = bufs[id];
	} while (rx_frame(rxbuf)[hdr + 13] != 0x06);
	return rx_frame(rxbuf);
}

static const uint8_t *arp_round_trip(void)
{
	return arp_round_trip_hdr(12);
}

/* A legacy driver's (re)bind: reset, features, rings by QueuePFN, DRIVER_OK. */
static void bind_legacy(uint32_t features)
{
	nd_reg_write(&drv, VIRTIO_MMIO_STATUS, 0);
	nd_negotiate_legacy(&drv, features);
	nd_setup_queue_legacy(&drv, 0, &rxr);
	nd_setup_queue_legacy(&drv, 1, &txr);
	nd_reg_write(&drv, VIRTIO_MMIO_STATUS, 7);
	cr_assert_eq(nd_reg_read(&drv, VIRTIO_MMIO_STATUS), 7, "device refused DRIVER_OK");
}

/*
 * The TAP frames with the header each legacy session negotiated: 10 bytes
 * without MRG_RXBUF, 12 with it, 10 again after the next reset. A TAP
 * left at 12 would read the first two bytes of every frame as num_buffers.
 */
Test(net_tap, legacy_driver_gets_the_header_it_negotiated)
{
	const uint32_t legacy = (uint32_t)(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS));
	const uint32_t sizes[] = { 10, 12, 10 };

	create_device(true);
	for (int i = 0; i < 3; i++) {
		const uint8_t *r;

		bind_legacy(legacy | (sizes[i] == 12 ? (uint32_t)F(VIRTIO_NET_F_MRG_RXBUF) : 0));
		r = arp_round_trip_hdr(sizes[i]);
		cr_assert_eq(r[sizes[i] + 14 + 7], 2, "session %d: an ARP reply", i);
		cr_assert_arr_eq(r + sizes[i], guest_mac, 6, "session %d: addressed to the guest", i);
	}
	cr_assert_eq(net.activations, 3);
}

Test(net_tap, arp_request_gets_answered_through_the_tap)
{
	const uint8_t *r;

	start_device(BASE_FEATURES);
	r = arp_round_trip();
	cr_assert_eq(le16toh(*(uint16_t *)(r + 10)), 1, "num_buffers");
	cr_assert_eq(r[12 + 12], 0x08);
	cr_assert_eq(r[12 + 13], 0x06, "an ARP frame");
	cr_assert_eq(r[12 + 14 + 7], 2, "an ARP reply");
	cr_assert_arr_eq(r + 12, guest_mac, 6, "addressed to the guest");
	cr_assert_eq(pair_stat(offsetof(struct net_pair_stats, tx_packets)), 1);
	cr_assert_geq(pair_stat(offsetof(struct net_pair_stats, rx_packets)), 1);
}

/* What a driver does on unbind + bind: reset, then set the device up again. */
static void rebind(uint64_t features)
{
	nd_reg_write(&drv, VIRTIO_MMIO_STATUS, 0);	/* joins the pair's worker */
	cr_assert_eq(nd_reg_read(&drv, VIRTIO_MMIO_STATUS), 0);
	cr_assert(nd_negotiate(&drv, features));
	nd_setup_queue(&drv, 0, &rxr);
	nd_setup_queue(&drv, 1, &txr);
	nd_reg_write(&drv, VIRTIO_MMIO_STATUS, 15);
	cr_assert_eq(nd_reg_read(&drv, VIRTIO_MMIO_STATUS), 15, "device refused DRIVER_OK");
}

Test(net_tap, twenty_rebinds_each_with_traffic)
{
	start_device(BASE_FEATURES);
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(arp_round_trip()[12 + 14 + 7], 2, "round %d: no ARP reply", i);
		rebind(BASE_FEATURES);
	}
	cr_assert_eq(arp_round_trip()[12 + 14 + 7], 2);
	cr_assert_eq(net.activations, 21);
}

static void *delete_tap(void *arg)
{
	cr_assert_eq(system("ip link del " TAP_NAME), 0);
	return arg;
}

/*
 * The TAP deleted on the host while the driver resets the device: the
 * reset returns, the worker tells the main loop (tap_gone_fd) instead of
 * taking the device lock itself, and the device can be set up again with
 * its link down, with a worker that sleeps.
 */
Test(net_tap, tap_deleted_during_a_reset)
{
	struct pollfd p = { .events = POLLIN };
	pthread_t deleter;
	uint64_t wakeups;

	start_device(BASE_FEATURES);
	arp_round_trip();
	for (int i = 0; i < 4; i++)
		nd_post(&drv, &rxr, NULL, 2048, true);	/* the worker polls the TAP */
	cr_assert_eq(pthread_create(&deleter, NULL, delete_tap, NULL), 0);
	rebind(BASE_FEATURES);
	cr_assert_eq(pthread_join(deleter, NULL), 0);
	nd_kick(&rxr);	/* the new worker reads the dead TAP */
	p.fd = net.tap_gone_fd;
	cr_assert_eq(poll(&p, 1, 3000), 1, "no TAP-gone notice for the main loop");
	virtio_net_link_down(&net, "was deleted (test)");	/* what the main loop does */
	cr_assert_eq(net.link_status, 0);
	cr_assert_eq(net.vdev.config_generation, 1);
	rebind(BASE_FEATURES);
	wakeups = pair_stat(offsetof(struct net_pair_stats, worker_wakeups));
	usleep(200 * 1000);
	cr_assert_leq(pair_stat(offsetof(struct net_pair_stats, worker_wakeups)), wakeups + 1,
		      "the worker spins on a TAP that is gone");
}

/* Teach the host the guest's MAC so IP needs no ARP round trip. */
static void static_neighbour(void)
{
	struct arpreq req = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&req.arp_pa;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	sin->sin_family = AF_INET;
	inet_pton(AF_INET, GUEST_IP, &sin->sin_addr);
	req.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(req.arp_ha.sa_data, guest_mac, 6);
	req.arp_flags = ATF_COM | ATF_PERM;
	strcpy(req.arp_dev, TAP_NAME);
	cr_assert_eq(ioctl(s, SIOCSARP, &req), 0, "SIOCSARP: %s", strerror(errno));
	close(s);
}

static void tap_mac(uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, TAP_NAME);
	cr_assert_eq(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
}

/* A 20-byte IPv4 header, guest -> host, @total bytes with the header. */
static void ipv4_guest_to_host(uint8_t *ip, uint8_t proto, size_t total)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(total >> 8);
	ip[3] = (uint8_t)total;
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, GUEST_IP, ip + 12);
	inet_pton(AF_INET, HOST_IP, ip + 16);
	*(uint16_t *)(ip + 10) = htons(csum(ip, 20, 0));
}

/* ICMP echo whose checksum the guest leaves to the device (NEEDS_CSUM). */
static size_t icmp_echo_partial(uint8_t *f, const uint8_t *dst_mac, const uint8_t *payload,
				size_t plen)
{
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = htole16(14 + 20),
				       .csum_offset = htole16(2) };
	uint8_t *ip = f + 12 + 14, *icmp = ip + 20;
	size_t total = 20 + 8 + plen;

	memcpy(f, &h, 12);
	eth(f + 12, dst_mac, 0x0800);
	ipv4_guest_to_host(ip, 1, total);
	icmp[0] = 8;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;	/* left for the checksum offload (no pseudo-header for ICMP) */
	icmp[4] = 0x12;
	icmp[5] = 0x34;
	icmp[6] = 0;
	icmp[7] = 1;
	memcpy(icmp + 8, payload, plen);
	return 12 + 14 + total;
}

Test(net_tap, icmp_with_checksum_offload_is_echoed)
{
	uint8_t frame[1600], host_mac[6], payload[1000];
	uint64_t rxbuf;
	uint32_t id, len;
	const uint8_t *r;

	start_device(BASE_FEATURES | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM));
	static_neighbour();
	tap_mac(host_mac);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	rxbuf = nd_post(&drv, &rxr, NULL, 2048, true);
	nd_post(&drv, &txr, frame, (uint32_t)icmp_echo_partial(frame, host_mac, payload, sizeof(payload)),
	     false);
	cr_assert(nd_wait_used(&drv, &rxr, &id, &len), "no echo reply: the partial checksum was not completed");
	r = rx_frame(rxbuf) + 12;
	cr_assert_eq(len, 12 + 14 + 20 + 8 + sizeof(payload));
	cr_assert_eq(r[14 + 9], 1, "ICMP");
	cr_assert_eq(r[14 + 20], 0, "echo reply");
	cr_assert_arr_eq(r + 14 + 28, payload, sizeof(payload), "payload echoed intact");
}

Test(net_tap, udp_from_the_host_spans_mergeable_buffers)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	uint8_t payload[1400];
	uint64_t bufs[8];
	uint32_t id, len, total = 0;
	uint8_t got[2048];
	uint16_t nbufs;
	int s;

	start_device(BASE_FEATURES | F(VIRTIO_NET_F_MRG_RXBUF));
	static_neighbour();
	for (int i = 0; i < 8; i++)
		bufs[i] = nd_post(&drv, &rxr, NULL, 512, true);	/* small: the frame must span */
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i ^ 0x5a);
	inet_pton(AF_INET, GUEST_IP, &to.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(sendto(s, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)sizeof(payload));
	close(s);
	cr_assert(nd_wait_used(&drv, &rxr, &id, &len), "no UDP frame arrived");
	nbufs = le16toh(*(uint16_t *)(rx_frame(bufs[0]) + 10));
	cr_assert_eq(nbufs, 3, "12 + 14 + 20 + 8 + 1400 bytes in 512-byte buffers");
	memcpy(got, rx_frame(bufs[id]), len);
	total = len;
	for (uint16_t i = 1; i < nbufs; i++) {
		cr_assert(nd_wait_used(&drv, &rxr, &id, &len));
		memcpy(got + total, rx_frame(bufs[id]), len);
		total += len;
	}
	cr_assert_eq(total, 12 + 14 + 20 + 8 + sizeof(payload));
	cr_assert_arr_eq(got + 12 + 14 + 28, payload, sizeof(payload), "payload reassembled intact");
}

/* --- UDP segmentation offload (USO, Linux 6.2+ TAPs) ------------------------ */

#define USO_SEG 500
#define USO_PORT 7777

static void need_uso(void)
{
	if ((net.tap_offloads & (TUN_F_USO4 | TUN_F_USO6)) != (TUN_F_USO4 | TUN_F_USO6))
		cr_skip_test("this kernel's TAP has no UDP segmentation offload");
	cr_assert(net.vdev.device_features & F(VIRTIO_NET_F_HOST_USO), "probed, so offered");
}

/* One UDP frame of @plen payload bytes the device must cut into USO_SEG pieces. */
static size_t udp_uso_frame(uint8_t *f, const uint8_t *dst_mac, const uint8_t *payload,
			    size_t plen)
{
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = 5 /* VIRTIO_NET_HDR_GSO_UDP_L4 */,
				       .hdr_len = htole16(14 + 20 + 8),
				       .gso_size = htole16(USO_SEG),
				       .csum_start = htole16(14 + 20),
				       .csum_offset = htole16(6) };
	uint8_t *ip = f + 12 + 14, *udp = ip + 20;
	size_t total = 20 + 8 + plen;
	uint32_t pseudo = 0;

	memcpy(f, &h, 12);
	eth(f + 12, dst_mac, 0x0800);
	ipv4_guest_to_host(ip, 17, total);
	memset(udp, 0, 8);
	udp[0] = USO_PORT >> 8;
	udp[1] = USO_PORT & 0xff;
	udp[2] = USO_PORT >> 8;
	udp[3] = USO_PORT & 0xff;
	udp[4] = (uint8_t)((8 + plen) >> 8);
	udp[5] = (uint8_t)(8 + plen);
	/* NEEDS_CSUM: the field holds the pseudo-header sum, not inverted. */
	for (int i = 12; i < 20; i += 2)
		pseudo += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	pseudo += 17 + (uint32_t)(8 + plen);
	while (pseudo >> 16)
		pseudo = (pseudo & 0xffff) + (pseudo >> 16);
	udp[6] = (uint8_t)(pseudo >> 8);
	udp[7] = (uint8_t)pseudo;
	memcpy(udp + 8, payload, plen);
	return 12 + 14 + total;
}

static int udp_listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(USO_PORT) };
	struct timeval tv = { .tv_sec = 3 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, HOST_IP, &a.sin_addr);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

Test(net_tap, uso_from_the_guest_arrives_as_separate_datagrams)
{
	uint8_t frame[12 + 14 + 28 + 3 * USO_SEG], host_mac[6], payload[3 * USO_SEG], got[2048];
	uint32_t id, len;
	int s;

	start_device(BASE_FEATURES | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_USO));
	need_uso();
	static_neighbour();
	tap_mac(host_mac);
	s = udp_listener();
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13 + 1);
	nd_post(&drv, &txr, frame, (uint32_t)udp_uso_frame(frame, host_mac, payload, sizeof(payload)),
	     false);
	cr_assert(nd_wait_used(&drv, &txr, &id, &len), "TX buffer never returned");
	for (int seg = 0; seg < 3; seg++) {
		ssize_t n = recv(s, got, sizeof(got), 0);

		cr_assert_eq(n, USO_SEG, "datagram %d: %zd bytes (%s), want %d", seg, n,
			     n < 0 ? strerror(errno) : "wrong size", USO_SEG);
		cr_assert_arr_eq(got, payload + seg * USO_SEG, USO_SEG, "datagram %d intact", seg);
	}
	close(s);
}

Test(net_tap, uso_to_the_guest_arrives_as_one_frame)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(USO_PORT) };
	uint8_t payload[3 * USO_SEG];
	struct virtio_net_hdr_v1 h;
	uint64_t buf;
	uint32_t id, len;
	int s, seg = USO_SEG;

	start_device(BASE_FEATURES | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_USO4) |
		     F(VIRTIO_NET_F_GUEST_USO6));
	need_uso();
	static_neighbour();
	buf = nd_post(&drv, &rxr, NULL, 4096, true);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i ^ 0xa5);
	inet_pton(AF_INET, GUEST_IP, &to.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(setsockopt(s, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)), 0);
	cr_assert_eq(sendto(s, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)sizeof(payload));
	close(s);
	cr_assert(nd_wait_used(&drv, &rxr, &id, &len), "no frame arrived");
	memcpy(&h, rx_frame(buf), 12);
	cr_assert_eq(h.gso_type, 5, "one GSO_UDP_L4 frame, not %u", h.gso_type);
	cr_assert_eq(le16toh(h.gso_size), USO_SEG);
	cr_assert_eq(len, 12 + 14 + 20 + 8 + sizeof(payload));
	cr_assert_arr_eq(rx_frame(buf) + 12 + 14 + 28, payload, sizeof(payload));
}
