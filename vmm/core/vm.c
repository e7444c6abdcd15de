// SPDX-License-Identifier: MIT
/*
 * VM assembly and teardown; the run loop is vm_loop.c, the boot images
 * vm_boot.c, the vCPUs' environment and events vm_vcpus.c. Set-up order
 * follows what KVM requires: VM (with IPA size) -> vGIC device -> vCPUs
 * (optional features, SVE finalized) -> memory -> guest images (page size
 * checked) and DTB -> vGIC init -> PMU init -> boot registers -> run.
 */
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vmm/arm64/board.h"
#include "lib/host_page.h"
#include "vmm/arm64/layout_check.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/loader.h"
#include "vmm/core/tier.h"
#include "vmm/arm64/vcpu_features.h"
#include "vmm/core/vm.h"
#include "vmm/core/vm_internal.h"
#include "vmm/core/vm_pci.h"


static int check_host_ram(uint64_t bytes, struct tvm_error *err)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t host = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;

	if (host && bytes > host)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--mem %llu MiB is more than this host's %llu MiB of RAM. Lower --mem",
				     (unsigned long long)(bytes >> 20), (unsigned long long)(host >> 20));
	return 0;
}

/* The board's flash banks, as QEMU's virt has them even without -bios. */
static int add_flash(struct vm *vm, struct tvm_error *err)
{
	const struct fdt_region *banks = vm->board->flash;

	if (!banks[0].size)
		return 0;
	return vm_flash_attach(&vm->flash, &vm->kvm, &vm->bus, banks[0].base, banks[0].size,
			       banks[1].size ? 2 : 1, vm->cfg->bios_path, err);
}

static int create_machine(struct vm *vm, struct tvm_error *err)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t ram = cfg->mem_mib << 20;
	struct cpu_features_offered offered;

	/* The IPA limit first: no amount of host RAM lifts it. */
	if (layout_check_host_page(vm->board, host_page_size(), ram, err) ||
	    kvm_open(&vm->kvm, err) || kvm_create_vm(&vm->kvm, vm->board->ram_base, ram, err) ||
	    check_host_ram(ram, err))
		return -1;
	vcpu_features_offered(vm->kvm.vm_fd, &offered);
	cpu_features_choose(&offered, &cfg->cpu, &vm->cpu);
	if (cfg->cpus > vm->kvm.max_vcpus)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--cpus %u is above this host's KVM limit of %u vCPUs. Lower --cpus",
				     cfg->cpus, vm->kvm.max_vcpus);
	if (gic_create(vm->kvm.vm_fd, cfg->gic, cfg->cpus, vm->board, &vm->gic, err))
		return -1;
	if (cfg->transport_pci && cfg->tap_name && vm_pci_prepare(vm, err))
		return -1;
	if (vm_create_vcpus(vm, err))
		return -1;
	if (guest_mem_alloc(&vm->mem, vm->board->ram_base, ram, err) ||
	    kvm_add_memory(&vm->kvm, &vm->mem, err))
		return -1;
	return add_flash(vm, err);
}

/* --dump-dtb: the device tree the first boot got, as it is in guest RAM. */
static int dump_dtb(const struct vm *vm, struct tvm_error *err)
{
	const char *path = vm->cfg->dump_dtb_path;
	const void *fdt = guest_mem_ptr(&vm->mem, vm->boot.fdt_addr, LAYOUT_FDT_MAX_SIZE);
	size_t size = fdt_totalsize(fdt);
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(fdt, 1, size, f) != size) {
		tvm_fail_errno(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
			       "cannot write --dump-dtb '%s': %s. Choose a writable path",
			       path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (fclose(f))
		return tvm_fail_errno(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				      "cannot write --dump-dtb '%s': %s", path, strerror(errno));
	return 0;
}

static int add_devices(struct vm *vm, struct tvm_error *err)
{
	if (vm_serial_add(vm, err) || vm_rtc_add(vm, err))
		return -1;
	if (vm_smoke_setup(vm, err) || vm_virtio_add_empty(vm, err))
		return -1;
	if (vm->cfg->tap_name)
		return vm_net_attach(vm, err);
	return 0;
}

static void print_banner(const struct vm *vm, const struct boot_layout *bl)
{
	char line[1024];

	if (vm->cfg->quiet)
		return;
	fprintf(stderr, "=== Platform: ARM64 host with KVM acceleration ===\n");
	/* The default board's banner stays as it always was. */
	if (vm->cfg->machine != BOARD_TINYVMM)
		fprintf(stderr, "=== Machine: %s (%s) ===\n", vm->board->name, vm->board->model);
	fprintf(stderr, "=== GIC Version: %d ===\n", vm->gic.version);
	cpu_features_describe(&vm->cpu, line, sizeof(line));
	fprintf(stderr, "=== CPU features: %s ===\n", line);
	fprintf(stderr, "=== Guest: %u vCPU(s), %llu MiB RAM, %s%s%s%s ===\n",
		vm->ncpus, (unsigned long long)(vm->mem.size >> 20),
		bl->gzipped ? "gzip " : "", loader_format_name(bl->format),
		bl->format == KERNEL_FIRMWARE ? "" : " kernel",
		bl->initrd_size ? ", initrd" : "");
	if (bl->format == KERNEL_FIRMWARE)
		fprintf(stderr, "=== Firmware: %s in flash bank 0 at 0x%llx, device tree at 0x%llx ===\n",
			vm->cfg->bios_path, (unsigned long long)bl->entry,
			(unsigned long long)bl->fdt_addr);
	if (bl->format == KERNEL_RAW)
		fprintf(stderr, "=== Kernel: no arm64 Image header and not ELF: a raw binary at 0x%llx (QEMU's rule) ===\n",
			(unsigned long long)bl->entry);
	if (vm->net && vm->net->npairs > vm->ncpus) {
		tier_queues_warning(line, sizeof(line), vm->net->npairs, vm->ncpus);
		tvm_warn("%s", line);
	}
	if (vm->net && vm->net->vhost_unavailable[0]) {
		tier_vhost_warning(line, sizeof(line), vm->net->vhost_unavailable);
		tvm_warn("%s", line);
	}
	if (vm->pci)
		fprintf(stderr, "=== Transport: virtio-pci, %s: %s ===\n",
			msi_mode_name(vm_pci_msi_mode(vm)), msi_mode_describe(vm_pci_msi_mode(vm)));
	if (vm->net && vm->pci) {
		vm_pci_describe(vm, line, sizeof(line));
		fprintf(stderr, "=== Network: %s, %u queue pair(s), %s, TAP %s ===\n",
			tier_description(tier_of_net(vm->net)), vm->net->npairs, line,
			vm->cfg->tap_name);
	} else if (vm->net) {
		fprintf(stderr, "=== Network: %s, %u queue pair(s), %sTAP %s ===\n",
			tier_description(tier_of_net(vm->net)), vm->net->npairs,
			vm->net->vdev.legacy ? "legacy virtio-mmio (version 1), " : "",
			vm->cfg->tap_name);
	}
	else
		fprintf(stderr, "=== Network: none (no --tap) ===\n");
}

/*
 * --user: everything that needs root (KVM, vhost-net, the TAP, guest RAM)
 * is open by now; the guest's first instruction runs without root.
 */
static int drop_privileges(const char *user, struct tvm_error *err)
{
	long uid = lookup_id("/etc/passwd", user), gid = -1;
	char line[512], name[256];
	FILE *f;

	if (uid < 0)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--user %s: no such user. Give a name from /etc/passwd or a number",
				     user);
	if (geteuid() != 0)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--user %s: tinyvmm is not running as root, so there is nothing to drop. Leave out --user",
				     user);
	/* The primary group: field 4 of the passwd line. */
	f = fopen("/etc/passwd", "r");
	while (f && gid < 0 && fgets(line, sizeof(line), f)) {
		unsigned long u, g;

		if (sscanf(line, "%255[^:]:%*[^:]:%lu:%lu:", name, &u, &g) == 3 && (long)u == uid)
			gid = (long)g;
	}
	if (f)
		fclose(f);
	if (gid < 0)
		gid = uid;
	if (setgroups(0, NULL) || setgid((gid_t)gid) || setuid((uid_t)uid))
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "--user %s: cannot drop privileges: %s", user,
				      strerror(errno));
	if (setuid(0) == 0)
		return tvm_fail_kind(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				     "--user %s: root could be regained; refusing to run", user);
	return 0;
}

static int setup(struct vm *vm, struct tvm_error *err)
{
	struct boot_layout *bl = &vm->boot;
	sigset_t loop_signals;

	/* Before add_devices(), which may start the vhost-net monitor thread. */
	vm_block_signals(&loop_signals);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0)
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "eventfd: %s", strerror(errno));
	if (create_machine(vm, err) || vm_read_images(vm, err) || vm_place_images(vm, true, err) ||
	    gic_finalize(&vm->gic, err) || vm_init_pmus(vm, err) ||
	    vcpu_set_boot_regs(&vm->vcpus[0], bl->entry, bl->fdt_addr, err) ||
	    add_devices(vm, err))
		return -1;
	if (!vm->cfg->reboot_on_reset)
		vm_free_images(vm);	/* only a reboot needs them again */
	vm->stats_fd = ioctl(vm->kvm.vm_fd, KVM_GET_STATS_FD, NULL);
	if (vm->cfg->run_as_user && drop_privileges(vm->cfg->run_as_user, err))
		return -1;
	/*
	 * Every file the run writes (--console-log, --dump-dtb, --report-json)
	 * is created from here on: with --user, as USER, owned by USER and only
	 * where USER may write, never by root on USER's behalf.
	 */
	if (console_open(&vm->console, vm->cfg->console_log_path, err))
		return -1;
	vm->console_open = true;
	if (vm->cfg->dump_dtb_path && dump_dtb(vm, err))
		return -1;
	print_banner(vm, bl);
	if (vm->cfg->report_json_path && report_open(vm))
		return tvm_fail_errno(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				      "cannot write --report-json '%s': %s. Choose a writable path",
				      vm->cfg->report_json_path, strerror(errno));
	return 0;
}

static void teardown(struct vm *vm)
{
	vm_stop_vcpus(vm);
	if (__atomic_load_n(&vm->exit_code, __ATOMIC_ACQUIRE) == TVM_EXIT_TIMEOUT)
		vm_describe_vcpus(vm);
	vm_destroy_vcpus(vm);
	vm_net_detach(vm);
	vm_flash_detach(&vm->flash);
	if (vm->console_open)
		console_close(&vm->console);
	vm_serial_destroy(vm);
	vm_rtc_destroy(vm);
	vm_smoke_teardown(vm);
	gic_close(&vm->gic);
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	if (vm->report_fd >= 0)
		close(vm->report_fd);
	kvm_close(&vm->kvm);
	guest_mem_free(&vm->mem);
	vm_free_images(vm);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
}



int vm_run(const struct vm_config *cfg, struct tvm_error *err)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	int code = -1;

	if (!vm)
		return tvm_fail_kind(err, TVM_ERR_HOST, TVM_EXIT_ERROR, "out of memory");
	vm->cfg = cfg;
	vm->board = board_get(cfg->machine);
	vm->exit_code = -1;
	vm->stop_efd = -1;
	vm->stats_fd = -1;
	vm->net_irqfd = -1;
	vm->net_ack_fd = -1;
	vm->uart_space_efd = -1;
	vm->rtc_timerfd = -1;
	vm->report_fd = -1;
	vm->reboot_msgs = (struct tvm_ratelimit)TVM_RATELIMIT_INIT(32, 60);
	vm->console_efd = -1;
	vm->start_time = report_now();
	vm->gic.fd = -1;
	vm->kvm.fd = vm->kvm.vm_fd = -1;
	if (setup(vm, err) == 0) {
		vm_main_loop(vm);
		/* Nothing writes to the console any more: its last words count. */
		vm_stop_vcpus(vm);
		vm_smoke_finish(vm);
		code = vm->exit_code;
		/* Before teardown: the counters live in the devices and vCPUs. */
		if (cfg->report_json_path && report_write_json(vm, "exit"))
			tvm_warn("cannot write --report-json '%s': %s", cfg->report_json_path,
				 strerror(errno));
	}
	teardown(vm);
	if (code >= 0)
		console_end_line(&vm->console);
	if (code >= 0 && vm->stop_message[0])
		fprintf(stderr, "tinyvmm: %s\n", vm->stop_message);
	if (code >= 0 && vm->stop_detail && vm->stop_detail[0])
		fprintf(stderr, "tinyvmm: %s\n", vm->stop_detail);
	if (code >= 0)
		vm_smoke_print(vm);
	free(vm->stop_detail);
	free(vm);
	return code;
}
