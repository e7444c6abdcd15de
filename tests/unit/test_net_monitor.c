// SPDX-License-Identifier: MIT
/*
 * The vhost monitor thread (devices/net/net_vhost.c), run for real over
 * the real transports: which call eventfds it reads is decided when it
 * starts, from the transport. On virtio-pci a ring whose queue has no
 * vector irqfd (INTx: pci=nomsi, or no MSI controller) signals its own
 * call_fd, and only the monitor turns that into the interrupt; on mmio in
 * direct mode call_fd is KVM's irqfd and must be left alone. vhost itself
 * is not needed: the test signals call_fd and err_fd as vhost would.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/net/net_vhost.h"
#include "devices/net/net_vhost_guard.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_pci.h"
#include "lib/guest_mem.h"
#include "lib/util.h"
#include "thread_fixture.h"

#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	(1ULL << 20)
#define NPAIRS		1
#define NQUEUES		(2 * NPAIRS)

static struct guest_mem mem;
static struct virtio_net net;
static struct virtio_pci vp;
static struct virtio_mmio mmio;
static bool have_pci, have_mmio;
static uint64_t intx_asserts, mmio_edges;	/* atomic: the monitor thread adds */

static const struct virtio_dev_ops dev_ops = { 0 };

static void setup(void)
{
	struct tvm_error err;

	memset(&net, 0, sizeof(net));
	have_pci = have_mmio = false;
	intx_asserts = mmio_edges = 0;
	cr_assert_eq(guest_mem_alloc(&mem, RAM_BASE, RAM_SIZE, &err), 0);
	net.npairs = NPAIRS;
	net.monitor_epfd = -1;
	tvm_worker_clear(&net.monitor);
	for (unsigned int r = 0; r < 2; r++) {
		net.pairs[0].call_fd[r] = new_eventfd();
		net.pairs[0].err_fd[r] = new_eventfd();
	}
	virtio_dev_init(&net.vdev, 1, 0, NQUEUES, 256, &mem, &dev_ops, &net);
	/* As after DRIVER_OK with vhost serving the rings: ring errors count. */
	net.vdev.active = true;
	net.active_backend = NET_BACKEND_VHOST;
}

static void teardown(void)
{
	net_vhost_monitor_stop(&net);
	net_vhost_guard_close(&net);
	if (have_pci)
		virtio_pci_destroy(&vp);
	virtio_dev_destroy(&net.vdev);
	guest_mem_free(&mem);
	for (unsigned int r = 0; r < 2; r++) {
		close(net.pairs[0].call_fd[r]);
		close(net.pairs[0].err_fd[r]);
	}
}

TestSuite(net_monitor, .init = setup, .fini = teardown, .timeout = 20);

static void on_intx(void *opaque, bool level)
{
	if (level)
		__atomic_add_fetch(&intx_asserts, 1, __ATOMIC_SEQ_CST);
}

static void on_mmio_edge(void *opaque)
{
	__atomic_add_fetch(&mmio_edges, 1, __ATOMIC_SEQ_CST);
}

/* A virtio-pci function with no MSI-X vectors: INTx only, as on a host without an MSI controller. */
static void attach_pci_intx(void)
{
	static const struct msix_ops no_msix;

	cr_assert_eq(virtio_pci_init(&vp, &net.vdev, 0x020000, 0, &no_msix, NULL), 0);
	vp.set_intx = on_intx;
	have_pci = true;
}

static void attach_mmio(void)
{
	virtio_mmio_init(&mmio, &net.vdev);
	mmio.raise_irq = on_mmio_edge;
	have_mmio = true;
}

/* As vhost does; the eventfds here never saturate. */
static void signal_fd(int fd)
{
	cr_assert(eventfd_signal(fd));
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

Test(net_monitor, refuses_to_start_before_a_transport)
{
	/* Its watch set would be a guess: on pci INTx it would miss every interrupt. */
	net.opts.irq_mode = NET_IRQ_DIRECT;
	cr_assert_eq(net_vhost_monitor_start(&net), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_not(net.monitor.running);
	cr_assert_eq(net.monitor_epfd, -1);
}

Test(net_monitor, pci_intx_turns_call_fds_into_intx)
{
	uint8_t isr = 0;

	net.opts.irq_mode = NET_IRQ_DIRECT;
	attach_pci_intx();
	cr_assert_eq(net_vhost_monitor_start(&net), 0);
	signal_fd(net.pairs[0].call_fd[0]);	/* vhost used RX buffers */
	cr_assert(wait_counter(&intx_asserts, 1), "no INTx for an RX call on pci without vectors");
	cr_assert(__atomic_load_n(&vp.isr, __ATOMIC_SEQ_CST) & VIRTIO_PCI_ISR_QUEUE);
	cr_assert_not(readable(net.pairs[0].call_fd[0]), "the monitor consumes the call");
	/* The driver reads ISR, which lowers the line: the next call raises it again. */
	virtio_pci_bar_access(&vp, VIRTIO_PCI_BAR, VIRTIO_PCI_ISR_OFF, &isr, 1, false);
	cr_assert_eq(isr, VIRTIO_PCI_ISR_QUEUE);
	signal_fd(net.pairs[0].call_fd[1]);	/* and TX completions */
	cr_assert(wait_counter(&intx_asserts, 2));
}

Test(net_monitor, mmio_direct_leaves_call_fds_to_kvm)
{
	net.opts.irq_mode = NET_IRQ_DIRECT;
	attach_mmio();
	cr_assert_eq(net_vhost_monitor_start(&net), 0);
	signal_fd(net.pairs[0].call_fd[0]);
	/* A ring error is the barrier: once its config edge is seen, the call was skipped. */
	signal_fd(net.pairs[0].err_fd[0]);
	cr_assert(wait_counter(&mmio_edges, 1));
	cr_assert(__atomic_load_n(&net.vdev.needs_reset, __ATOMIC_SEQ_CST));
	cr_assert_eq(net.vhost_errors, 1);
	cr_assert(readable(net.pairs[0].call_fd[0]), "KVM's irqfd count was stolen");
	cr_assert_eq(counter(&mmio_edges), 1);
}

Test(net_monitor, mmio_relay_turns_call_fds_into_edges)
{
	net.opts.irq_mode = NET_IRQ_RELAY;
	attach_mmio();
	cr_assert_eq(net_vhost_monitor_start(&net), 0);
	signal_fd(net.pairs[0].call_fd[1]);
	cr_assert(wait_counter(&mmio_edges, 1));
	cr_assert_not(readable(net.pairs[0].call_fd[1]));
}

Test(net_monitor, stop_then_start_again)
{
	net.opts.irq_mode = NET_IRQ_RELAY;
	attach_mmio();
	cr_assert_eq(net_vhost_monitor_start(&net), 0);
	net_vhost_monitor_stop(&net);
	cr_assert_not(net.monitor.running);
	cr_assert_eq(net.monitor_epfd, -1);
	cr_assert_eq(net_vhost_monitor_start(&net), 0);
	signal_fd(net.pairs[0].call_fd[0]);
	cr_assert(wait_counter(&mmio_edges, 1));
}

/*
 * The spin watchdog armed (a device on vhost: the monitor wakes once a
 * second) while another thread arms and disarms it, as vhost_start() and
 * vhost_stop() do on a vCPU: the monitor still serves its eventfds, and
 * stops when told. No worker was found here (no /dev/vhost-net), so no
 * sample judges anything; the point is the threads (TSan runs this).
 */
Test(net_monitor, watchdog_armed_monitor_serves_and_stops)
{
	net.opts.irq_mode = NET_IRQ_RELAY;
	attach_mmio();
	cr_assert_eq(net_vhost_guard_open(&net), 0);
	cr_assert_eq(net_vhost_guard_timeout_ms(&net), -1, "disarmed: no timeout");
	cr_assert_eq(net_vhost_monitor_start(&net), 0);
	for (unsigned int i = 0; i < 200; i++) {
		net_vhost_guard_arm(&net);
		net_vhost_guard_disarm(&net);
	}
	net_vhost_guard_arm(&net);
	signal_fd(net.pairs[0].call_fd[0]);
	cr_assert(wait_counter(&mmio_edges, 1), "an armed watchdog kept the monitor from its eventfds");
	cr_assert_eq(net.vhost_stalls, 0);
	net_vhost_monitor_stop(&net);
	cr_assert_not(net.monitor.running);
}
