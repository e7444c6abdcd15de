// SPDX-License-Identifier: MIT
/*
 * virtio-net on virtio-pci (--transport pci). Each MSI-X vector has an
 * eventfd that is a KVM irqfd while the vector is unmasked (vmm/msi/msi.c);
 * a message the device sends goes out by writing that eventfd, or, if the
 * vector has no irqfd (KVM refused the route), through KVM_SIGNAL_MSI or an
 * SPI edge. vhost signals a vector's eventfd only while it has an irqfd
 * route; otherwise its rings signal the relay, which ends up here too. Queue notifications complete in KVM: an ioeventfd per queue on
 * its notification address, moved with BAR 0.
 */
#include "vmm/core/vm_pci.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/pci/pci_host.h"
#include "devices/virtio/virtio_pci.h"
#include "vmm/arm64/gicv2m.h"
#include "vmm/arm64/layout.h"
#include "vmm/core/json.h"
#include "vmm/core/msi_kvm.h"
#include "vmm/core/vm_internal.h"

#define NET_PCI_SLOT		1
#define PCI_CLASS_NET_ETHERNET	0x020000

struct vm_pci {
	enum msi_mode mode;
	bool has_devid;
	struct pci_host host;
	bool host_ready;
	struct gicv2m v2m;
	struct msi_routes routes;
	bool routes_ready;
	struct msi_backend backend;
	struct virtio_pci net;
	bool net_ready;
	unsigned int nvectors;
	struct msi_vector vectors[MSIX_MAX_VECTORS];
	unsigned long intx_raised;	/* atomic */
	unsigned long sent[MSIX_MAX_VECTORS];	/* per vector, messages tinyvmm sent (MSI-X lock) */
	uint64_t notify_base;		/* BAR 0 where the queue ioeventfds are; 0: none */
	bool irqfds_moved;		/* atomic: a vector's msi_vector_irqfd() changed */
	struct tvm_ratelimit route_msgs;	/* the guest chooses its messages (MSI-X lock) */
};

static struct vm_pci *pci_of(const struct vm *vm)
{
	return vm->pci;
}

int vm_pci_prepare(struct vm *vm, struct tvm_error *err)
{
	struct tvm_error its_err;
	struct vm_pci *p = calloc(1, sizeof(*p));

	if (!p)
		return tvm_fail(err, TVM_EXIT_ERROR, "out of memory for PCI");
	p->route_msgs = (struct tvm_ratelimit)TVM_RATELIMIT_INIT(8, 60);
	vm->pci = p;
	if (vm->gic.version == 3 && gic_its_create(&vm->gic, vm->kvm.vm_fd, &its_err))
		tvm_warn("%s", its_err.msg);
	p->mode = msi_kvm_mode(&vm->gic);
	p->has_devid = p->mode == MSI_MODE_ITS && msi_kvm_has_devid(&vm->kvm);
	return 0;
}

enum msi_mode vm_pci_msi_mode(const struct vm *vm)
{
	return pci_of(vm)->mode;
}

void vm_pci_describe(const struct vm *vm, char *buf, size_t size)
{
	const struct vm_pci *p = pci_of(vm);

	if (p->mode == MSI_MODE_INTX || !p->nvectors)
		snprintf(buf, size, "virtio-pci, INTx (no MSI controller on this host)");
	else
		snprintf(buf, size, "virtio-pci, MSI-X via %s (%u vectors)", msi_mode_name(p->mode),
			 p->nvectors);
}

static bool has_mmio64(const struct vm *vm)
{
	return vm->mem.gpa_base + vm->mem.size <= vm->board->pci_mmio64.base &&
	       layout_pci_mmio64_usable(vm->mem.gpa_base + vm->mem.size, vm->kvm.ipa_bits);
}

void vm_pci_fdt(const struct vm *vm, struct fdt_pci *pci)
{
	const struct board *b = vm->board;
	enum msi_mode mode = pci_of(vm)->mode;
	const struct fdt_region *msi = mode == MSI_MODE_ITS ? &b->gic_its : &b->gicv2m;

	*pci = (struct fdt_pci){
		.ecam_base = b->pci_ecam.base, .ecam_size = b->pci_ecam.size,
		.mmio32_base = b->pci_mmio32.base, .mmio32_size = b->pci_mmio32.size,
		.msi = mode == MSI_MODE_ITS ? FDT_MSI_ITS : mode == MSI_MODE_V2M ? FDT_MSI_V2M
										  : FDT_MSI_NONE,
		.msi_base = msi->base,
		.msi_size = msi->size,
		.intx_first_spi = b->pci_intx_first_spi,
		.node_name = b->pci_node,
		/* QEMU's names for the MSI frames, on the boards that copy its host node. */
		.msi_node_name = !b->pci_node ? NULL : mode == MSI_MODE_ITS ? "its" : "v2m",
	};
	if (has_mmio64(vm)) {
		pci->mmio64_base = b->pci_mmio64.base;
		pci->mmio64_size = b->pci_mmio64.size;
	}
}

/*
 * struct msix_ops, under the MSI-X lock. A vector that loses its irqfd
 * (KVM refused the message, or a GICv2m message outside the frame) must
 * not keep vhost signalling its eventfd: settled() moves vhost to the
 * relay, whose interrupts go out through deliver() below.
 */
static void vector_changed(void *opaque, unsigned int v, struct msix_msg msg, bool masked)
{
	struct vm_pci *p = opaque;
	struct msi_vector *vec = &p->vectors[v];
	int before = msi_vector_irqfd(vec);

	if (msi_vector_update(&p->backend, vec, msg, masked) && tvm_ratelimit(&p->route_msgs))
		tvm_warn("PCI: MSI-X vector %u could not be routed (KVM refused it); its interrupts go through tinyvmm",
			 v);
	if (msi_vector_irqfd(vec) != before)
		__atomic_store_n(&p->irqfds_moved, true, __ATOMIC_RELAXED);
}

/* After a guest's MSI-X write, no MSI-X lock: vhost follows the vectors' irqfds. */
static void settled(void *opaque)
{
	struct vm_pci *p = opaque;

	if (__atomic_exchange_n(&p->irqfds_moved, false, __ATOMIC_RELAXED))
		virtio_pci_msix_toggled(&p->net);
}

/* The PBA shows what vhost sent a masked vector (waiting in its eventfd). */
static bool backend_pending(void *opaque, unsigned int v)
{
	struct vm_pci *p = opaque;

	return msi_vector_signalled(&p->vectors[v]);
}

/* A power-on reset: vhost's signals to the last boot's vectors are dropped. */
static void discard_pending(void *opaque, unsigned int v)
{
	struct vm_pci *p = opaque;

	msi_vector_discard(&p->vectors[v]);
}

static void deliver(void *opaque, unsigned int v, struct msix_msg msg)
{
	struct vm_pci *p = opaque;
	struct msi_vector *vec = &p->vectors[v];

	p->sent[v]++;
	if (vec->attached && eventfd_signal(vec->fd))
		return;
	msi_vector_deliver(&p->backend, vec, msg);
}

/* MSI-X on or off: vhost's call fds move between the vectors and the relay. */
static void enable_changed(void *opaque, bool enabled)
{
	struct vm_pci *p = opaque;

	virtio_pci_msix_toggled(&p->net);
}

static const struct msix_ops vm_msix_ops = {
	.vector_changed = vector_changed, .deliver = deliver, .enable_changed = enable_changed,
	.settled = settled, .backend_pending = backend_pending, .discard_pending = discard_pending,
};

/* Vector @v's eventfd, which vhost may signal directly (when it is a KVM irqfd). */
static int vector_fd(void *opaque, unsigned int v)
{
	struct vm_pci *p = opaque;

	return v < p->nvectors ? msi_vector_irqfd(&p->vectors[v]) : -1;
}

/* INTA of our slot, after the interrupt-map swizzle (pin 1: line = slot % 4). */
static void set_intx(void *opaque, bool level)
{
	struct vm *vm = opaque;
	unsigned int spi = vm->board->pci_intx_first_spi + NET_PCI_SLOT % LAYOUT_PCI_INTX_LINES;

	if (level)
		__atomic_add_fetch(&vm->pci->intx_raised, 1, __ATOMIC_RELAXED);
	kvm_irq_line(&vm->kvm, LAYOUT_SPI_BASE + spi, level);
}

/* The eventfd a notification of queue @q wakes: the same as virtio-mmio's ioeventfds. */
static int kick_fd(const struct virtio_net *net, unsigned int q)
{
	return q < 2 * net->npairs ? net->pairs[q / 2].kick_fd[q % 2] : net->ctrl_kick_fd;
}

/* 2-byte writes (Linux's vp_notify() writes the queue index) at @addr signal @fd. */
static int notify_ioeventfd(struct vm *vm, uint64_t addr, int fd, bool assign)
{
	struct kvm_ioeventfd req = {
		.addr = addr, .len = 2, .fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(vm->kvm.vm_fd, KVM_IOEVENTFD, &req);
}

/* Step 9 of the vhost-net map (vhost/vhost_net.c) on virtio-pci. */
static void set_notify_base(struct vm *vm, uint64_t base)
{
	struct vm_pci *p = vm->pci;
	unsigned int nq = vm->net->vdev.nqueues;

	for (unsigned int q = 0; p->notify_base && q < nq; q++)
		notify_ioeventfd(vm, p->notify_base + VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q,
				 kick_fd(vm->net, q), false);
	p->notify_base = 0;
	for (unsigned int q = 0; base && q < nq; q++) {
		if (notify_ioeventfd(vm, base + VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q,
				     kick_fd(vm->net, q), true)) {
			/* Those registered stay until the next move; the rest trap. */
			tvm_warn("PCI: no ioeventfd for queue %u's notifications: %s", q,
				 strerror(errno));
			break;
		}
		p->notify_base = base;
	}
}

/*
 * BAR 0 moved or decoding flipped (vCPU thread, bus lock held): notifications
 * complete in KVM wherever BAR 0 decodes inside the 32-bit window, else trap.
 */
static void bars_changed(struct vm *vm)
{
	struct vm_pci *p = vm->pci;
	const struct fdt_region *win = &vm->board->pci_mmio32;
	uint64_t base = p->net.cfg.bars[VIRTIO_PCI_BAR].addr;

	if (!pci_config_memory_enabled(&p->net.cfg) || base < win->base ||
	    base - win->base > win->size - VIRTIO_PCI_BAR_SIZE)
		base = 0;
	if (base != p->notify_base)
		set_notify_base(vm, base);
}

static void on_bar_moved(void *opaque, unsigned int bar, uint64_t old_addr, uint64_t new_addr)
{
	if (bar == VIRTIO_PCI_BAR)
		bars_changed(opaque);
}

static void on_decode_changed(void *opaque, bool memory_enabled)
{
	bars_changed(opaque);
}

static const struct pci_config_ops vm_pci_config_ops = {
	.bar_moved = on_bar_moved,
	.decode_changed = on_decode_changed,
};

static void v2m_raise(void *opaque, unsigned int spi)
{
	struct vm *vm = opaque;

	kvm_irq_line(&vm->kvm, LAYOUT_SPI_BASE + spi, true);
	kvm_irq_line(&vm->kvm, LAYOUT_SPI_BASE + spi, false);
}

/* @n vectors, each with its eventfd; p->nvectors counts those made so far. */
static int add_vectors(struct vm_pci *p, unsigned int n, struct tvm_error *err)
{
	for (unsigned int v = 0; v < n; v++) {
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		if (fd < 0)
			return tvm_fail(err, TVM_EXIT_ERROR, "cannot create an eventfd: %s",
					strerror(errno));
		msi_vector_init(&p->vectors[v], fd, p->has_devid,
				pci_host_requester_id(NET_PCI_SLOT));
		p->nvectors = v + 1;
	}
	return 0;
}

static int add_msi_backend(struct vm *vm, struct vm_pci *p, struct tvm_error *err)
{
	p->backend = (struct msi_backend){ .mode = p->mode, .ops = &msi_kvm_ops,
					   .opaque = &vm->kvm };
	if (p->mode == MSI_MODE_ITS) {
		if (msi_routes_init(&p->routes, LAYOUT_GIC_NR_SPIS, msi_kvm_set_routing, &vm->kvm))
			return tvm_fail(err, TVM_EXIT_ERROR, "out of memory for MSI routes");
		p->routes_ready = true;
		p->backend.routes = &p->routes;
	} else if (p->mode == MSI_MODE_V2M) {
		gicv2m_init(&p->v2m, vm->board->gicv2m.base, vm->board->gicv2m_first_spi,
			    vm->board->gicv2m_nr_spis, v2m_raise, vm);
		if (mmio_bus_register(&vm->bus, vm->board->gicv2m.base, vm->board->gicv2m.size,
				      gicv2m_access, &p->v2m, "gicv2m"))
			return tvm_fail(err, TVM_EXIT_ERROR, "cannot register the GICv2m frame");
		p->backend.v2m = &p->v2m;
	}
	return 0;
}

int vm_pci_add_net(struct vm *vm, struct tvm_error *err)
{
	struct vm_pci *p = pci_of(vm);
	struct virtio_dev *vdev = &vm->net->vdev;
	/* A vector per queue and one for config changes, when MSIs can be delivered. */
	unsigned int n = p->mode == MSI_MODE_INTX ? 0 : vdev->nqueues + 1;

	if (n > MSIX_MAX_VECTORS)
		n = MSIX_MAX_VECTORS;
	if (add_msi_backend(vm, p, err) || add_vectors(p, n, err))
		return -1;
	if (virtio_pci_init(&p->net, vdev, PCI_CLASS_NET_ETHERNET, p->nvectors, &vm_msix_ops, p))
		return tvm_fail(err, TVM_EXIT_ERROR, "cannot set up the virtio-pci function");
	p->net_ready = true;
	p->net.set_intx = set_intx;
	p->net.intx_opaque = vm;
	p->net.vector_fd = vector_fd;
	p->net.vector_fd_opaque = p;
	virtio_pci_set_config_ops(&p->net, &vm_pci_config_ops, vm);
	pci_host_init(&p->host, vm->board->pci_ecam.base, vm->board->pci_mmio32.base,
		      vm->board->pci_mmio32.size, has_mmio64(vm) ? vm->board->pci_mmio64.base : 0,
		      has_mmio64(vm) ? vm->board->pci_mmio64.size : 0);
	p->host_ready = true;
	if (pci_host_add(&p->host, NET_PCI_SLOT, &p->net.cfg, virtio_pci_bar_access, &p->net) ||
	    pci_host_register(&p->host, &vm->bus))
		return tvm_fail(err, TVM_EXIT_ERROR, "cannot register the PCI host bridge");
	return 0;
}

/* At exit, before the device goes: how the guest's interrupts went. */
void vm_pci_report(const struct vm *vm)
{
	const struct vm_pci *p = pci_of(vm);

	if (!p || !p->net_ready || vm->cfg->quiet)
		return;
	/* MSI-X as wanted, or the INTx fallback; vhost's own messages bypass tinyvmm. */
	fprintf(stderr, "tinyvmm: virtio-pci: MSI-X %s, %lu MSI-X messages (%lu fired while masked), %lu INTx assertions; vhost rings started on their vector's irqfd: %llu (moved live: %llu)\n",
		p->net.has_msix ? "offered" : "not offered", p->net.msix.delivered,
		p->net.msix.pended, p->intx_raised,
		vm->net ? (unsigned long long)vm->net->irqfd_direct_starts : 0ULL,
		vm->net ? (unsigned long long)vm->net->irqfd_moves : 0ULL);
}

static void write_vector_json(struct json *j, const struct vm_pci *p, unsigned int v)
{
	json_begin_object(j, NULL);
	json_u64(j, "vector", v);
	json_begin_array(j, "queues");
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (p->net.queue_vector_at_ready[q] == v)
			json_u64(j, NULL, q);
	json_end_array(j);
	json_bool(j, "config", p->net.config_vector_at_ready == v);
	json_u64(j, "messages_by_tinyvmm", p->sent[v]);
	json_u64(j, "fired_while_masked", p->net.msix.pended_vec[v]);
	json_u64(j, "eventfd_pending_at_unmask", p->vectors[v].pending_at_attach);
	json_end_object(j);
}

void vm_pci_write_json(struct json *j, const struct vm *vm)
{
	const struct vm_pci *p = pci_of(vm);

	if (!p || !p->net_ready) {
		json_null(j, "pci");
		return;
	}
	json_begin_object(j, "pci");
	json_string(j, "msi", msi_mode_name(p->mode));
	json_bool(j, "msix_offered", p->net.has_msix);
	json_u64(j, "messages_by_tinyvmm", p->net.msix.delivered);
	json_u64(j, "fired_while_masked", p->net.msix.pended);
	json_u64(j, "intx_assertions", p->intx_raised);
	json_u64(j, "vhost_rings_on_vector_irqfds", vm->net ? vm->net->irqfd_direct_starts : 0);
	json_u64(j, "vhost_irqfd_moves", vm->net ? vm->net->irqfd_moves : 0);
	json_begin_array(j, "vectors");
	for (unsigned int v = 0; v < p->nvectors; v++)
		write_vector_json(j, p, v);
	json_end_array(j);
	json_end_object(j);
}

/* A guest reboot, vCPUs stopped: the function to power-on state (gic_reset does the ITS). */
void vm_pci_reset(struct vm *vm)
{
	struct vm_pci *p = pci_of(vm);

	if (p && p->net_ready)
		virtio_pci_reset(&p->net);
}

void vm_pci_destroy(struct vm *vm)
{
	struct vm_pci *p = pci_of(vm);

	if (!p)
		return;
	for (unsigned int v = 0; v < p->nvectors; v++) {
		msi_vector_release(&p->backend, &p->vectors[v]);
		close(p->vectors[v].fd);
	}
	if (p->net_ready)
		virtio_pci_destroy(&p->net);
	if (p->host_ready)
		pci_host_destroy(&p->host);
	if (p->routes_ready)
		msi_routes_destroy(&p->routes);
	free(p);
	vm->pci = NULL;
}
