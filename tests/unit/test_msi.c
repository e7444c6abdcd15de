// SPDX-License-Identifier: MIT
/* MSI backends: mode choice, per-vector routes and irqfds (ITS, GICv2m), MSI-X glue. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/*
 * new_eventfd: the vectors' eventfds, as vm_pci.c makes them (never closed:
 * each test process exits after one test).
 */
#include "thread_fixture.h"
#include "lib/util.h"
#include "vmm/arm64/layout.h"
#include "vmm/msi/msi.h"

#define NR_SPIS LAYOUT_GIC_NR_SPIS
#define ITS_DOORBELL (LAYOUT_GIC_ITS_BASE + 0x10040)	/* GITS_TRANSLATER */
#define V2M_DOORBELL (LAYOUT_GICV2M_BASE + GICV2M_MSI_SETSPI_NS)

struct fake_kvm {
	bool assigned[NR_SPIS + MSI_ROUTES_MAX];	/* irqfd per GSI (one fd in these tests) */
	unsigned int assigns, deassigns, routing_pushes, signals, pulses;
	struct msi_route_msg last_signal;
	unsigned int last_pulse;
	bool fail_irqfd;
	unsigned int nr_routes;
};

static struct fake_kvm kvm;
static struct msi_routes routes;
static struct gicv2m v2m;

static int fake_irqfd(void *opaque, int fd, unsigned int gsi, bool assign)
{
	struct fake_kvm *k = opaque;

	cr_assert_lt(gsi, NR_SPIS + MSI_ROUTES_MAX);
	if (k->fail_irqfd)
		return -1;
	/* KVM refuses a double assign or a deassign of nothing: so do we. */
	cr_assert_neq(k->assigned[gsi], assign, "irqfd %s twice on GSI %u",
		      assign ? "assigned" : "deassigned", gsi);
	k->assigned[gsi] = assign;
	if (assign)
		k->assigns++;
	else
		k->deassigns++;
	return 0;
}

static int fake_signal(void *opaque, const struct msi_route_msg *m)
{
	struct fake_kvm *k = opaque;

	k->signals++;
	k->last_signal = *m;
	return 0;
}

static int fake_pulse(void *opaque, unsigned int spi)
{
	struct fake_kvm *k = opaque;

	k->pulses++;
	k->last_pulse = spi;
	return 0;
}

static int fake_push(void *opaque, const struct kvm_irq_routing *t)
{
	struct fake_kvm *k = opaque;

	k->routing_pushes++;
	k->nr_routes = t->nr;
	return 0;
}

static const struct msi_kvm_ops ops = {
	.irqfd = fake_irqfd, .signal_msi = fake_signal, .spi_pulse = fake_pulse,
};

static struct msi_backend its_be = { .mode = MSI_MODE_ITS, .routes = &routes, .ops = &ops,
				     .opaque = &kvm };
static struct msi_backend v2m_be = { .mode = MSI_MODE_V2M, .v2m = &v2m, .ops = &ops,
				     .opaque = &kvm };

static void setup(void)
{
	memset(&kvm, 0, sizeof(kvm));
	cr_assert_eq(msi_routes_init(&routes, NR_SPIS, fake_push, &kvm), 0);
	gicv2m_init(&v2m, LAYOUT_GICV2M_BASE, LAYOUT_GICV2M_FIRST_SPI, LAYOUT_GICV2M_NR_SPIS,
		    NULL, NULL);
}

static void teardown(void)
{
	msi_routes_destroy(&routes);
}

TestSuite(msi, .init = setup, .fini = teardown);

Test(msi, mode_choice)
{
	cr_assert_eq(msi_mode_choose(3, true), MSI_MODE_ITS);
	cr_assert_eq(msi_mode_choose(3, false), MSI_MODE_INTX);
	cr_assert_eq(msi_mode_choose(2, false), MSI_MODE_V2M);
	cr_assert_eq(msi_mode_choose(2, true), MSI_MODE_V2M, "no ITS on a GICv2");
	cr_assert_eq(msi_mode_choose(0, false), MSI_MODE_INTX);
	cr_assert_str_eq(msi_mode_name(MSI_MODE_ITS), "ITS");
	cr_assert_str_eq(msi_mode_name(MSI_MODE_V2M), "GICv2m");
	cr_assert_str_eq(msi_mode_name(MSI_MODE_INTX), "INTx");
	cr_assert_not_null(strstr(msi_mode_describe(MSI_MODE_INTX), "INTx"));
}

Test(msi, its_vector_route_and_irqfd)
{
	struct msi_vector v;
	struct msix_msg msg = { .addr = ITS_DOORBELL, .data = 3 };

	msi_vector_init(&v, new_eventfd(), true, 0x18);
	/* Programmed but masked: a route, no irqfd. */
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, true), 0);
	cr_assert_eq(v.gsi, NR_SPIS);
	cr_assert_not(v.attached);
	cr_assert_eq(kvm.nr_routes, NR_SPIS + 1);
	/* Unmask: irqfd on the route's GSI. */
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, false), 0);
	cr_assert(v.attached);
	cr_assert(kvm.assigned[NR_SPIS]);
	/* New data while unmasked: route updated, irqfd left alone. */
	msg.data = 4;
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, false), 0);
	cr_assert_eq(kvm.assigns, 1);
	cr_assert_eq(kvm.deassigns, 0);
	cr_assert_eq(kvm.nr_routes, NR_SPIS + 1, "still one MSI route");
	/* Mask: irqfd detached; userspace delivery signals the MSI with the device ID. */
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, true), 0);
	cr_assert_not(kvm.assigned[NR_SPIS]);
	cr_assert_eq(msi_vector_deliver(&its_be, &v, msg), 0);
	cr_assert_eq(kvm.signals, 1);
	cr_assert_eq(kvm.last_signal.addr, ITS_DOORBELL);
	cr_assert_eq(kvm.last_signal.data, 4);
	cr_assert(kvm.last_signal.has_devid);
	cr_assert_eq(kvm.last_signal.devid, 0x18);
	msi_vector_release(&its_be, &v);
	cr_assert_eq(v.gsi, -1);
	cr_assert_eq(kvm.nr_routes, NR_SPIS, "defaults only");
}

/* vhost signals a masked vector: the count waits in the eventfd, is seen at unmask, and stays for KVM. */
Test(msi, signal_while_masked_waits_for_the_attach)
{
	struct msi_vector v;
	struct msix_msg msg = { .addr = ITS_DOORBELL, .data = 7 };
	uint64_t n = 0, three = 3;

	msi_vector_init(&v, new_eventfd(), true, 0x18);
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, true), 0);
	cr_assert_eq(write(v.fd, &three, sizeof(three)), sizeof(three), "three completions while masked");
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, false), 0);
	cr_assert(v.attached);
	cr_assert_eq(v.pending_at_attach, 1);
	cr_assert_eq(read(v.fd, &n, sizeof(n)), sizeof(n), "a signal left for kvm_irqfd_assign's poll");
	cr_assert_eq(n, 1, "one interrupt for the three: the driver scans its ring");
	/* Mask and unmask with nothing sent meanwhile: nothing counted. */
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, true), 0);
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, false), 0);
	cr_assert_eq(v.pending_at_attach, 1);
	msi_vector_release(&its_be, &v);
	close(v.fd);
}

Test(msi, its_vector_without_eventfd_never_attaches)
{
	struct msi_vector v;

	msi_vector_init(&v, -1, false, 0);
	cr_assert_eq(msi_vector_update(&its_be, &v, (struct msix_msg){ ITS_DOORBELL, 1 }, false), 0);
	cr_assert_not(v.attached);
	cr_assert_eq(kvm.assigns, 0);
}

Test(msi, irqfd_failure_reported)
{
	struct msi_vector v;

	msi_vector_init(&v, new_eventfd(), true, 0x18);
	kvm.fail_irqfd = true;
	cr_assert_eq(msi_vector_update(&its_be, &v, (struct msix_msg){ ITS_DOORBELL, 1 }, false), -1);
	cr_assert_not(v.attached);
	cr_assert_eq(msi_vector_irqfd(&v), -1, "vhost would signal an eventfd nobody reads");
}

static int refuse_push(void *opaque, const struct kvm_irq_routing *t)
{
	return -1;
}

/*
 * Which eventfd vhost may signal: the vector's only while KVM delivers what
 * it gets (now or at unmask). Otherwise -1, and vhost signals the relay.
 */
Test(msi, vector_irqfd_only_while_kvm_delivers)
{
	struct msi_vector v, w;
	struct msix_msg msg = { .addr = ITS_DOORBELL, .data = 3 };

	msi_vector_init(&v, new_eventfd(), true, 0x18);
	cr_assert_eq(msi_vector_irqfd(&v), -1, "never programmed");
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, true), 0);
	cr_assert_eq(msi_vector_irqfd(&v), v.fd, "masked with a route: KVM sends it at unmask");
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, false), 0);
	cr_assert_eq(msi_vector_irqfd(&v), v.fd);
	/* KVM refuses the new message: detached (the old route must not fire), no irqfd. */
	routes.push = refuse_push;
	msg.data = 4;
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, false), -1);
	cr_assert_not(v.attached, "the irqfd still sends the old message");
	cr_assert_eq(msi_vector_irqfd(&v), -1);
	/* Accepted again: back on the irqfd. */
	routes.push = fake_push;
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, false), 0);
	cr_assert(v.attached);
	cr_assert_eq(msi_vector_irqfd(&v), v.fd);
	/* A route KVM never took. */
	routes.push = refuse_push;
	msi_vector_init(&w, new_eventfd(), true, 0x18);
	cr_assert_eq(msi_vector_update(&its_be, &w, msg, true), -1);
	cr_assert_eq(msi_vector_irqfd(&w), -1);
	routes.push = fake_push;
	/* GICv2m: a message outside the frame has no irqfd, one inside has. */
	msi_vector_init(&w, new_eventfd(), false, 0);
	cr_assert_eq(msi_vector_update(&v2m_be, &w, (struct msix_msg){ V2M_DOORBELL, 33 }, false), 0);
	cr_assert_eq(msi_vector_irqfd(&w), -1, "a GICv2m message outside the frame");
	cr_assert_eq(msi_vector_update(&v2m_be, &w, (struct msix_msg){ V2M_DOORBELL, 96 }, false), 0);
	cr_assert_eq(msi_vector_irqfd(&w), w.fd);
	msi_vector_release(&v2m_be, &w);
	cr_assert_eq(msi_vector_irqfd(&w), -1);
}

/* What waits in a detached vector's eventfd is seen without being consumed, and can be dropped. */
Test(msi, signalled_and_discard)
{
	struct msi_vector v;
	struct msix_msg msg = { .addr = ITS_DOORBELL, .data = 3 };

	msi_vector_init(&v, new_eventfd(), true, 0x18);
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, true), 0);
	cr_assert_not(msi_vector_signalled(&v));
	eventfd_signal(v.fd);
	cr_assert(msi_vector_signalled(&v));
	cr_assert(msi_vector_signalled(&v), "looking consumed it");
	msi_vector_discard(&v);
	cr_assert_not(msi_vector_signalled(&v));
	cr_assert_eq(msi_vector_update(&its_be, &v, msg, false), 0);
	cr_assert_eq(v.pending_at_attach, 0, "a discarded signal reached the guest");
}

Test(msi, v2m_vector_follows_its_spi)
{
	struct msi_vector v;
	struct msix_msg msg = { .addr = V2M_DOORBELL, .data = 32 + 64 };

	msi_vector_init(&v, new_eventfd(), false, 0);
	cr_assert_eq(msi_vector_update(&v2m_be, &v, msg, false), 0);
	cr_assert_eq(v.gsi, 64, "GSI = SPI under the default routes");
	cr_assert(kvm.assigned[64]);
	cr_assert_eq(kvm.routing_pushes, 0, "v2m needs no routing change");
	/* The guest retargets the vector to another SPI. */
	msg.data = 32 + 70;
	cr_assert_eq(msi_vector_update(&v2m_be, &v, msg, false), 0);
	cr_assert_not(kvm.assigned[64]);
	cr_assert(kvm.assigned[70]);
	/* A message outside the frame: detached, nothing raised. */
	msg.data = 33;
	cr_assert_eq(msi_vector_update(&v2m_be, &v, msg, false), 0);
	cr_assert_not(kvm.assigned[70]);
	cr_assert_not(kvm.assigned[1], "the UART's SPI is never a target");
	cr_assert_eq(v.gsi, -1);
	cr_assert_eq(msi_vector_deliver(&v2m_be, &v, msg), -1);
	cr_assert_eq(kvm.pulses, 0);
	/* Back in range, masked: no irqfd; delivery pulses the SPI. */
	msg.data = 32 + 95;
	cr_assert_eq(msi_vector_update(&v2m_be, &v, msg, true), 0);
	cr_assert_not(v.attached);
	cr_assert_eq(msi_vector_deliver(&v2m_be, &v, msg), 0);
	cr_assert_eq(kvm.last_pulse, 95);
	msi_vector_release(&v2m_be, &v);
	cr_assert_eq(kvm.assigns, kvm.deassigns);
}

Test(msi, intx_mode_does_nothing)
{
	struct msi_backend be = { .mode = MSI_MODE_INTX, .ops = &ops, .opaque = &kvm };
	struct msi_vector v;

	msi_vector_init(&v, new_eventfd(), false, 0);
	cr_assert_eq(msi_vector_update(&be, &v, (struct msix_msg){ ITS_DOORBELL, 1 }, false), 0);
	cr_assert_eq(msi_vector_deliver(&be, &v, (struct msix_msg){ ITS_DOORBELL, 1 }), -1);
	cr_assert_eq(kvm.assigns + kvm.signals + kvm.pulses, 0);
}

/* What a transport does: MSI-X callbacks straight into the backend. */
struct glue {
	struct msi_vector vec[4];
	const struct msi_backend *be;
};

static void glue_changed(void *opaque, unsigned int v, struct msix_msg msg, bool masked)
{
	struct glue *g = opaque;

	msi_vector_update(g->be, &g->vec[v], msg, masked);
}

static void glue_deliver(void *opaque, unsigned int v, struct msix_msg msg)
{
	struct glue *g = opaque;

	msi_vector_deliver(g->be, &g->vec[v], msg);
}

static bool glue_pending(void *opaque, unsigned int v)
{
	struct glue *g = opaque;

	return msi_vector_signalled(&g->vec[v]);
}

static void glue_discard(void *opaque, unsigned int v)
{
	struct glue *g = opaque;

	msi_vector_discard(&g->vec[v]);
}

Test(msi, msix_table_drives_its_backend)
{
	static const struct msix_ops mops = { .vector_changed = glue_changed,
					      .deliver = glue_deliver };
	struct pci_config_ids ids = { .vendor = 0x1af4, .device = 0x1041 };
	struct pci_config cfg;
	struct msix mx;
	struct glue g = { .be = &its_be };
	uint32_t w;

	for (unsigned int i = 0; i < 4; i++)
		msi_vector_init(&g.vec[i], new_eventfd(), true, 0x18);
	pci_config_init(&cfg, &ids, NULL, NULL);
	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_MEM64, 0x10000, false), 0);
	cr_assert_eq(msix_init(&mx, &cfg, 4, 0, 0x1000, 0, 0x1800, &mops, &g), 0);
	/* Linux: enable with function mask, program entries, unmask. */
	pci_config_write(&cfg, mx.cap + MSIX_CAP_CTRL, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	w = (uint32_t)ITS_DOORBELL;
	msix_bar_access(&mx, 0, 0x1000 + 16 * 2, (uint8_t *)&w, 4, true);
	w = 2;
	msix_bar_access(&mx, 0, 0x1000 + 16 * 2 + 8, (uint8_t *)&w, 4, true);
	w = 0;
	msix_bar_access(&mx, 0, 0x1000 + 16 * 2 + 12, (uint8_t *)&w, 4, true);
	cr_assert_not(g.vec[2].attached, "function still masked");
	cr_assert_not(msix_fire(&mx, 2));
	pci_config_write(&cfg, mx.cap + MSIX_CAP_CTRL, 2, MSIX_CTRL_ENABLE);
	cr_assert(g.vec[2].attached);
	cr_assert(kvm.assigned[g.vec[2].gsi]);
	cr_assert_eq(kvm.signals, 1, "the pending vector went out at unmask");
	cr_assert_eq(kvm.last_signal.data, 2);
	cr_assert_eq(kvm.last_signal.devid, 0x18);
	cr_assert_eq(g.vec[0].gsi, -1, "never programmed nor unmasked: no route");
	cr_assert_eq(kvm.nr_routes, NR_SPIS + 1);
	msix_destroy(&mx);
}

static void glue_write(struct msix *mx, unsigned int v, unsigned int field, uint32_t w)
{
	msix_bar_access(mx, 0, 0x1000 + 16 * v + field, (uint8_t *)&w, 4, true);
}

/*
 * A reboot with vhost's interrupt waiting in a masked vector's eventfd: the
 * PBA shows it while the boot lasts, the power-on reset drops it, and the
 * next kernel's first unmask delivers nothing from the last boot.
 */
Test(msi, reboot_drops_vhost_signals_of_the_last_boot)
{
	static const struct msix_ops mops = {
		.vector_changed = glue_changed, .deliver = glue_deliver,
		.backend_pending = glue_pending, .discard_pending = glue_discard,
	};
	struct pci_config_ids ids = { .vendor = 0x1af4, .device = 0x1041 };
	struct pci_config cfg;
	struct msix mx;
	struct glue g = { .be = &its_be };
	uint64_t pba = 0, n = 0;

	for (unsigned int i = 0; i < 4; i++)
		msi_vector_init(&g.vec[i], new_eventfd(), true, 0x18);
	pci_config_init(&cfg, &ids, NULL, NULL);
	cr_assert_eq(pci_config_add_bar(&cfg, 0, PCI_BAR_MEM64, 0x10000, false), 0);
	cr_assert_eq(msix_init(&mx, &cfg, 4, 0, 0x1000, 0, 0x1800, &mops, &g), 0);
	pci_config_write(&cfg, mx.cap + MSIX_CAP_CTRL, 2, MSIX_CTRL_ENABLE);
	glue_write(&mx, 1, MSIX_ENTRY_ADDR_LO, (uint32_t)ITS_DOORBELL);
	glue_write(&mx, 1, MSIX_ENTRY_DATA, 1);
	glue_write(&mx, 1, MSIX_ENTRY_CTRL, 0);
	cr_assert(g.vec[1].attached);
	/* The guest masks vector 1; vhost completes a ring on it. */
	glue_write(&mx, 1, MSIX_ENTRY_CTRL, 1);
	eventfd_signal(g.vec[1].fd);
	cr_assert(msix_bar_access(&mx, 0, 0x1800, (uint8_t *)&pba, 8, false));
	cr_assert_eq(pba, 1U << 1, "the PBA never shows vhost's pending vector");
	/* Reboot. */
	msix_reset(&mx);
	cr_assert(msix_bar_access(&mx, 0, 0x1800, (uint8_t *)&pba, 8, false));
	cr_assert_eq(pba, 0);
	/* The next kernel programs and unmasks the same vector. */
	pci_config_write(&cfg, mx.cap + MSIX_CAP_CTRL, 2, MSIX_CTRL_ENABLE);
	glue_write(&mx, 1, MSIX_ENTRY_ADDR_LO, (uint32_t)ITS_DOORBELL);
	glue_write(&mx, 1, MSIX_ENTRY_DATA, 1);
	glue_write(&mx, 1, MSIX_ENTRY_CTRL, 0);
	cr_assert(g.vec[1].attached);
	cr_assert_eq(g.vec[1].pending_at_attach, 0, "the last boot's interrupt was re-sent");
	cr_assert_eq(read(g.vec[1].fd, &n, sizeof(n)), -1, "a signal left for KVM to inject");
	msix_destroy(&mx);
}
