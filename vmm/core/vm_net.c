// SPDX-License-Identifier: MIT
/*
 * The VM's NIC: the virtio-net device on its transport (virtio-mmio, or
 * virtio-pci with --transport pci: vmm/core/vm_pci.c),
 * and the KVM plumbing that keeps the fast path out of userspace: an irqfd
 * for the device's interrupt (and vhost's call eventfds in direct mode),
 * ioeventfds for every queue's notification and for InterruptACK(VRING).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/core/tier.h"
#include "vmm/core/vm_internal.h"
#include "vmm/core/vm_pci.h"

static void irqfd_raise(void *opaque)
{
	int *fd = opaque;

	eventfd_signal(*fd);	/* fails only saturated: an interrupt is pending anyway */
}

/*
 * Linux's virtio-mmio interrupt handler reads InterruptStatus and writes the
 * same value back to InterruptACK: two exits to userspace per interrupt.
 * For the common value (VRING only) the write changes nothing we track (see
 * vring_ack_in_kernel), so let KVM complete it without leaving the kernel.
 * Other values (CONFIG) still trap and clear their bits in virtio_mmio.
 */
static int add_net_ack_in_kernel(struct vm *vm, uint64_t base, struct tvm_error *err)
{
	vm->net_ack_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->net_ack_fd < 0)
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "cannot create an eventfd: %s", strerror(errno));
	if (kvm_ioeventfd(&vm->kvm, base + VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_VRING,
			  vm->net_ack_fd, err))
		return -1;
	vm->net_mmio.vring_ack_in_kernel = true;
	return 0;
}

/* InterruptACK(VRING) writes KVM completed so far (the eventfd counts them). */
uint64_t vm_net_acks_in_kernel(struct vm *vm)
{
	uint64_t n;

	if (vm->net_ack_fd >= 0 && read(vm->net_ack_fd, &n, sizeof(n)) == sizeof(n))
		vm->net_acks_in_kernel += n;
	return vm->net_acks_in_kernel;
}

/* --virtio-mmio auto is the board's default: legacy on virt (as QEMU 7.2's), else modern. */
static bool mmio_legacy(const struct vm *vm)
{
	return vm->cfg->virtio_mmio == VIRTIO_MMIO_MODE_LEGACY ||
	       (vm->cfg->virtio_mmio == VIRTIO_MMIO_MODE_AUTO && vm->board->virtio_mmio_legacy);
}

/* The NIC is on the board's virtio-mmio transport (not --transport pci). */
static bool net_on_mmio(const struct vm *vm)
{
	return vm->cfg->tap_name && !vm->cfg->transport_pci;
}

unsigned int vm_virtio_slots(const struct vm *vm, struct fdt_virtio_slot *slots)
{
	const struct board *b = vm->board;
	unsigned int n = 0;

	if (b->virtio_all_present) {
		for (unsigned int i = 0; i < b->virtio_slots && i < VM_MAX_VIRTIO_SLOTS; i++)
			slots[n++] = board_virtio_slot(b, i);
	} else if (net_on_mmio(vm)) {
		slots[n++] = board_virtio_slot(b, b->net_slot);
	}
	return n;
}

/* Transports @first up to @end (exclusive) of the board, answering "no device". */
static int add_empty_run(struct vm *vm, unsigned int first, unsigned int end,
			 struct tvm_error *err)
{
	const struct board *b = vm->board;

	if (first >= end)
		return 0;
	if (mmio_bus_register(&vm->bus, b->virtio_base + first * b->virtio_slot_size,
			      (end - first) * b->virtio_slot_size, virtio_mmio_empty_access,
			      &vm->empty_mmio, "virtio-mmio (empty)"))
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "cannot register the empty virtio-mmio transports");
	return 0;
}

int vm_virtio_add_empty(struct vm *vm, struct tvm_error *err)
{
	const struct board *b = vm->board;
	unsigned int used = net_on_mmio(vm) ? b->net_slot : b->virtio_slots;

	if (!b->virtio_all_present)
		return 0;
	vm->empty_mmio = (struct virtio_mmio_empty){ .slot_size = b->virtio_slot_size,
						     .version = mmio_legacy(vm) ? 1 : 2 };
	if (add_empty_run(vm, 0, used < b->virtio_slots ? used : b->virtio_slots, err))
		return -1;
	return used < b->virtio_slots ? add_empty_run(vm, used + 1, b->virtio_slots, err) : 0;
}

/* virtio-mmio: one SPI for every queue, kicks and acks through ioeventfds. */
static int attach_mmio(struct vm *vm, const struct vm_config *cfg, struct tvm_error *err)
{
	struct fdt_virtio_slot slot = board_virtio_slot(vm->board, vm->board->net_slot);
	uint64_t base = slot.base;

	/* Legacy or not, kicks and ACKs sit at the same offsets: the rest is unchanged. */
	if (mmio_legacy(vm))
		virtio_mmio_init_legacy(&vm->net_mmio, &vm->net->vdev);
	else
		virtio_mmio_init(&vm->net_mmio, &vm->net->vdev);
	if (mmio_bus_register(&vm->bus, base, slot.size, virtio_mmio_access,
			      &vm->net_mmio, "virtio-net"))
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "cannot register virtio-net");
	vm->net_irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->net_irqfd < 0 || kvm_irqfd(&vm->kvm, vm->net_irqfd, slot.spi, err))
		return -1;
	/* Steps 8-9 of the vhost-net map (vhost/vhost_net.c) are here and below. */
	vm->net_mmio.raise_irq = irqfd_raise;
	vm->net_mmio.irq_opaque = &vm->net_irqfd;
	/* 8. Direct mode: vhost's call eventfds inject the SPI themselves. */
	if (vm->net->backend == NET_BACKEND_VHOST && !cfg->vhost_irq_relay) {
		for (unsigned int i = 0; i < vm->net->npairs; i++)
			for (int q = 0; q < 2; q++)
				if (kvm_irqfd(&vm->kvm, vm->net->pairs[i].call_fd[q],
					      slot.spi, err))
					return -1;
	}
	if (add_net_ack_in_kernel(vm, base, err))
		return -1;
	/* 9. Kicks go straight to the worker's eventfd: no vCPU exit to userspace. */
	for (unsigned int q = 0; q < vm->net->vdev.nqueues; q++) {
		int fd = q < 2 * vm->net->npairs ? vm->net->pairs[q / 2].kick_fd[q % 2]
						 : vm->net->ctrl_kick_fd;

		if (kvm_ioeventfd(&vm->kvm, base + VIRTIO_MMIO_QUEUE_NOTIFY, q, fd, err))
			return -1;
	}
	return 0;
}

int vm_net_attach(struct vm *vm, struct tvm_error *err)
{
	const struct vm_config *cfg = vm->cfg;
	struct net_options opts = {
		.tap_name = cfg->tap_name,
		.packed = !cfg->no_packed,
		.features_off = (cfg->no_event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0) |
				(cfg->no_mrg_rxbuf ? 1ULL << VIRTIO_NET_F_MRG_RXBUF : 0),
		.vhost = tier_net_vhost_mode(cfg->vhost),
		/* Direct: mmio's SPI irqfd (attach_mmio), or on pci each queue's vector irqfd. */
		.irq_mode = cfg->vhost_irq_relay ? NET_IRQ_RELAY : NET_IRQ_DIRECT,
		.vhost_poll_us = cfg->vhost_poll_us,
		.worker_poll_us = cfg->worker_poll_us,
		.worker_batch = cfg->worker_batch,
		.queues = cfg->queues,
		.quiet = cfg->quiet,
	};

	if (cfg->mac_set)
		memcpy(opts.mac, cfg->mac, 6);
	else
		virtio_net_default_mac(cfg->tap_name, opts.mac);
	vm->net = calloc(1, sizeof(*vm->net));
	if (!vm->net)
		return tvm_fail_kind(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				     "out of memory for virtio-net");
	if (virtio_net_init(vm->net, &opts, &vm->mem, err))
		return -1;
	if (cfg->vhost_poll_us && vm->net->backend != NET_BACKEND_VHOST)
		tvm_warn("--vhost-poll-us has no effect: no vhost-net, so no vhost worker to poll (Tier 2)");
	if (cfg->worker_poll_us && vm->net->backend == NET_BACKEND_VHOST)
		tvm_warn("--worker-poll-us has no effect: vhost-net serves the rings, not tinyvmm's worker (Tier 1)");
	if (vm->pci ? vm_pci_add_net(vm, err) : attach_mmio(vm, cfg, err))
		return -1;
	return virtio_net_start_monitor(vm->net, err);
}

void vm_net_detach(struct vm *vm)
{
	if (vm->pci)
		vm_pci_report(vm);
	if (vm->net) {
		virtio_net_destroy(vm->net);
		free(vm->net);
		vm->net = NULL;
	}
	vm_pci_destroy(vm);	/* after the device: its workers interrupt through it */
	if (vm->net_irqfd >= 0)
		close(vm->net_irqfd);
	if (vm->net_ack_fd >= 0)
		close(vm->net_ack_fd);
	vm->net_irqfd = vm->net_ack_fd = -1;
}
