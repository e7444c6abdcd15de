// SPDX-License-Identifier: MIT
/*
 * MSI-X vectors onto KVM: which mechanism this host gets, and per vector
 * the route plus irqfd bookkeeping. The ioctls are behind struct
 * msi_kvm_ops (vmm/core/msi_kvm.c on arm64).
 */
#include "vmm/msi/msi.h"

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "lib/util.h"

enum msi_mode msi_mode_choose(int gic_version, bool its_available)
{
	if (gic_version == 3 && its_available)
		return MSI_MODE_ITS;
	/* Linux drives a v2m frame only from its GICv2 driver. */
	if (gic_version == 2)
		return MSI_MODE_V2M;
	return MSI_MODE_INTX;
}

const char *msi_mode_name(enum msi_mode mode)
{
	switch (mode) {
	case MSI_MODE_ITS: return "ITS";
	case MSI_MODE_V2M: return "GICv2m";
	default: return "INTx";
	}
}

const char *msi_mode_describe(enum msi_mode mode)
{
	switch (mode) {
	case MSI_MODE_ITS:
		return "MSI-X through the in-kernel vITS, one irqfd per vector";
	case MSI_MODE_V2M:
		return "MSI-X through tinyvmm's GICv2m frame, one SPI irqfd per vector";
	default:
		return "legacy INTx lines only (no vITS on this GICv3 host): one interrupt per device";
	}
}

void msi_vector_init(struct msi_vector *v, int fd, bool has_devid, uint32_t devid)
{
	*v = (struct msi_vector){ .fd = fd, .gsi = -1, .has_devid = has_devid, .devid = devid };
}

static struct msi_route_msg route_msg(const struct msi_vector *v, struct msix_msg msg)
{
	return (struct msi_route_msg){ .addr = msg.addr, .data = msg.data,
				       .has_devid = v->has_devid, .devid = v->devid };
}

/*
 * Before attaching: count a signal that waits in the eventfd, and put one
 * back, which KVM injects at once (kvm_irqfd_assign polls the eventfd).
 */
static void note_pending(struct msi_vector *v)
{
	if (!eventfd_drain(v->fd))
		return;	/* nonblocking eventfd: nothing waiting */
	v->pending_at_attach++;
	eventfd_signal(v->fd);	/* cannot fail: the count was just read to 0 */
}

static int set_attached(const struct msi_backend *b, struct msi_vector *v, bool on)
{
	if (v->attached == on)
		return 0;
	if (on)
		note_pending(v);
	if (b->ops->irqfd(b->opaque, v->fd, (unsigned int)v->gsi, on))
		return -1;
	v->attached = on;
	return 0;
}

static int update_its(const struct msi_backend *b, struct msi_vector *v, struct msix_msg msg,
		      bool masked)
{
	struct msi_route_msg m = route_msg(v, msg);

	if (v->gsi < 0)
		v->gsi = msi_routes_add(b->routes, &m);
	else if (msi_routes_set(b->routes, (unsigned int)v->gsi, &m))
		return -1;
	if (v->gsi < 0)
		return -1;
	/* An attached irqfd follows a route change by itself. */
	return set_attached(b, v, !masked && v->fd >= 0);
}

static int update_v2m(const struct msi_backend *b, struct msi_vector *v, struct msix_msg msg,
		      bool masked)
{
	unsigned int spi;
	int gsi = gicv2m_msi_spi(b->v2m, msg.addr, msg.data, &spi) ? (int)spi : -1;

	/* Default routing: GSI n is SPI n. */
	if (v->attached && (masked || gsi != v->gsi) && set_attached(b, v, false))
		return -1;
	v->gsi = gsi;
	if (gsi < 0)
		return 0;	/* a message we cannot deliver: the guest broke its device */
	return set_attached(b, v, !masked && v->fd >= 0);
}

int msi_vector_update(const struct msi_backend *b, struct msi_vector *v, struct msix_msg msg,
		      bool masked)
{
	int ret;

	switch (b->mode) {
	case MSI_MODE_ITS: ret = update_its(b, v, msg, masked); break;
	case MSI_MODE_V2M: ret = update_v2m(b, v, msg, masked); break;
	default: return 0;
	}
	/*
	 * Refused: an irqfd left attached would send the old message; detach
	 * it so the eventfd's signals go nowhere until the signaller moves.
	 */
	if (ret && v->attached)
		set_attached(b, v, false);
	__atomic_store_n(&v->routed, !ret && v->gsi >= 0 && v->fd >= 0, __ATOMIC_RELAXED);
	return ret;
}

int msi_vector_irqfd(const struct msi_vector *v)
{
	return __atomic_load_n(&v->routed, __ATOMIC_RELAXED) ? v->fd : -1;
}

bool msi_vector_signalled(const struct msi_vector *v)
{
	struct pollfd pfd = { .fd = v->fd, .events = POLLIN };

	if (v->fd < 0 || v->attached)
		return false;	/* attached: KVM consumes every signal at once */
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

void msi_vector_discard(struct msi_vector *v)
{
	if (v->fd >= 0 && !v->attached)
		eventfd_drain(v->fd);
}

int msi_vector_deliver(const struct msi_backend *b, struct msi_vector *v, struct msix_msg msg)
{
	struct msi_route_msg m = route_msg(v, msg);
	unsigned int spi;

	if (b->mode == MSI_MODE_ITS)
		return b->ops->signal_msi(b->opaque, &m);
	if (b->mode == MSI_MODE_V2M && gicv2m_msi_spi(b->v2m, msg.addr, msg.data, &spi))
		return b->ops->spi_pulse(b->opaque, spi);
	return -1;
}

void msi_vector_release(const struct msi_backend *b, struct msi_vector *v)
{
	__atomic_store_n(&v->routed, false, __ATOMIC_RELAXED);
	set_attached(b, v, false);
	if (b->mode == MSI_MODE_ITS && v->gsi >= 0)
		msi_routes_remove(b->routes, (unsigned int)v->gsi);
	v->gsi = -1;
}
