// SPDX-License-Identifier: MIT
/*
 * vhost's call fds as the MSI-X vectors' irqfds (devices/net/net_irqfd.c)
 * over the real virtio-pci transport, MSI-X table and virtio core: the
 * driver assigns, shares and reassigns vectors before and after DRIVER_OK,
 * masks them, turns MSI-X off and on, resets. VHOST_SET_VRING_CALL is a
 * fake that records what vhost would signal; the vector and relay fds are
 * real eventfds, so the spare signal on a move is seen.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bus_access.h"
#include "pci_fixture.h"
#include "thread_fixture.h"
#include "devices/mmio_bus.h"
#include "devices/net/net_irqfd.h"
#include "devices/pci/pci_host.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_pci.h"
#include "lib/guest_mem.h"

#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	(1ULL << 20)
#define SLOT		1
#define BAR0_ADDR	0x50000000ULL
#define BAR1_ADDR	0x50010000ULL
#define NPAIRS		2
#define NQUEUES		(2 * NPAIRS + 1)	/* + control */
#define NVEC		(NQUEUES + 1)
#define OFFERED		(1ULL << VIRTIO_F_VERSION_1)

static struct guest_mem mem;
static struct virtio_net net;
static struct virtio_pci vp;
static struct pci_host host;
static struct mmio_bus bus;
static int vec_fd[NVEC];
static int set_calls, refuse_set_call;

static int fake_set_call(struct virtio_net *n, unsigned int pair, unsigned int ring, int fd)
{
	set_calls++;
	return refuse_set_call ? -1 : 0;
}

/* What net_vhost.c does at DRIVER_OK and at reset, minus the ioctls. */
static int fake_activate(struct virtio_dev *d)
{
	for (unsigned int i = 0; i < NPAIRS; i++) {
		net.pairs[i].vhost.running = true;
		for (unsigned int r = 0; r < 2; r++)
			net.pairs[i].call_used[r] = net_irqfd_target(&net, i, r);
	}
	return 0;
}

static void fake_reset(struct virtio_dev *d)
{
	for (unsigned int i = 0; i < NPAIRS; i++) {
		net.pairs[i].vhost.running = false;
		net.pairs[i].call_used[0] = net.pairs[i].call_used[1] = -1;
	}
}

static void fake_irqfds_changed(struct virtio_dev *d)
{
	net_irqfd_follow(&net, fake_set_call);
}

static const struct virtio_dev_ops dev_ops = {
	.activate = fake_activate, .reset = fake_reset,
	.queue_irqfds_changed = fake_irqfds_changed,
};

/* As vmm/core/vm_pci.c wires it. */
static void on_enable_changed(void *opaque, bool enabled)
{
	virtio_pci_msix_toggled(&vp);
}

/* vm_pci.c's settled(): after a table write, vhost follows the vectors' irqfds. */
static void on_settled(void *opaque)
{
	virtio_pci_msix_toggled(&vp);
}

static const struct msix_ops msix_ops = { .enable_changed = on_enable_changed,
					  .settled = on_settled };

/* Vectors KVM has no route for (msi_vector_irqfd() says -1). */
static bool no_route[NVEC];

static int vector_fd(void *opaque, unsigned int v)
{
	return v < NVEC && !no_route[v] ? vec_fd[v] : -1;
}

static void make(enum net_irq_mode mode, unsigned int nvectors)
{
	struct tvm_error err;

	memset(&net, 0, sizeof(net));
	cr_assert_eq(guest_mem_alloc(&mem, RAM_BASE, RAM_SIZE, &err), 0);
	net.opts.irq_mode = mode;
	net.npairs = NPAIRS;
	for (unsigned int i = 0; i < NPAIRS; i++)
		for (unsigned int r = 0; r < 2; r++) {
			net.pairs[i].call_fd[r] = new_eventfd();
			net.pairs[i].call_used[r] = -1;
		}
	for (unsigned int v = 0; v < NVEC; v++)
		vec_fd[v] = new_eventfd();
	virtio_dev_init(&net.vdev, 1, OFFERED, NQUEUES, 256, &mem, &dev_ops, &net);
	cr_assert_eq(virtio_pci_init(&vp, &net.vdev, 0x020000, nvectors, &msix_ops, NULL), 0);
	vp.vector_fd = vector_fd;
	pci_fixture_plug(&host, &bus, SLOT, &vp);
	set_calls = refuse_set_call = 0;
}

static void setup(void)
{
	make(NET_IRQ_DIRECT, NVEC);
}

static void teardown(void)
{
	virtio_pci_destroy(&vp);
	virtio_dev_destroy(&net.vdev);
	pci_host_destroy(&host);
	guest_mem_free(&mem);
	for (unsigned int v = 0; v < NVEC; v++)
		close(vec_fd[v]);
	for (unsigned int i = 0; i < NPAIRS; i++)
		for (unsigned int r = 0; r < 2; r++)
			close(net.pairs[i].call_fd[r]);
}

TestSuite(net_irqfd, .init = setup, .fini = teardown);

static uint64_t ecam(unsigned int reg)
{
	return pci_fixture_ecam(SLOT, reg);
}

static uint64_t common(unsigned int off)
{
	return BAR0_ADDR + VIRTIO_PCI_COMMON_OFF + off;
}

static void wr(uint64_t addr, unsigned int len, uint64_t v)
{
	bus_wr(&bus, addr, len, v);
}

static void set_msix(uint16_t ctrl)
{
	wr(ecam(vp.msix.cap + MSIX_CAP_CTRL), 2, ctrl);
}

static void set_queue_vector(unsigned int q, uint32_t v)
{
	wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, q);
	wr(common(VIRTIO_PCI_COMMON_Q_MSIX), 2, v);
}

static uint64_t drain(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* The fd ring @q (2 * pair + ring) signals now. */
static int used(unsigned int q)
{
	return net.pairs[q / 2].call_used[q % 2];
}

static int relay(unsigned int q)
{
	return net.pairs[q / 2].call_fd[q % 2];
}

/*
 * Linux's bring-up (vp_find_vqs with one vector per queue): MSI-X on,
 * config vector 0, queue q vector q + 1 unless @vec_of says otherwise.
 */
static void bring_up(const int *vec_of)
{
	uint32_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	wr(ecam(PCI_CFG_BAR0), 4, (uint32_t)BAR0_ADDR);
	wr(ecam(PCI_CFG_BAR0 + 4), 4, (uint32_t)BAR1_ADDR);
	wr(ecam(PCI_CFG_COMMAND), 2, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, status);
	wr(common(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
	wr(common(VIRTIO_PCI_COMMON_GF), 4, 1);
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, status);
	if (vp.has_msix)
		set_msix(MSIX_CTRL_ENABLE);
	wr(common(VIRTIO_PCI_COMMON_MSIX), 2, 0);
	for (unsigned int q = 0; q < NQUEUES; q++) {
		uint64_t base = RAM_BASE + 0x10000 * q;

		wr(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, q);
		wr(common(VIRTIO_PCI_COMMON_Q_SIZE), 2, 128);
		set_queue_vector(q, vec_of ? (uint32_t)vec_of[q] : q + 1);
		wr(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4, (uint32_t)base);
		wr(common(VIRTIO_PCI_COMMON_Q_AVAILLO), 4, (uint32_t)(base + 0x1000));
		wr(common(VIRTIO_PCI_COMMON_Q_USEDLO), 4, (uint32_t)(base + 0x2000));
		wr(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	}
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, status | VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert(net.pairs[0].vhost.running, "DRIVER_OK started the (fake) backend");
}

Test(net_irqfd, per_queue_vectors_at_driver_ok)
{
	bring_up(NULL);
	for (unsigned int q = 0; q < 2 * NPAIRS; q++)
		cr_assert_eq(used(q), vec_fd[q + 1], "queue %u signals vector %u's irqfd", q, q + 1);
	cr_assert_eq(set_calls, 0, "set up before DRIVER_OK: nothing moved live");
	cr_assert(net_irqfd_watch_call_fds(&net), "the relay stays watched for fallbacks");
}

Test(net_irqfd, shared_vector_shares_the_eventfd)
{
	/* vp_find_vqs' second try: one vector for config, one for every queue. */
	const int shared[NQUEUES] = { 1, 1, 1, 1, 1 };

	bring_up(shared);
	for (unsigned int q = 0; q < 2 * NPAIRS; q++)
		cr_assert_eq(used(q), vec_fd[1]);
}

Test(net_irqfd, no_vector_or_a_bad_one_means_relay)
{
	const int vec[NQUEUES] = { VIRTIO_PCI_NO_VECTOR, 99, 3, NVEC, 5 };

	bring_up(vec);
	cr_assert_eq(used(0), relay(0), "NO_VECTOR");
	cr_assert_eq(used(1), relay(1), "vector 99 does not exist: reads back NO_VECTOR");
	cr_assert_eq(used(2), vec_fd[3]);
	cr_assert_eq(used(3), relay(3), "vector NVEC is one past the table");
}

Test(net_irqfd, reassigned_after_driver_ok_moves_live)
{
	bring_up(NULL);
	drain(vec_fd[5]);
	set_queue_vector(0, 5);
	cr_assert_eq(set_calls, 1);
	cr_assert_eq(used(0), vec_fd[5]);
	cr_assert_eq(drain(vec_fd[5]), 1, "one spare signal on the new irqfd");
	cr_assert_eq(net.irqfd_moves, 1);
	set_queue_vector(0, 5);
	cr_assert_eq(set_calls, 1, "same vector again: nothing to do");
	set_queue_vector(4, 2);	/* the control queue: not vhost's */
	cr_assert_eq(set_calls, 1);
	set_queue_vector(1, VIRTIO_PCI_NO_VECTOR);
	cr_assert_eq(used(1), relay(1), "NO_VECTOR live: back to the relay");
	cr_assert_eq(drain(relay(1)), 1);
}

Test(net_irqfd, masking_keeps_the_call_fds)
{
	uint32_t one = MSIX_ENTRY_MASKED, zero = 0;

	bring_up(NULL);
	for (unsigned int v = 0; v < NVEC; v++)
		msix_bar_access(&vp.msix, 1, 16 * v + MSIX_ENTRY_CTRL, (uint8_t *)&zero, 4, true);
	msix_bar_access(&vp.msix, 1, 16 * 2 + MSIX_ENTRY_CTRL, (uint8_t *)&one, 4, true);
	set_msix(MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	set_msix(MSIX_CTRL_ENABLE);
	cr_assert_eq(set_calls, 0, "a masked vector's irqfd is detached, its eventfd kept");
	cr_assert_eq(used(1), vec_fd[2]);
}

Test(net_irqfd, msix_off_and_on_again)
{
	bring_up(NULL);
	set_msix(0);
	cr_assert_eq(set_calls, 2 * NPAIRS);
	for (unsigned int q = 0; q < 2 * NPAIRS; q++) {
		cr_assert_eq(used(q), relay(q), "MSI-X off: INTx through the relay");
		cr_assert_eq(drain(relay(q)), 1, "a completion left on the detached vector is not lost");
	}
	set_msix(MSIX_CTRL_ENABLE);
	cr_assert_eq(set_calls, 4 * NPAIRS);
	for (unsigned int q = 0; q < 2 * NPAIRS; q++)
		cr_assert_eq(used(q), vec_fd[q + 1]);
}

Test(net_irqfd, refused_set_call_keeps_the_old_fd)
{
	bring_up(NULL);
	refuse_set_call = 1;
	set_queue_vector(2, 5);
	cr_assert_eq(set_calls, 1);
	cr_assert_eq(used(2), vec_fd[3], "vhost still signals the old vector");
	cr_assert_eq(net.irqfd_moves, 0);
	refuse_set_call = 0;
	set_queue_vector(3, 1);
	cr_assert_eq(used(2), vec_fd[5], "the next change of any vector retries it");
	cr_assert_eq(used(3), vec_fd[1]);
}

Test(net_irqfd, reset_then_set_up_again)
{
	const int shared[NQUEUES] = { 2, 2, 2, 2, 2 };

	bring_up(NULL);
	wr(common(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	cr_assert_not(net.pairs[0].vhost.running);
	for (unsigned int q = 0; q < 2 * NPAIRS; q++)
		cr_assert_eq(net_irqfd_target(&net, q / 2, q % 2), relay(q),
			     "a reset returns the vectors to NO_VECTOR");
	set_queue_vector(0, 1);
	cr_assert_eq(set_calls, 0, "no backend running: nothing to move");
	bring_up(shared);
	for (unsigned int q = 0; q < 2 * NPAIRS; q++)
		cr_assert_eq(used(q), vec_fd[2]);
}

Test(net_irqfd, relay_mode_never_uses_the_vectors)
{
	teardown();
	make(NET_IRQ_RELAY, NVEC);
	bring_up(NULL);
	for (unsigned int q = 0; q < 2 * NPAIRS; q++)
		cr_assert_eq(used(q), relay(q));
	set_queue_vector(0, 5);
	set_msix(0);
	cr_assert_eq(set_calls, 0);
	cr_assert(net_irqfd_watch_call_fds(&net));
}

Test(net_irqfd, intx_only_function)
{
	teardown();
	make(NET_IRQ_DIRECT, 0);
	bring_up(NULL);
	for (unsigned int q = 0; q < 2 * NPAIRS; q++)
		cr_assert_eq(used(q), relay(q), "no MSI-X capability: relay and INTx");
}

Test(net_irqfd, mmio_keeps_its_call_fds)
{
	struct virtio_mmio mmio;

	virtio_mmio_init(&mmio, &net.vdev);
	cr_assert_not(virtio_dev_has_queue_irqfds(&net.vdev));
	cr_assert_eq(net_irqfd_target(&net, 1, 0), relay(2), "direct on mmio: call_fd is the SPI's irqfd");
	cr_assert_not(net_irqfd_watch_call_fds(&net), "and nobody but KVM reads it");
	net.opts.irq_mode = NET_IRQ_RELAY;
	cr_assert(net_irqfd_watch_call_fds(&net));
}

/*
 * A vector that loses its irqfd route (KVM refused the guest's message, a
 * GICv2m message outside the frame) while vhost signals it: vhost moves to
 * the relay at the guest's table write, with a spare signal there, so no
 * completion waits in an eventfd no one reads; and back when it is fixed.
 */
Test(net_irqfd, vector_without_a_route_means_relay)
{
	uint32_t data = 7;

	bring_up(NULL);
	cr_assert_eq(used(2), vec_fd[3]);
	drain(relay(2));
	no_route[3] = true;	/* the next message for vector 3 is refused */
	msix_bar_access(&vp.msix, VIRTIO_PCI_MSIX_BAR, 16 * 3 + MSIX_ENTRY_DATA, (uint8_t *)&data,
			4, true);
	cr_assert_eq(used(2), relay(2), "vhost still signals a vector with no irqfd");
	cr_assert_eq(drain(relay(2)), 1, "what was sent meanwhile is relayed");
	cr_assert_eq(used(0), vec_fd[1], "other queues stay on their irqfds");
	no_route[3] = false;
	msix_bar_access(&vp.msix, VIRTIO_PCI_MSIX_BAR, 16 * 3 + MSIX_ENTRY_DATA, (uint8_t *)&data,
			4, true);
	cr_assert_eq(used(2), vec_fd[3]);
}
