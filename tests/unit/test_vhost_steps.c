// SPDX-License-Identifier: MIT
/*
 * The vhost-net set-up sequence (vhost/vhost_net.c's numbered map) against a
 * fake /dev/vhost-net: open() and ioctl() are wrapped at link time
 * (-Wl,--wrap, CMakeLists.txt), so the real sequence runs here without the
 * kernel module. The fake records every vhost ioctl, so the order is
 * checked; each step is failed with its TINYVMM_FAULT point (lib/fault.h),
 * and its message must name the step number, the ioctl, the queue pair and
 * the ring. Each Criterion test is its own process: the fault counter and
 * the fake start fresh.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhost/vhost_net.h"

#define VERSION_1 (1ULL << 32)
#define MAX_CALLS 64

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long request, ...);

/* The fake vhost-net instance: one fd, what it was asked, what it fails. */
static struct {
	int fd;
	unsigned int ncalls;
	unsigned long request[MAX_CALLS];
	int index[MAX_CALLS];	/* the ring, -1 for instance-wide ioctls */
	int backend_fd[MAX_CALLS];
	unsigned long fail_request;	/* fails with fail_errno, 0: none */
	int fail_index;
	int fail_errno;
	unsigned int busyloop_us[2];
} fake = { .fd = -1 };

int __wrap_open(const char *path, int flags, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	if (strcmp(path, "/dev/vhost-net") == 0) {
		fake.fd = __real_open("/dev/null", O_RDWR | O_CLOEXEC);
		return fake.fd;
	}
	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return __real_open(path, flags, mode);
}

/* Every ring ioctl's argument starts with the ring index. */
static int ring_of(unsigned long request, const void *arg)
{
	switch (request) {
	case VHOST_SET_OWNER:
	case VHOST_GET_FEATURES:
	case VHOST_SET_FEATURES:
	case VHOST_SET_MEM_TABLE:
		return -1;
	default:
		return (int)*(const unsigned int *)arg;
	}
}

static int fake_vhost_ioctl(unsigned long request, void *arg)
{
	int ring = ring_of(request, arg);

	cr_assert_lt(fake.ncalls, MAX_CALLS);
	fake.request[fake.ncalls] = request;
	fake.index[fake.ncalls] = ring;
	fake.backend_fd[fake.ncalls] = request == VHOST_NET_SET_BACKEND ?
				       ((struct vhost_vring_file *)arg)->fd : 0;
	fake.ncalls++;
	if (request == fake.fail_request && (fake.fail_index < 0 || ring == fake.fail_index)) {
		errno = fake.fail_errno;
		return -1;
	}
	if (request == VHOST_GET_FEATURES)
		*(uint64_t *)arg = VERSION_1;
	if (request == VHOST_SET_VRING_BUSYLOOP_TIMEOUT)
		fake.busyloop_us[ring] = ((struct vhost_vring_state *)arg)->num;
	if (request == VHOST_GET_VRING_BUSYLOOP_TIMEOUT)
		((struct vhost_vring_state *)arg)->num = fake.busyloop_us[ring];
	return 0;
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd == fake.fd)
		return fake_vhost_ioctl(request, arg);
	return __real_ioctl(fd, request, arg);
}

static uint8_t ram[64 << 10];
static const struct guest_mem mem = { .host = ram, .gpa_base = 0x40000000, .size = sizeof(ram) };
static const struct vhost_net_ring rx_ring = { .size = 256, .desc = ram, .avail = ram + 4096,
					       .used = ram + 8192 };
static const struct vhost_net_ring tx_ring = { .size = 256, .desc = ram + 16384,
					       .avail = ram + 20480, .used = ram + 24576 };
static const int kick[2] = { 100, 101 }, call[2] = { 102, 103 }, errfd[2] = { 104, 105 };
#define TAP_FD 106

static void fault_at(const char *spec)
{
	cr_assert_eq(setenv("TINYVMM_FAULT", spec, 1), 0);
}

static void open_pair(struct vhost_net *vh, unsigned int pair)
{
	struct tvm_error err;

	cr_assert_eq(vhost_net_open(vh, pair, &err), 0, "%s", err.msg);
}

static int start(struct vhost_net *vh, struct tvm_error *err)
{
	return vhost_net_start(vh, &mem, VERSION_1, &rx_ring, &tx_ring, kick, call, errfd, TAP_FD,
			       err);
}

/*
 * Starting pair @pair fails, with a message containing @want, after the
 * kernel saw @calls_before ioctls: the failure is where the message says,
 * not somewhere before it (steps 5-6 are 2, 12-13 two more, 14-19 six per
 * ring).
 */
static void expect_start_fails(unsigned int pair, unsigned int calls_before, const char *want)
{
	struct vhost_net vh;
	struct tvm_error err = { 0 };

	open_pair(&vh, pair);
	cr_assert_eq(start(&vh, &err), -1);
	cr_assert(strstr(err.msg, want), "message '%s' should contain '%s'", err.msg, want);
	cr_assert_eq(fake.ncalls, calls_before, "%u ioctls before the failing step, want %u",
		     fake.ncalls, calls_before);
	cr_assert_not(vh.running);
	vhost_net_close(&vh);
}

/* Ioctls before step @step (12-20) of ring @ring; a fault replaces the ioctl itself. */
static unsigned int before(unsigned int step, unsigned int ring)
{
	if (step <= 13)
		return 2 + (step - 12);
	if (step <= 19)
		return 4 + 6 * ring + (step - 14);
	return 16 + ring;
}

Test(vhost_steps, the_kernel_sees_the_documented_order)
{
	static const unsigned long ring_steps[] = {
		VHOST_SET_VRING_NUM, VHOST_SET_VRING_BASE, VHOST_SET_VRING_ADDR,
		VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL, VHOST_SET_VRING_ERR,
	};
	struct vhost_net vh;
	struct tvm_error err;
	unsigned int n = 0;

	unsetenv("TINYVMM_FAULT");
	open_pair(&vh, 0);
	cr_assert_eq(start(&vh, &err), 0, "%s", err.msg);
	cr_assert(vh.running);
	vhost_net_stop(&vh);
	/* Steps 5-6, 12-13, 14-19 per ring, 20 per ring, then 21-22 per ring. */
	cr_assert_eq(fake.request[n++], VHOST_SET_OWNER);
	cr_assert_eq(fake.request[n++], VHOST_GET_FEATURES);
	cr_assert_eq(fake.request[n++], VHOST_SET_FEATURES);
	cr_assert_eq(fake.request[n++], VHOST_SET_MEM_TABLE);
	for (int ring = 0; ring < 2; ring++)
		for (size_t s = 0; s < sizeof(ring_steps) / sizeof(ring_steps[0]); s++, n++) {
			cr_assert_eq(fake.request[n], ring_steps[s], "call %u", n);
			cr_assert_eq(fake.index[n], ring, "call %u", n);
		}
	for (int ring = 0; ring < 2; ring++, n++) {
		cr_assert_eq(fake.request[n], VHOST_NET_SET_BACKEND);
		cr_assert_eq(fake.index[n], ring);
		cr_assert_eq(fake.backend_fd[n], TAP_FD);
	}
	for (int ring = 0; ring < 2; ring++) {
		cr_assert_eq(fake.request[n], VHOST_NET_SET_BACKEND);
		cr_assert_eq(fake.backend_fd[n++], -1);
		cr_assert_eq(fake.request[n], VHOST_GET_VRING_BASE);
		cr_assert_eq(fake.index[n++], ring);
	}
	cr_assert_eq(fake.ncalls, n, "nothing else");
	vhost_net_close(&vh);
}

Test(vhost_steps, step4_open)
{
	struct vhost_net vh;
	struct tvm_error err;

	fault_at("open /dev/vhost-net:1");
	cr_assert_eq(vhost_net_open(&vh, 0, &err), -1);
	cr_assert(strstr(err.msg, "cannot open /dev/vhost-net: Input/output error"), "%s", err.msg);
}

Test(vhost_steps, step5_set_owner)
{
	struct vhost_net vh;
	struct tvm_error err;

	fault_at("VHOST_SET_OWNER:1");
	cr_assert_eq(vhost_net_open(&vh, 3, &err), -1);
	cr_assert(strstr(err.msg, "vhost-net: step 5 VHOST_SET_OWNER (queue pair 3) failed: Input/output error"),
		  "%s", err.msg);
	cr_assert_eq(vh.fd, -1, "closed again");
}

Test(vhost_steps, step6_get_features)
{
	struct vhost_net vh;
	struct tvm_error err;

	fault_at("VHOST_GET_FEATURES:1");
	cr_assert_eq(vhost_net_open(&vh, 1, &err), -1);
	cr_assert(strstr(err.msg, "step 6 VHOST_GET_FEATURES (queue pair 1) failed: Input/output error"),
		  "%s", err.msg);
}

Test(vhost_steps, step7_busyloop_tx_ring)
{
	struct vhost_net vh;
	struct tvm_error err;

	fault_at("VHOST_SET_VRING_BUSYLOOP_TIMEOUT:2");
	open_pair(&vh, 2);
	cr_assert_eq(vhost_net_set_busyloop(&vh, 50, &err), -1);
	cr_assert(strstr(err.msg, "step 7 VHOST_SET_VRING_BUSYLOOP_TIMEOUT (queue pair 2, ring 1 TX) failed: Input/output error"),
		  "%s", err.msg);
	vhost_net_close(&vh);
}

Test(vhost_steps, step7_busyloop_kept)
{
	struct vhost_net vh;
	struct tvm_error err;

	unsetenv("TINYVMM_FAULT");
	open_pair(&vh, 0);
	cr_assert_eq(vhost_net_set_busyloop(&vh, 50, &err), 0, "%s", err.msg);
	cr_assert_eq(fake.busyloop_us[0], 50);
	cr_assert_eq(fake.busyloop_us[1], 50);
	vhost_net_close(&vh);
}

Test(vhost_steps, step12_set_features)
{
	fault_at("VHOST_SET_FEATURES:1");
	expect_start_fails(0, before(12, 0),
			   "vhost-net: step 12 VHOST_SET_FEATURES (queue pair 0) failed: Input/output error");
}

Test(vhost_steps, step13_set_mem_table)
{
	fault_at("VHOST_SET_MEM_TABLE:1");
	expect_start_fails(1, before(13, 0),
			   "step 13 VHOST_SET_MEM_TABLE (queue pair 1) failed: Input/output error");
}

/* Pass 1 of a per-ring step is ring 0 (RX), pass 2 ring 1 (TX). */
Test(vhost_steps, step14_vring_num_rx)
{
	fault_at("VHOST_SET_VRING_NUM:1");
	expect_start_fails(0, before(14, 0),
			   "step 14 VHOST_SET_VRING_NUM (queue pair 0, ring 0 RX) failed: Input/output error");
}

Test(vhost_steps, step14_vring_num_tx)
{
	fault_at("VHOST_SET_VRING_NUM:2");
	expect_start_fails(0, before(14, 1),
			   "step 14 VHOST_SET_VRING_NUM (queue pair 0, ring 1 TX) failed");
}

Test(vhost_steps, step15_vring_base_rx)
{
	fault_at("VHOST_SET_VRING_BASE:1");
	expect_start_fails(2, before(15, 0),
			   "step 15 VHOST_SET_VRING_BASE (queue pair 2, ring 0 RX) failed");
}

Test(vhost_steps, step15_vring_base_tx)
{
	fault_at("VHOST_SET_VRING_BASE:2");
	expect_start_fails(2, before(15, 1),
			   "step 15 VHOST_SET_VRING_BASE (queue pair 2, ring 1 TX) failed");
}

Test(vhost_steps, step16_vring_addr_rx)
{
	fault_at("VHOST_SET_VRING_ADDR:1");
	expect_start_fails(0, before(16, 0),
			   "step 16 VHOST_SET_VRING_ADDR (queue pair 0, ring 0 RX) failed");
}

Test(vhost_steps, step16_vring_addr_tx)
{
	fault_at("VHOST_SET_VRING_ADDR:2");
	expect_start_fails(0, before(16, 1),
			   "step 16 VHOST_SET_VRING_ADDR (queue pair 0, ring 1 TX) failed");
}

Test(vhost_steps, step17_vring_kick_rx)
{
	fault_at("VHOST_SET_VRING_KICK:1");
	expect_start_fails(0, before(17, 0),
			   "step 17 VHOST_SET_VRING_KICK (queue pair 0, ring 0 RX) failed");
}

Test(vhost_steps, step17_vring_kick_tx)
{
	fault_at("VHOST_SET_VRING_KICK:2");
	expect_start_fails(0, before(17, 1),
			   "step 17 VHOST_SET_VRING_KICK (queue pair 0, ring 1 TX) failed");
}

Test(vhost_steps, step18_vring_call_rx)
{
	fault_at("VHOST_SET_VRING_CALL:1");
	expect_start_fails(0, before(18, 0),
			   "step 18 VHOST_SET_VRING_CALL (queue pair 0, ring 0 RX) failed");
}

Test(vhost_steps, step18_vring_call_tx)
{
	fault_at("VHOST_SET_VRING_CALL:2");
	expect_start_fails(0, before(18, 1),
			   "step 18 VHOST_SET_VRING_CALL (queue pair 0, ring 1 TX) failed");
}

Test(vhost_steps, step19_vring_err_rx)
{
	fault_at("VHOST_SET_VRING_ERR:1");
	expect_start_fails(0, before(19, 0),
			   "step 19 VHOST_SET_VRING_ERR (queue pair 0, ring 0 RX) failed");
}

Test(vhost_steps, step19_vring_err_tx)
{
	fault_at("VHOST_SET_VRING_ERR:2");
	expect_start_fails(0, before(19, 1),
			   "step 19 VHOST_SET_VRING_ERR (queue pair 0, ring 1 TX) failed");
}

Test(vhost_steps, step20_set_backend_rx)
{
	fault_at("VHOST_NET_SET_BACKEND:1");
	expect_start_fails(1, before(20, 0),
			   "step 20 VHOST_NET_SET_BACKEND (queue pair 1, ring 0 RX) failed: Input/output error");
}

Test(vhost_steps, step20_set_backend_tx_detaches_rx)
{
	fault_at("VHOST_NET_SET_BACKEND:2");
	/* RX attached (1 more), TX failed, RX detached again (1 more). */
	expect_start_fails(1, before(20, 1) + 1,
			   "step 20 VHOST_NET_SET_BACKEND (queue pair 1, ring 1 TX) failed: Input/output error");
	/* RX was attached: it is detached again, so the pair stops as a whole. */
	cr_assert_eq(fake.request[fake.ncalls - 1], VHOST_NET_SET_BACKEND);
	cr_assert_eq(fake.index[fake.ncalls - 1], 0);
	cr_assert_eq(fake.backend_fd[fake.ncalls - 1], -1);
}

/* The fake kernel fails @request on ring @ring (-1: any) with @e: the ioctl was made. */
static void kernel_fails(unsigned long request, int ring, int e)
{
	unsetenv("TINYVMM_FAULT");
	fake.fail_request = request;
	fake.fail_index = ring;
	fake.fail_errno = e;
}

/* The kernel's own errors, with their errno and the fix. */
Test(vhost_steps, kernel_efault_on_rx_backend_names_ring_0)
{
	kernel_fails(VHOST_NET_SET_BACKEND, 0, EFAULT);
	expect_start_fails(0, before(20, 0) + 1,
			   "step 20 VHOST_NET_SET_BACKEND (queue pair 0, ring 0 RX) failed: Bad address. vhost cannot read the rings");
}

Test(vhost_steps, kernel_ebusy_on_vring_num_says_why)
{
	kernel_fails(VHOST_SET_VRING_NUM, 1, EBUSY);
	expect_start_fails(0, before(14, 1) + 1,
			   "step 14 VHOST_SET_VRING_NUM (queue pair 0, ring 1 TX) failed: Device or resource busy. A backend is still attached");
}

Test(vhost_steps, deleted_tap_on_backend_says_so)
{
	kernel_fails(VHOST_NET_SET_BACKEND, -1, ENOTSOCK);
	expect_start_fails(0, before(20, 0) + 1,
			   "(queue pair 0, ring 0 RX) failed: Socket operation on non-socket. The fd is not a TAP any more");
}
