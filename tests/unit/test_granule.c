// SPDX-License-Identifier: MIT
/*
 * Guest page size against the CPU: every Image-header page-size value
 * against every ID_AA64MMFR0_EL1 TGran4/TGran16/TGran64 combination,
 * and the same through the real Image loader.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "vmm/arm64/granule.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/loader.h"

/* Arm ARM, ID_AA64MMFR0_EL1: which field values mean "implemented". */
static const bool tgran4_ok[16] = { [0x0] = true, [0x1] = true };	/* 1: with 52-bit */
static const bool tgran16_ok[16] = { [0x1] = true, [0x2] = true };	/* 0: not implemented */
static const bool tgran64_ok[16] = { [0x0] = true };			/* 0xf: not implemented */

static uint64_t mmfr0(unsigned int t4, unsigned int t16, unsigned int t64)
{
	/* Other fields set to something non-zero: they must not matter. */
	return 0x1122334400000005ULL | (uint64_t)t4 << 28 | (uint64_t)t64 << 24 |
	       (uint64_t)t16 << 20;
}

/* Header flags bit 0 big-endian, bits 1-2 page size, bit 3 placement. */
static uint64_t flags(unsigned int page_field)
{
	return 0x8 | (uint64_t)page_field << 1;
}

Test(granule, image_page_size_field)
{
	cr_assert_eq(image_page_kib(flags(0)), 0);
	cr_assert_eq(image_page_kib(flags(1)), 4);
	cr_assert_eq(image_page_kib(flags(2)), 16);
	cr_assert_eq(image_page_kib(flags(3)), 64);
	cr_assert_eq(image_page_kib(0xfffffffffffffff9ULL), 0, "only bits 1-2 count");
}

Test(granule, every_page_size_against_every_mmfr0_combination)
{
	for (unsigned int page = 0; page < 4; page++)
		for (unsigned int t4 = 0; t4 < 16; t4++)
			for (unsigned int t16 = 0; t16 < 16; t16++)
				for (unsigned int t64 = 0; t64 < 16; t64++) {
					bool ok[4] = { true, tgran4_ok[t4], tgran16_ok[t16], tgran64_ok[t64] };
					bool any = tgran4_ok[t4] || tgran16_ok[t16] || tgran64_ok[t64];
					struct tvm_error err = { 0 };
					int r = granule_check(flags(page), mmfr0(t4, t16, t64), &err);

					cr_assert_eq(r, ok[page] ? 0 : -1, "page field %u, TGran4 %x TGran16 %x TGran64 %x: %s",
						     page, t4, t16, t64, err.msg);
					if (!ok[page]) {
						/* No granule at all: KVM reports a broken CPU. */
						cr_assert_eq(err.code, any ? TVM_EXIT_USAGE : TVM_EXIT_ERROR);
						cr_assert_eq(err.kind, any ? TVM_ERR_IMAGE : TVM_ERR_KVM);
						cr_assert_eq(err.errnum, 0);
					}
				}
}

Test(granule, mmfr0_granules_per_field)
{
	cr_assert_eq(mmfr0_granules(mmfr0(0, 1, 0)), GRANULE_4K | GRANULE_16K | GRANULE_64K);
	/* Apple M1: 4K and 16K, no 64K. */
	cr_assert_eq(mmfr0_granules(mmfr0(0, 1, 0xf)), GRANULE_4K | GRANULE_16K);
	/* Cortex-A72 and friends: 4K and 64K, no 16K. */
	cr_assert_eq(mmfr0_granules(mmfr0(0, 0, 0)), GRANULE_4K | GRANULE_64K);
	/* FEAT_LPA2 values still mean "implemented". */
	cr_assert_eq(mmfr0_granules(mmfr0(1, 2, 0xf)), GRANULE_4K | GRANULE_16K);
	cr_assert_eq(mmfr0_granules(mmfr0(0xf, 0, 0xf)), 0);
}

Test(granule, the_error_names_the_kernel_and_the_cpu)
{
	struct tvm_error err = { 0 };

	cr_assert_eq(granule_check(flags(3), mmfr0(0, 1, 0xf), &err), -1);
	cr_assert_str_eq(err.msg, "kernel: built for 64K pages, but this CPU supports 4K and 16K pages only. Use a kernel built for 4K or 16K pages");
	cr_assert_eq(granule_check(flags(2), mmfr0(0, 0, 0), &err), -1);
	cr_assert_str_eq(err.msg, "kernel: built for 16K pages, but this CPU supports 4K and 64K pages only. Use a kernel built for 4K or 64K pages");
	cr_assert_eq(granule_check(flags(1), mmfr0(0xf, 1, 0xf), &err), -1);
	cr_assert_str_eq(err.msg, "kernel: built for 4K pages, but this CPU supports 16K pages only. Use a kernel built for 16K pages");
}

Test(granule, lists)
{
	char buf[32];

	cr_assert_str_eq(granule_list(GRANULE_4K | GRANULE_16K | GRANULE_64K, "and", buf, sizeof(buf)),
			 "4K, 16K and 64K");
	cr_assert_str_eq(granule_list(GRANULE_16K | GRANULE_64K, "or", buf, sizeof(buf)), "16K or 64K");
	cr_assert_str_eq(granule_list(GRANULE_64K, "or", buf, sizeof(buf)), "64K");
	cr_assert_str_eq(granule_list(0, "and", buf, sizeof(buf)), "no");
}

/* The header flags the loader keeps are what the check reads. */
Test(granule, through_the_image_loader)
{
	static uint8_t image[4096];
	struct guest_mem mem;
	struct boot_layout bl;
	struct tvm_error err = { 0 };

	cr_assert_eq(guest_mem_alloc(&mem, LAYOUT_RAM_BASE, 16ULL << 20, &err), 0, "%s", err.msg);
	memset(image, 0, sizeof(image));
	image[17] = 0x10;			/* image_size 0x1000 (little-endian) */
	image[24] = (uint8_t)flags(3);		/* 64K pages */
	memcpy(image + 56, "ARM\x64", 4);
	cr_assert_eq(loader_load_kernel(&mem, image, sizeof(image), NULL, &bl, &err), 0, "%s", err.msg);
	cr_assert_eq(image_page_kib(bl.image_flags), 64);
	cr_assert_eq(granule_check(bl.image_flags, mmfr0(0, 1, 0xf), &err), -1);
	cr_assert_eq(err.kind, TVM_ERR_IMAGE, "the image's page size, not the loader: %s", err.msg);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_eq(err.errnum, 0);
	cr_assert_eq(granule_check(bl.image_flags, mmfr0(0, 1, 0), &err), 0);
	guest_mem_free(&mem);
}
