/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VM_INTERNAL_H
#define TINYVMM_VM_INTERNAL_H

#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <pthread.h>
#include <stdbool.h>

#include "devices/exit_dev.h"
#include "devices/mmio_bus.h"
#include "devices/pl011.h"
#include "devices/pl031.h"
#include "devices/uart.h"
#include "devices/net/virtio_net.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_mmio_empty.h"
#include "vmm/console/boot_milestones.h"
#include "vmm/core/vm_config.h"
#include "vmm/console/console.h"
#include "vmm/console/console_watch.h"
#include "vmm/arm64/cpu_features.h"
#include "vmm/arm64/gic.h"
#include "lib/guest_mem.h"
#include "vmm/core/kvm.h"
#include "vmm/core/vcpu.h"
#include "vmm/core/vm_flash.h"
#include "vmm/arm64/loader.h"

struct vm;
struct vm_pci;

struct vm {
	const struct vm_config *cfg;
	const struct board *board;	/* cfg->machine's memory map and devices */
	struct kvm kvm;
	struct gic gic;
	struct cpu_features cpu;	/* what the vCPUs got at KVM_ARM_VCPU_INIT */
	struct guest_mem mem;
	struct mmio_bus bus;
	/* The console's serial device: the board's kind of UART (vm_serial.c). */
	struct uart16550 uart;		/* BOARD_CONSOLE_NS16550 */
	struct pl011 pl011;		/* BOARD_CONSOLE_PL011 */
	const struct vm_serial_ops *serial;	/* the one in use; NULL until set up */
	int uart_space_efd;	/* the guest read all the console input given to it */
	struct pl031 rtc;	/* every board's RTC (vm_rtc.c) */
	bool rtc_ready;
	int rtc_timerfd;	/* CLOCK_REALTIME: the RTC's next match */
	struct console console;
	bool console_open;
	struct virtio_net *net;	/* NULL without --tap */
	struct vm_pci *pci;	/* --transport pci (vmm/core/vm_pci.c), else NULL */
	struct vm_flash flash;	/* the board's flash banks (nbanks 0: none), --bios in bank 0 */
	struct virtio_mmio net_mmio;	/* its transport */
	struct virtio_mmio_empty empty_mmio;	/* the board's transports with no device */
	int net_irqfd;
	int net_ack_fd;		/* KVM completes InterruptACK(VRING) on it */
	uint64_t net_acks_in_kernel;	/* read from net_ack_fd so far */
	struct vcpu *vcpus;
	unsigned int ncpus;	/* vCPUs created so far */
	int stop_efd;		/* written once when the VM should stop */
	int stats_fd;		/* VM-wide KVM binary stats, or -1 */
	int report_fd;		/* the --report-json file, or -1 */
	struct boot_layout boot;	/* where the kernel, initrd and DTB went */
	double start_time;	/* CLOCK_MONOTONIC seconds at start */
	int exit_code;		/* -1 while running; first stop request wins */
	char stop_message[256];	/* printed on stderr after teardown, if set */
	char *stop_detail;	/* more of it (malloc'd): where the vCPUs were at --timeout */
	double stop_time;	/* CLOCK_MONOTONIC seconds when the vCPUs had stopped */
	/* CI smoke tests (vm_smoke.c). */
	struct exit_dev exit_dev;	/* registered only with --exit-device */
	bool exit_device_stop;		/* the run ended by an exit-device write */
	struct console_watch *watch;	/* NULL without --expect / --fail-on */
	int console_efd;		/* the watch wakes the main loop on it */
	/* A --fail-on match waits for the guest to finish its say (vm_smoke.c). */
	bool fail_pending;		/* main thread only */
	bool fail_stopped;		/* its stop request was the first */
	double match_time;		/* s since start of the --fail-on match */
	double last_output;		/* CLOCK_MONOTONIC s of the last output burst */
	double match_deferred_at;	/* when output waiting for a deferred search came, or -1 */
	struct boot_milestones milestones;
	/* --on-reset reboot (vm_reboot.c). */
	bool reboot_pending;		/* atomic: a vCPU saw PSCI SYSTEM_RESET */
	unsigned int reboots;		/* completed so far (main thread) */
	struct tvm_ratelimit reboot_msgs;	/* a guest rebooting in a loop cannot flood stderr */
	uint8_t *kernel_data, *initrd_data;	/* the files as read, kept for reboots */
	size_t kernel_size, initrd_size;
	bool kernel_gzipped;		/* kernel_data is the file decompressed */
};

/*
 * Ask the VM to stop with @code. Callable from any thread; only the first
 * request counts (returns true for that one). @fmt (may be NULL) is a
 * message for the user (vm_stop.c).
 */
bool vm_request_stop(struct vm *vm, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool vm_stopping(const struct vm *vm)
{
	return __atomic_load_n(&vm->exit_code, __ATOMIC_ACQUIRE) != -1;
}
/* --on-reset reboot: any thread asks, the main loop reboots (vm_stop.c). */
void vm_request_reboot(struct vm *vm);
static inline bool vm_rebooting(const struct vm *vm)
{
	return __atomic_load_n(&vm->reboot_pending, __ATOMIC_ACQUIRE);
}

/*
 * The console's serial device (vm_serial.c): the board's kind, at its
 * address; input to its receive FIFO; its power-on reset (a reboot).
 */
int vm_serial_add(struct vm *vm, struct tvm_error *err);
size_t vm_serial_receive(struct vm *vm, const uint8_t *buf, size_t len);
void vm_serial_reset(struct vm *vm);
void vm_serial_destroy(struct vm *vm);
/* The PL031 RTC (vm_rtc.c): its match timer fires on rtc_timerfd (main loop). */
int vm_rtc_add(struct vm *vm, struct tvm_error *err);
void vm_rtc_timer(struct vm *vm);
void vm_rtc_reset(struct vm *vm);
void vm_rtc_destroy(struct vm *vm);

uint64_t vm_net_acks_in_kernel(struct vm *vm);
/* The board's virtio-mmio transports the device tree lists; returns how many (vm_net.c). */
#define VM_MAX_VIRTIO_SLOTS 32
unsigned int vm_virtio_slots(const struct vm *vm, struct fdt_virtio_slot *slots);
/* Boards whose transports all exist: the ones without a device answer "none". */
int vm_virtio_add_empty(struct vm *vm, struct tvm_error *err);
/* --tap: the virtio-net device on its transport, wired to KVM (vm_net.c). */
int vm_net_attach(struct vm *vm, struct tvm_error *err);
void vm_net_detach(struct vm *vm);

/* Main loop, on a stop-eventfd wake-up with a reboot pending: restart the guest. */
int vm_reboot(struct vm *vm, struct tvm_error *err);
/*
 * The boot images (vm_boot.c): the files read once at start, their
 * placement (with the device tree) in guest RAM at set-up and each reboot.
 */
int vm_read_images(struct vm *vm, struct tvm_error *err);
void vm_free_images(struct vm *vm);
int vm_place_images(struct vm *vm, bool first_boot, struct tvm_error *err);

/* The vCPUs, each given its struct vcpu_env, their events handled (vm_vcpus.c). */
int vm_create_vcpus(struct vm *vm, struct tvm_error *err);
/* PMUv3 of every vCPU, when on; after gic_finalize(). */
int vm_init_pmus(struct vm *vm, struct tvm_error *err);
int vm_start_vcpus(struct vm *vm, struct tvm_error *err);
/* Kick every vCPU out of KVM_RUN and join its thread. */
void vm_stop_vcpus(struct vm *vm);
/* At --timeout: where each vCPU was, into stop_detail. */
void vm_describe_vcpus(struct vm *vm);
void vm_destroy_vcpus(struct vm *vm);

/* Statistics: human-readable (SIGUSR1) and the --report-json file. */
void report_print_stats(struct vm *vm, FILE *f);
/* Create the --report-json file with the start report, during set-up. */
int report_open(struct vm *vm);
/* Rewrite it (in place: the sandbox allows no open or rename later). */
int report_write_json(struct vm *vm, const char *phase);
double report_now(void);

/* CI smoke tests: --expect/--fail-on, --exit-device, milestones (vm_smoke.c). */
int vm_smoke_setup(struct vm *vm, struct tvm_error *err);
void vm_smoke_output(struct vm *vm, const uint8_t *buf, size_t len);
void vm_smoke_check(struct vm *vm);
/* Main loop: how long epoll may wait (-1: for ever); then call vm_smoke_tick. */
int vm_smoke_wait_ms(const struct vm *vm);
void vm_smoke_tick(struct vm *vm);
void vm_smoke_finish(struct vm *vm);
void vm_smoke_print(const struct vm *vm);
void vm_smoke_teardown(struct vm *vm);

/* Start the vCPUs and serve events until the VM stops; returns the exit code. */
int vm_main_loop(struct vm *vm);
/*
 * Block the signals the main loop reads from its signalfd (SIGINT, SIGTERM,
 * SIGHUP, SIGUSR1) and the vCPU kick, fill @set with them and ignore SIGPIPE.
 * Must run before the first thread starts: threads inherit the mask, and a
 * process signal goes to any thread not blocking it, where the default
 * action would end the process without teardown (terminal left raw, no
 * exit message).
 */
void vm_block_signals(sigset_t *set);

#endif
