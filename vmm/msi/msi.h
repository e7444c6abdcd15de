/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_MSI_H
#define TINYVMM_MSI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci/msix.h"
#include "vmm/arm64/gicv2m.h"
#include "vmm/msi/msi_routes.h"

/*
 * How a PCI function's interrupts reach the guest on this host:
 *   ITS   GICv3 with a KVM vITS: each MSI-X vector is an MSI route (with
 *         the requester ID as device ID) and an irqfd on its GSI.
 *   V2M   GICv2: tinyvmm's GICv2m frame; a vector's message names an SPI,
 *         and the vector is an irqfd on that SPI's GSI.
 *   INTX  neither (GICv3 without ITS): the legacy lines in interrupt-map.
 */
enum msi_mode {
	MSI_MODE_INTX,
	MSI_MODE_V2M,
	MSI_MODE_ITS,
};

enum msi_mode msi_mode_choose(int gic_version, bool its_available);
const char *msi_mode_name(enum msi_mode mode);	/* "ITS", "GICv2m", "INTx" */
/* One line for `tinyvmm check`: what PCI devices would use here. */
const char *msi_mode_describe(enum msi_mode mode);

/* The KVM side, a callback table so the logic is tested without KVM. */
struct msi_kvm_ops {
	int (*irqfd)(void *opaque, int fd, unsigned int gsi, bool assign);
	int (*signal_msi)(void *opaque, const struct msi_route_msg *msg);	/* KVM_SIGNAL_MSI */
	int (*spi_pulse)(void *opaque, unsigned int spi);			/* an edge on an SPI */
};

struct msi_backend {
	enum msi_mode mode;
	struct msi_routes *routes;	/* MSI_MODE_ITS */
	const struct gicv2m *v2m;	/* MSI_MODE_V2M */
	const struct msi_kvm_ops *ops;
	void *opaque;
};

/*
 * One MSI-X vector's delivery state. @fd is the eventfd the device (or
 * vhost, as its call fd) signals; while the vector is unmasked it is an
 * irqfd, so KVM injects without tinyvmm. Masking detaches it: signals then
 * accumulate in the eventfd, and KVM injects the pending one when the
 * irqfd is attached again at unmask (kvm_irqfd_assign checks the eventfd).
 */
struct msi_vector {
	int fd;			/* -1: no eventfd; deliveries via msi_vector_deliver only */
	int gsi;		/* -1: none yet */
	bool attached;		/* fd is a KVM irqfd on gsi */
	/*
	 * Atomic (read without the MSI-X lock): KVM took the vector's
	 * current message (route or SPI) and, if unmasked, its irqfd; what
	 * the eventfd gets reaches the guest. See msi_vector_irqfd().
	 */
	bool routed;
	bool has_devid;		/* ITS: KVM_CAP_MSI_DEVID */
	uint32_t devid;		/* the function's requester ID */
	/*
	 * Attaches that found signals waiting in the eventfd: what its
	 * signaller (vhost) sent while the vector was masked. Read only here:
	 * once attached, KVM consumes the count.
	 */
	unsigned long pending_at_attach;
};

void msi_vector_init(struct msi_vector *v, int fd, bool has_devid, uint32_t devid);

/*
 * @msg or @masked changed (struct msix_ops.vector_changed): update the
 * route and attach or detach the irqfd. -1 if KVM refused (the vector
 * keeps its previous route and irqfd state).
 */
int msi_vector_update(const struct msi_backend *b, struct msi_vector *v, struct msix_msg msg,
		      bool masked);

/*
 * The eventfd a signaller (vhost) may use for this vector: @v's fd when
 * KVM delivers what it gets (now, or at unmask), -1 when the message has
 * no route (KVM refused it, a GICv2m message outside the frame) or the
 * irqfd was refused: then the signaller must go through userspace
 * (msi_vector_deliver), or its interrupts would sit in an eventfd no one
 * reads. Any thread.
 */
int msi_vector_irqfd(const struct msi_vector *v);

/*
 * A signal waits in @v's eventfd, detached (vhost signalled the vector
 * while it was masked): KVM injects it at the next attach. Does not
 * consume it; never blocks.
 */
bool msi_vector_signalled(const struct msi_vector *v);

/* Drop a signal waiting in @v's eventfd (a power-on reset: not for the next boot). */
void msi_vector_discard(struct msi_vector *v);

/* Inject @msg once from userspace (struct msix_ops.deliver). */
int msi_vector_deliver(const struct msi_backend *b, struct msi_vector *v, struct msix_msg msg);

/* Detach and drop the route (device teardown). */
void msi_vector_release(const struct msi_backend *b, struct msi_vector *v);

#endif
