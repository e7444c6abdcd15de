// SPDX-License-Identifier: MIT
/*
 * tinyvmm-msiprobe: the MSI backends against a real KVM (run in the
 * emulated ARM64 host: scripts/emuhost [--gic 2] --share build/arm64 --
 * ./tinyvmm-msiprobe). It sets up a VM the way tinyvmm does (vGIC, the vITS
 * on GICv3, one vCPU, finalize), then drives tinyvmm's own code:
 *   - msi_vector_update(): MSI route pushed (ITS) and the irqfd attached,
 *     detached on mask, attached again on unmask;
 *   - after every KVM_SET_GSI_ROUTING, an irqfd on SPI 16 (virtio-mmio's)
 *     still injects, i.e. the default SPI routes survived the push;
 *   - GICv2m: the vector's irqfd and msi_vector_deliver() make its SPI
 *     pending.
 * Pending state is read back from the distributor (GICD_ISPENDR) through
 * KVM_DEV_ARM_VGIC_GRP_DIST_REGS. Prints PASS/FAIL lines, exits 0 if all pass.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/pci/pci_host.h"
#include "vmm/arm64/gic.h"
#include "vmm/core/kvm.h"
#include "vmm/arm64/layout.h"
#include "vmm/core/msi_kvm.h"

#define GICD_ISPENDR	0x200
#define GICD_ICPENDR	0x280
#define GICD_ICFGR	0xc00
#define GITS_TRANSLATER	0x10040

static int failures;

static void check(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "PASS" : "FAIL", what);
	failures += !ok;
}

static int dist_reg(const struct gic *gic, uint32_t offset, uint32_t *value, bool set)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
		.attr = offset,
		.addr = (uint64_t)(uintptr_t)value,
	};

	return ioctl(gic->fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

/*
 * Make @intid edge-triggered and not pending. Userspace writes to ICPENDR
 * are ignored on GICv3, where an ISPENDR write sets the pending bits to
 * the value written; GICv2 clears through ICPENDR.
 */
static void prepare_edge(const struct gic *gic, unsigned int intid)
{
	uint32_t cfg = 0, bit = 1U << (intid % 32), pend = 0;

	dist_reg(gic, GICD_ICFGR + intid / 16 * 4, &cfg, false);
	cfg |= 2U << (2 * (intid % 16));
	dist_reg(gic, GICD_ICFGR + intid / 16 * 4, &cfg, true);
	dist_reg(gic, GICD_ICPENDR + intid / 32 * 4, &bit, true);
	if (gic->version == 3 && !dist_reg(gic, GICD_ISPENDR + intid / 32 * 4, &pend, false)) {
		pend &= ~bit;
		dist_reg(gic, GICD_ISPENDR + intid / 32 * 4, &pend, true);
	}
}

static bool pending(const struct gic *gic, unsigned int intid)
{
	uint32_t v = 0;

	if (dist_reg(gic, GICD_ISPENDR + intid / 32 * 4, &v, false))
		return false;
	return v & (1U << (intid % 32));
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		perror("msiprobe: eventfd write");
	usleep(20000);	/* irqfd injection runs in a kernel work item */
}

/* The SPI irqfd of virtio-mmio still works: the defaults were kept. */
static void check_spi_route(const struct gic *gic, int spi_fd, const char *when)
{
	char what[128];
	unsigned int intid = LAYOUT_SPI_BASE + LAYOUT_VIRTIO_FIRST_SPI;

	prepare_edge(gic, intid);
	snprintf(what, sizeof(what), "SPI %u not pending before its irqfd is signalled %s",
		 LAYOUT_VIRTIO_FIRST_SPI, when);
	check(!pending(gic, intid), what);
	signal_fd(spi_fd);
	snprintf(what, sizeof(what), "SPI %u irqfd injects %s", LAYOUT_VIRTIO_FIRST_SPI, when);
	check(pending(gic, intid), what);
}

static int setup_vm(struct kvm *kvm, struct gic *gic)
{
	struct tvm_error err = { 0 };
	struct kvm_vcpu_init init;
	int vcpu;

	if (kvm_open(kvm, &err) || kvm_create_vm(kvm, LAYOUT_RAM_BASE, 64ULL << 20, &err) ||
	    gic_create(kvm->vm_fd, GIC_AUTO, 1, board_get(BOARD_TINYVMM), gic, &err)) {
		tvm_print_error(&err);
		return -1;
	}
	if (gic->version == 3 && gic_its_create(gic, kvm->vm_fd, &err))
		tvm_print_error(&err);
	vcpu = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, 0UL);
	if (vcpu < 0 || ioctl(kvm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) ||
	    ioctl(vcpu, KVM_ARM_VCPU_INIT, &init)) {
		perror("msiprobe: vCPU");
		return -1;
	}
	if (gic_finalize(gic, &err)) {
		tvm_print_error(&err);
		return -1;
	}
	return 0;
}

static void probe_vector(const struct msi_backend *be, struct msi_vector *v, struct msix_msg msg,
			 const struct gic *gic, int spi_fd)
{
	check(msi_vector_update(be, v, msg, true) == 0 && !v->attached && v->gsi >= 0,
	      "masked vector: route/GSI set up, no irqfd");
	check_spi_route(gic, spi_fd, "after the vector's route push");
	check(msi_vector_update(be, v, msg, false) == 0 && v->attached, "unmask attaches the irqfd");
	check(msi_vector_update(be, v, msg, true) == 0 && !v->attached, "mask detaches it");
	check(msi_vector_update(be, v, msg, false) == 0 && v->attached, "unmask attaches it again");
}

static void probe_v2m(const struct msi_backend *be, struct msi_vector *v, const struct gic *gic)
{
	unsigned int intid = LAYOUT_SPI_BASE + LAYOUT_GICV2M_FIRST_SPI;
	struct msix_msg msg = { LAYOUT_GICV2M_BASE + GICV2M_MSI_SETSPI_NS, intid };

	prepare_edge(gic, intid);
	check(!pending(gic, intid), "GICv2m SPI not pending at first");
	signal_fd(v->fd);
	check(pending(gic, intid), "GICv2m vector irqfd makes its SPI pending");
	prepare_edge(gic, intid);
	check(msi_vector_deliver(be, v, msg) == 0 && pending(gic, intid),
	      "GICv2m userspace delivery (KVM_IRQ_LINE edge) makes it pending");
}

int main(void)
{
	struct kvm kvm = { .fd = -1, .vm_fd = -1 };
	struct gic gic = { .fd = -1, .its_fd = -1 };
	struct msi_routes routes;
	struct gicv2m v2m;
	struct msi_backend be;
	struct msi_vector v;
	struct msix_msg msg;
	struct tvm_error err = { 0 };
	enum msi_mode mode;
	bool devid;
	int spi_fd, vec_fd;

	if (setup_vm(&kvm, &gic))
		return 1;
	mode = msi_kvm_mode(&gic);
	devid = msi_kvm_has_devid(&kvm);
	printf("msiprobe: GICv%d, PCI interrupt mode %s, KVM_CAP_MSI_DEVID %s\n", gic.version,
	       msi_mode_name(mode), devid ? "yes" : "no");
	check(mode != MSI_MODE_INTX, "an MSI mode is available");
	spi_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vec_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (spi_fd < 0 || vec_fd < 0 || kvm_irqfd(&kvm, spi_fd, LAYOUT_VIRTIO_FIRST_SPI, &err) ||
	    msi_routes_init(&routes, LAYOUT_GIC_NR_SPIS, msi_kvm_set_routing, &kvm)) {
		perror("msiprobe: set-up");
		return 1;
	}
	check_spi_route(&gic, spi_fd, "before any routing push");
	gicv2m_init(&v2m, LAYOUT_GICV2M_BASE, LAYOUT_GICV2M_FIRST_SPI, LAYOUT_GICV2M_NR_SPIS,
		    NULL, NULL);
	be = (struct msi_backend){ .mode = mode, .routes = &routes, .v2m = &v2m,
				   .ops = &msi_kvm_ops, .opaque = &kvm };
	msi_vector_init(&v, vec_fd, devid, pci_host_requester_id(1));
	if (mode == MSI_MODE_ITS)
		msg = (struct msix_msg){ LAYOUT_GIC_ITS_BASE + GITS_TRANSLATER, 0 };
	else
		msg = (struct msix_msg){ LAYOUT_GICV2M_BASE + GICV2M_MSI_SETSPI_NS,
					 LAYOUT_SPI_BASE + LAYOUT_GICV2M_FIRST_SPI };
	if (mode != MSI_MODE_INTX)
		probe_vector(&be, &v, msg, &gic, spi_fd);
	if (mode == MSI_MODE_V2M)
		probe_v2m(&be, &v, &gic);
	if (mode == MSI_MODE_ITS) {
		/* No guest enabled the ITS, so KVM refuses or drops it; it must not crash. */
		int r = msi_vector_deliver(&be, &v, msg);

		printf("msiprobe: KVM_SIGNAL_MSI with no guest ITS set-up: %s\n",
		       r ? strerror(errno) : "accepted");
	}
	msi_vector_release(&be, &v);
	check(!v.attached && v.gsi < 0, "release detaches and drops the route");
	check_spi_route(&gic, spi_fd, "after the route was removed");
	msi_routes_destroy(&routes);
	gic_close(&gic);
	kvm_close(&kvm);
	printf("msiprobe: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
