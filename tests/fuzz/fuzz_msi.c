// SPDX-License-Identifier: MIT
/*
 * MSI-X vectors onto KVM (vmm/msi/msi.c, msi_routes.c, GICv2m decoding)
 * under the real MSI-X table (devices/pci/msix.c), wired as
 * vmm/core/vm_pci.c wires them, with a fake KVM and real eventfds. The
 * guest writes messages and masks, the device fires, vhost signals the
 * eventfd it was given (the vector's, or the relay when the vector has no
 * irqfd), KVM refuses routes or irqfds, the guest reboots. Input:
 *
 *   u8 flags (bit 0: GICv2m, else ITS; bit 1: device IDs), u8 nvectors,
 *   u8 nops, nops x {u8 kind, u32 offset, u32 value}
 *
 * kind % 8: 0: table write (dword at offset), 1: table or PBA read,
 * 2: message control write (value), 3: the device fires vector offset,
 * 4: vhost signals vector offset's queue, 5: KVM refuses routes (value
 * bit 0) and irqfds (bit 1) from now on, 6: a reboot (msix_reset),
 * 7: the device's config vector fires, twice.
 *
 * Checked after every step: an irqfd is attached only to an unmasked,
 * routed vector; an unmasked vector vhost may signal has its irqfd; every
 * signal vhost sends to an unmasked vector reaches the guest (KVM's
 * injection or tinyvmm's message); the PBA shows only masked vectors; the
 * fake KVM never sees a double assign or a deassign of nothing; a reboot
 * leaves nothing of the last boot in any eventfd.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/pci/msix.h"
#include "fuzz_common.h"
#include "lib/util.h"
#include "vmm/arm64/layout.h"
#include "vmm/msi/msi.h"

#define NVEC_MAX	8
#define TABLE_OFF	0x0000
#define PBA_OFF		0x0800
#define NR_SPIS		LAYOUT_GIC_NR_SPIS
#define NR_GSIS		(NR_SPIS + MSI_ROUTES_MAX)

struct fake_kvm {
	int gsi_of[NVEC_MAX];		/* the GSI vector v's eventfd is an irqfd on, or -1 */
	bool refuse_routes, refuse_irqfds;
	unsigned long injected;		/* by irqfds */
	unsigned long sent;		/* by tinyvmm: KVM_SIGNAL_MSI or an SPI edge */
};

static struct fake_kvm kvm;
static struct msi_vector vec[NVEC_MAX];
static int fds[NVEC_MAX];
static struct msi_routes routes;
static struct gicv2m v2m;
static struct msi_backend backend;
static struct pci_config cfg;
static struct msix mx;

/* What the guest receives when an irqfd's eventfd has a count (kvm_irqfd_assign polls it too). */
static void kvm_consume(int fd)
{
	if (eventfd_drain(fd))
		kvm.injected++;
}

static unsigned int index_of(int fd)
{
	for (unsigned int v = 0; v < NVEC_MAX; v++)
		if (fds[v] == fd)
			return v;
	FZ_CHECK(!"an eventfd that is no vector's");
	return 0;
}

/* KVM keys irqfds by eventfd: one eventfd on two GSIs, or twice, is EBUSY. */
static int fake_irqfd(void *opaque, int fd, unsigned int gsi, bool assign)
{
	unsigned int v = index_of(fd);

	FZ_CHECK(gsi < NR_GSIS);
	if (kvm.refuse_irqfds && assign)
		return -1;
	if (assign) {
		FZ_CHECK(kvm.gsi_of[v] < 0);
		kvm.gsi_of[v] = (int)gsi;
		kvm_consume(fd);
	} else {
		FZ_CHECK(kvm.gsi_of[v] == (int)gsi);	/* KVM: nothing to deassign */
		kvm.gsi_of[v] = -1;
	}
	return 0;
}

static int fake_signal_msi(void *opaque, const struct msi_route_msg *m)
{
	kvm.sent++;
	return 0;
}

static int fake_spi_pulse(void *opaque, unsigned int spi)
{
	FZ_CHECK(spi >= LAYOUT_GICV2M_FIRST_SPI &&
		 spi < LAYOUT_GICV2M_FIRST_SPI + LAYOUT_GICV2M_NR_SPIS);
	kvm.sent++;
	return 0;
}

static int fake_push(void *opaque, const struct kvm_irq_routing *t)
{
	FZ_CHECK(t->nr >= NR_SPIS && t->nr <= NR_GSIS);
	return kvm.refuse_routes ? -1 : 0;
}

static const struct msi_kvm_ops kvm_ops = {
	.irqfd = fake_irqfd, .signal_msi = fake_signal_msi, .spi_pulse = fake_spi_pulse,
};

/* vm_pci.c's msix_ops. */
static void on_vector_changed(void *opaque, unsigned int v, struct msix_msg msg, bool masked)
{
	FZ_CHECK(v < mx.nvectors);
	msi_vector_update(&backend, &vec[v], msg, masked);
}

static void on_deliver(void *opaque, unsigned int v, struct msix_msg msg)
{
	FZ_CHECK(v < mx.nvectors);
	if (vec[v].attached && eventfd_signal(vec[v].fd)) {
		kvm_consume(vec[v].fd);
		return;
	}
	msi_vector_deliver(&backend, &vec[v], msg);
}

static bool on_backend_pending(void *opaque, unsigned int v)
{
	return msi_vector_signalled(&vec[v]);
}

static void on_discard(void *opaque, unsigned int v)
{
	msi_vector_discard(&vec[v]);
}

static const struct msix_ops mops = {
	.vector_changed = on_vector_changed, .deliver = on_deliver,
	.backend_pending = on_backend_pending, .discard_pending = on_discard,
};

static bool masked_now(unsigned int v)
{
	return !mx.enabled || mx.function_masked || (mx.table[v].ctrl & MSIX_ENTRY_MASKED);
}

static void setup(uint8_t flags, unsigned int nvectors)
{
	struct pci_config_ids ids = { .vendor = 0x1af4, .device = 0x1041 };

	memset(&kvm, 0, sizeof(kvm));
	for (unsigned int v = 0; v < NVEC_MAX; v++)
		kvm.gsi_of[v] = -1;
	FZ_CHECK(!msi_routes_init(&routes, NR_SPIS, fake_push, NULL));
	gicv2m_init(&v2m, LAYOUT_GICV2M_BASE, LAYOUT_GICV2M_FIRST_SPI, LAYOUT_GICV2M_NR_SPIS,
		    NULL, NULL);
	backend = (struct msi_backend){ .mode = flags & 1 ? MSI_MODE_V2M : MSI_MODE_ITS,
					.routes = &routes, .v2m = &v2m, .ops = &kvm_ops };
	for (unsigned int v = 0; v < NVEC_MAX; v++) {
		if (!fds[v])
			fds[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		FZ_CHECK(fds[v] > 0);
		eventfd_drain(fds[v]);
		msi_vector_init(&vec[v], fds[v], flags & 2, 0x08);
	}
	pci_config_init(&cfg, &ids, NULL, NULL);
	FZ_CHECK(!pci_config_add_bar(&cfg, 1, PCI_BAR_MEM32, 0x10000, false));
	FZ_CHECK(!msix_init(&mx, &cfg, nvectors, 1, TABLE_OFF, 1, PBA_OFF, &mops, NULL));
}

static void teardown(void)
{
	for (unsigned int v = 0; v < mx.nvectors; v++) {
		kvm.refuse_routes = kvm.refuse_irqfds = false;
		msi_vector_release(&backend, &vec[v]);
		FZ_CHECK(!vec[v].attached && vec[v].gsi < 0);
	}
	for (unsigned int v = 0; v < NVEC_MAX; v++)
		FZ_CHECK(kvm.gsi_of[v] < 0);		/* no irqfd leaked */
	msix_destroy(&mx);
	pci_config_destroy(&cfg);
	msi_routes_destroy(&routes);
}

/*
 * vhost completes a ring of a queue on vector @v: it signals the vector's
 * eventfd if vm_pci gave it that (msi_vector_irqfd), else the relay, which
 * ends in msix_fire. An unmasked vector's interrupt must reach the guest.
 */
static void vhost_signal(unsigned int v)
{
	unsigned long before = kvm.injected + kvm.sent + mx.delivered;
	bool masked = masked_now(v);
	int fd = msi_vector_irqfd(&vec[v]);

	if (fd >= 0) {
		FZ_CHECK(fd == vec[v].fd);
		eventfd_signal(fd);
		if (vec[v].attached)
			kvm_consume(fd);
	} else {
		msix_fire(&mx, v);
	}
	if (!masked)
		FZ_CHECK(kvm.injected + kvm.sent + mx.delivered > before);
}

static void check_state(void)
{
	for (unsigned int v = 0; v < mx.nvectors; v++) {
		const struct msi_vector *m = &vec[v];
		bool masked = masked_now(v);

		FZ_CHECK(!m->attached || (!masked && m->gsi >= 0 && kvm.gsi_of[v] == m->gsi));
		FZ_CHECK(m->attached || kvm.gsi_of[v] < 0);
		FZ_CHECK(msi_vector_irqfd(m) < 0 || m->gsi >= 0);
		/* vhost may signal it and it is unmasked: KVM must be listening. */
		FZ_CHECK(masked || msi_vector_irqfd(m) < 0 || m->attached);
		FZ_CHECK(!msix_vector_info(&mx, v).pending || masked);
	}
}

static void reboot(void)
{
	uint64_t pba = 0;

	msix_reset(&mx);
	for (unsigned int v = 0; v < mx.nvectors; v++) {
		FZ_CHECK(!vec[v].attached);
		FZ_CHECK(!msi_vector_signalled(&vec[v]));	/* nothing for the next boot */
	}
	msix_bar_access(&mx, 1, PBA_OFF, (uint8_t *)&pba, 8, false);
	FZ_CHECK(pba == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags = fz_u8(&f);
	unsigned int nvectors = fz_u8(&f) % NVEC_MAX + 1, nops = fz_u8(&f);

	setup(flags, nvectors);
	for (unsigned int i = 0; i < nops && f.n; i++) {
		uint8_t kind = fz_u8(&f), buf[8];
		uint32_t offset = fz_u32(&f), value = fz_u32(&f);

		memcpy(buf, &value, 4);
		memcpy(buf + 4, &value, 4);
		switch (kind % 8) {
		case 0:
			msix_bar_access(&mx, 1, TABLE_OFF + (offset % (16 * nvectors) & ~3U), buf, 4,
					true);
			break;
		case 1:
			msix_bar_access(&mx, 1, offset % 0x1000, buf, kind & 8 ? 8 : 4, false);
			break;
		case 2:
			pci_config_write(&cfg, mx.cap + MSIX_CAP_CTRL, 2, value);
			break;
		case 3:
			msix_fire(&mx, offset % nvectors);
			break;
		case 4:
			vhost_signal(offset % nvectors);
			break;
		case 5:
			kvm.refuse_routes = value & 1;
			kvm.refuse_irqfds = value & 2;
			break;
		case 6:
			reboot();
			break;
		default:
			msix_fire(&mx, 0);
			msix_fire(&mx, 0);
			break;
		}
		check_state();
	}
	teardown();
	return 0;
}
