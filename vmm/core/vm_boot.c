// SPDX-License-Identifier: MIT
/*
 * The guest's boot images: the kernel and initrd files read once at start
 * (kept for --on-reset reboot), and their placement in guest RAM with the
 * device tree, or the --bios firmware's. The first boot (vm.c) and every
 * reboot (vm_reboot.c) place them the same way, through vm_place_images().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fdt/fdt.h"
#include "vmm/arm64/board.h"
#include "vmm/arm64/granule.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/loader.h"
#include "vmm/arm64/vcpu_features.h"
#include "vmm/core/vm_internal.h"
#include "vmm/core/vm_pci.h"

/*
 * The files as read (a gzip kernel decompressed once, here); kept in memory
 * for --on-reset reboot (no file opens or decompression then).
 */
int vm_read_images(struct vm *vm, struct tvm_error *err)
{
	const struct vm_config *cfg = vm->cfg;

	if (cfg->kernel_path &&
	    (read_whole_file(cfg->kernel_path, "kernel", vm->mem.size, &vm->kernel_data,
			     &vm->kernel_size, err) ||
	     loader_unpack_kernel(&vm->kernel_data, &vm->kernel_size, vm->mem.size,
				  &vm->kernel_gzipped, err)))
		return -1;
	if (cfg->initrd_path &&
	    read_whole_file(cfg->initrd_path, "initrd", vm->mem.size, &vm->initrd_data,
			    &vm->initrd_size, err))
		return -1;
	return 0;
}

void vm_free_images(struct vm *vm)
{
	free(vm->kernel_data);
	free(vm->initrd_data);
	vm->kernel_data = vm->initrd_data = NULL;
	vm->kernel_size = vm->initrd_size = 0;
}

/* A kernel built for a page size this CPU lacks would die silently. */
static int check_kernel_page_size(struct vm *vm, struct tvm_error *err)
{
	uint64_t mmfr0;

	if (vm->boot.format != KERNEL_IMAGE)
		return 0;	/* a bare-metal ELF sets up its own MMU, if any */
	if (vcpu_read_mmfr0(vm->vcpus[0].fd, &mmfr0) < 0)
		return tvm_fail(err, TVM_EXIT_ERROR, "reading ID_AA64MMFR0_EL1 of vCPU 0 failed: %s",
				strerror(errno));
	return granule_check(vm->boot.image_flags, mmfr0, err);
}

static int install_fdt(struct vm *vm, const struct boot_layout *bl, struct tvm_error *err)
{
	uint8_t seed[FDT_RNG_SEED_SIZE];
	uint64_t *mpidrs;
	struct fdt_params p = {
		.ncpus = vm->ncpus,
		.gic_version = vm->gic.version,
		.ram_base = vm->mem.gpa_base,
		.ram_size = vm->mem.size,
		.cmdline = vm->cfg->cmdline,
		.initrd_start = bl->initrd_start,
		.initrd_size = bl->initrd_size,
		.pmu_ppi = vm->cpu.pmu == CPU_FEATURE_ON ? LAYOUT_PMU_PPI : 0,
		.boot_count = vm->cfg->reboot_on_reset ? vm->reboots + 1 : 0,
	};
	void *dst = guest_mem_ptr(&vm->mem, bl->fdt_addr, bl->fdt_max_size);
	struct fdt_virtio_slot slots[VM_MAX_VIRTIO_SLOTS];
	struct fdt_pci pci;
	int ret;

	board_fdt_platform(vm->board, &p.board, vm->gic.version, vm->ncpus, vm->board->rtc.size != 0,
			   vm->cfg->exit_device);
	if (vm->pci) {
		vm_pci_fdt(vm, &pci);
		p.pci = &pci;
	}
	p.virtio = slots;
	p.nvirtio = vm_virtio_slots(vm, slots);
	mpidrs = calloc(vm->ncpus, sizeof(*mpidrs));
	if (!mpidrs)
		return tvm_fail(err, TVM_EXIT_ERROR, "out of memory building the device tree");
	for (unsigned int i = 0; i < vm->ncpus; i++)
		mpidrs[i] = vm->vcpus[i].mpidr;
	p.mpidrs = mpidrs;
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		p.rng_seed = seed;
	ret = fdt_build(&p, dst, bl->fdt_max_size, err);
	free(mpidrs);
	return ret ? -1 : 0;
}

/*
 * The other board, for an ELF linked outside this one's RAM: if the other
 * board's RAM would hold it, the loader's error says which --machine.
 */
static void other_board_hint(const struct vm *vm, struct loader_hint *hint)
{
	const struct board *other = board_get(vm->board == board_get(BOARD_VIRT) ?
					      BOARD_TINYVMM : BOARD_VIRT);

	hint->ram_base = other->ram_base;
	hint->ram_end = other->ram_base + vm->mem.size;
	hint->advice = other == board_get(BOARD_VIRT) ?
		"Built for QEMU's virt board? Add --machine virt" :
		"Built for tinyvmm's own board? Use --machine tinyvmm";
}

/*
 * Kernel, initrd and device tree into guest RAM, from the images read at
 * start: at set-up and again at each --on-reset reboot (the same layout,
 * since the images and RAM are the same).
 */
int vm_place_images(struct vm *vm, bool first_boot, struct tvm_error *err)
{
	struct boot_layout *bl = &vm->boot;
	struct loader_hint hint;

	if (vm->cfg->bios_path) {
		loader_place_firmware(&vm->mem, vm->board->flash[0].base, bl);
		return install_fdt(vm, bl, err);
	}
	other_board_hint(vm, &hint);
	if (loader_load_kernel(&vm->mem, vm->kernel_data, vm->kernel_size, &hint, bl, err) ||
	    loader_place_initrd_and_fdt(&vm->mem, vm->initrd_data, vm->initrd_size, bl, err))
		return -1;
	bl->gzipped = vm->kernel_gzipped;	/* unpacked once, by vm_read_images() */
	if (first_boot && check_kernel_page_size(vm, err))
		return -1;
	return install_fdt(vm, bl, err);
}
