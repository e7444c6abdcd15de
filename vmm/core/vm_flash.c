// SPDX-License-Identifier: MIT
/* The board's CFI flash banks and --bios (see vm_flash.h, devices/pflash.h). */
#include "vmm/core/vm_flash.h"

#include <errno.h>
#include <linux/kvm.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* devices/pflash.c asks for this when the bank's reads must trap (or not). */
static int set_bank_mapped(void *opaque, bool mapped)
{
	struct vm_flash_bank *bank = opaque;
	struct vm_flash *flash = bank->owner;
	struct kvm_userspace_memory_region region = {
		.slot = VM_FLASH_FIRST_SLOT + bank->index,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = flash->base + bank->index * flash->bank_size,
		/* Size 0 deletes the slot (Documentation/virt/kvm/api.rst). */
		.memory_size = mapped ? flash->bank_size : 0,
		.userspace_addr = (uint64_t)(uintptr_t)bank->contents,
	};

	return ioctl(flash->kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

/* --bios into bank 0: a regular file of at most one bank. */
static int load_bios(const char *path, uint8_t *dst, uint64_t bank_size,
		     struct tvm_error *err)
{
	struct stat st;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return tvm_fail_errno(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE,
				      "--bios '%s': %s. Pass a firmware image (e.g. /usr/lib/u-boot/qemu_arm64/u-boot.bin)",
				      path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > bank_size) {
		close(fd);
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > bank_size)
			return tvm_fail_kind(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE,
					     "--bios '%s' is %llu KiB, larger than the %llu MiB flash bank. Pass a firmware image that fits the bank",
					     path, (unsigned long long)st.st_size >> 10,
					     (unsigned long long)bank_size >> 20);
		return tvm_fail_kind(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE,
				     "--bios '%s' is empty or not a regular file. Pass a firmware image file",
				     path);
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, dst + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			tvm_fail_errnum(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE, n < 0 ? errno : 0,
					"--bios '%s': read failed: %s. Pass a readable file",
					path, n < 0 ? strerror(errno) : "short file");
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
}

static int attach_bank(struct vm_flash *flash, struct mmio_bus *bus, unsigned int i,
		       struct tvm_error *err)
{
	struct vm_flash_bank *bank = &flash->banks[i];
	struct pflash_ops ops = { .set_mapped = set_bank_mapped, .opaque = bank };
	void *p = mmap(NULL, flash->bank_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "cannot map flash bank %u: %s", i, strerror(errno));
	bank->owner = flash;
	bank->index = i;
	bank->contents = p;
	if (pflash_init(&bank->dev, bank->contents, flash->bank_size, &ops))
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "flash bank %u: bad geometry", i);
	if (mmio_bus_register(bus, flash->base + i * flash->bank_size, flash->bank_size,
			      pflash_mmio, &bank->dev, "flash"))
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "cannot register flash bank %u", i);
	return 0;
}

int vm_flash_attach(struct vm_flash *flash, struct kvm *kvm, struct mmio_bus *bus,
		    uint64_t base, uint64_t bank_size, unsigned int nbanks,
		    const char *bios_path, struct tvm_error *err)
{
	memset(flash, 0, sizeof(*flash));
	flash->kvm = kvm;
	flash->base = base;
	flash->bank_size = bank_size;
	if (nbanks > VM_FLASH_MAX_BANKS)
		nbanks = VM_FLASH_MAX_BANKS;
	for (unsigned int i = 0; i < nbanks; i++) {
		if (attach_bank(flash, bus, i, err))
			return -1;
		flash->nbanks = i + 1;
	}
	if (bios_path && load_bios(bios_path, flash->banks[0].contents, bank_size, err))
		return -1;
	/* Firmware reads the bank as memory from its first instruction. */
	for (unsigned int i = 0; i < flash->nbanks; i++)
		if (set_bank_mapped(&flash->banks[i], true))
			return tvm_fail_errno(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
					      "KVM_SET_USER_MEMORY_REGION (flash bank %u, read-only) failed: %s", i,
					      strerror(errno));
	return 0;
}

void vm_flash_reset(struct vm_flash *flash)
{
	for (unsigned int i = 0; i < flash->nbanks; i++)
		pflash_reset(&flash->banks[i].dev);
}

void vm_flash_detach(struct vm_flash *flash)
{
	for (unsigned int i = 0; i < VM_FLASH_MAX_BANKS; i++) {
		struct vm_flash_bank *bank = &flash->banks[i];

		if (!bank->contents)
			continue;
		if (i < flash->nbanks)
			pflash_destroy(&bank->dev);
		munmap(bank->contents, flash->bank_size);
		bank->contents = NULL;
	}
	flash->nbanks = 0;
}
