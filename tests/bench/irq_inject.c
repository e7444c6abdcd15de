// SPDX-License-Identifier: MIT
/*
 * tinyvmm-irqbench: host-side cost of raising a virtio-mmio interrupt (an
 * edge SPI on the in-kernel vGICv3), the two ways tinyvmm could do it:
 *   irqfd:        one write(2) to an eventfd registered with KVM_IRQFD
 *   KVM_IRQ_LINE: two ioctls, assert then deassert (an edge)
 * Run on an ARM64 KVM host (scripts/emuhost -- tinyvmm-irqbench [N]).
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SPI 16	/* tinyvmm's first virtio-mmio slot */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int attr(int fd, uint32_t group, uint64_t a, void *v)
{
	struct kvm_device_attr at = { .group = group, .attr = a, .addr = (uint64_t)(uintptr_t)v };

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &at);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int kvm = open("/dev/kvm", O_RDWR), vm, vcpu, efd;
	struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	struct kvm_vcpu_init init;
	uint64_t dist = 0x08000000, redist = 0x080a0000, one = 1;
	uint32_t nr = 128;
	struct kvm_irqfd irqfd;
	struct kvm_irq_level line = { .irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + SPI) };
	double t0, t_fd, t_line;

	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vm < 0 || ioctl(vm, KVM_CREATE_DEVICE, &gic)) {
		perror("irqbench: KVM/vGICv3");
		return 1;
	}
	attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	ioctl(vcpu, KVM_ARM_VCPU_INIT, &init);
	attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr);
	if (attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL)) {
		perror("irqbench: vGIC init");
		return 1;
	}
	efd = eventfd(0, EFD_NONBLOCK);
	irqfd = (struct kvm_irqfd){ .fd = (uint32_t)efd, .gsi = SPI };
	if (ioctl(vm, KVM_IRQFD, &irqfd)) {
		perror("irqbench: KVM_IRQFD");
		return 1;
	}
	t0 = now();
	for (long i = 0; i < n; i++)
		if (write(efd, &one, sizeof(one)) != sizeof(one))
			return 1;
	t_fd = (now() - t0) / (double)n;
	t0 = now();
	for (long i = 0; i < n; i++) {
		line.level = 1;
		ioctl(vm, KVM_IRQ_LINE, &line);
		line.level = 0;
		ioctl(vm, KVM_IRQ_LINE, &line);
	}
	t_line = (now() - t0) / (double)n;
	printf("irqbench: %ld injections each\n", n);
	printf("irqbench: irqfd write         %.0f ns per interrupt (1 syscall)\n", t_fd * 1e9);
	printf("irqbench: KVM_IRQ_LINE 1+0    %.0f ns per interrupt (2 ioctls)\n", t_line * 1e9);
	printf("irqbench: ratio line/irqfd    %.2f\n", t_line / t_fd);
	return 0;
}
