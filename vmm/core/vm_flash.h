/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VM_FLASH_H
#define TINYVMM_VM_FLASH_H

#include <stdint.h>

#include "devices/mmio_bus.h"
#include "devices/pflash.h"
#include "lib/util.h"
#include "vmm/core/kvm.h"

#define VM_FLASH_MAX_BANKS	2

/*
 * The board's flash banks (QEMU virt: two 64 MiB CFI banks at 0x0), with
 * --bios in bank 0. Each bank's contents are an anonymous mapping the VM
 * gives KVM as a read-only memory slot while the bank is in read-array
 * mode; devices/pflash.c says when. Untouched banks cost no memory.
 */
struct vm_flash {
	struct kvm *kvm;
	uint64_t base;
	uint64_t bank_size;
	unsigned int nbanks;
	struct vm_flash_bank {
		struct vm_flash *owner;
		unsigned int index;
		uint8_t *contents;	/* bank_size bytes, mmap'ed */
		struct pflash dev;
	} banks[VM_FLASH_MAX_BANKS];
};

/*
 * Map @nbanks banks of @bank_size at @base, register them on @bus, and
 * copy @bios_path (NULL: none) into bank 0. Memory slots from
 * VM_FLASH_FIRST_SLOT on.
 */
int vm_flash_attach(struct vm_flash *flash, struct kvm *kvm, struct mmio_bus *bus,
		    uint64_t base, uint64_t bank_size, unsigned int nbanks,
		    const char *bios_path, struct tvm_error *err);
/* Power-on state of every bank (a guest reboot). */
void vm_flash_reset(struct vm_flash *flash);
void vm_flash_detach(struct vm_flash *flash);

#define VM_FLASH_FIRST_SLOT	1	/* slot 0 is RAM (kvm_add_memory) */

#endif
