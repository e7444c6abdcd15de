// SPDX-License-Identifier: MIT
/* IPA size for a given --mem on hosts with different KVM IPA limits. */
#include <criterion/criterion.h>
#include <string.h>

#include "vmm/arm64/ipa.h"
#include "vmm/arm64/layout.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

static unsigned int choose_ok(int host_max, uint64_t ram)
{
	struct tvm_error err = { 0 };
	unsigned int bits = 0;

	cr_assert_eq(ipa_choose(host_max, LAYOUT_RAM_BASE, ram, &bits, &err), 0, "host %d, %llu MiB: %s", host_max,
		     (unsigned long long)(ram >> 20), err.msg);
	return bits;
}

static struct tvm_error choose_fails(int host_max, uint64_t ram)
{
	struct tvm_error err = { 0 };
	unsigned int bits = 0;

	cr_assert_eq(ipa_choose(host_max, LAYOUT_RAM_BASE, ram, &bits, &err), -1, "host %d, %llu MiB fitted",
		     host_max, (unsigned long long)(ram >> 20));
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_eq(err.kind, TVM_ERR_INPUT);
	cr_assert_eq(err.errnum, 0);
	return err;
}

Test(ipa, bits_for_the_top_of_ram)
{
	cr_assert_eq(ipa_bits_for(LAYOUT_RAM_BASE + 512 * MIB), 32);
	cr_assert_eq(ipa_bits_for(1ULL << 32), 32);
	cr_assert_eq(ipa_bits_for((1ULL << 32) + 1), 33);
	cr_assert_eq(ipa_bits_for(1ULL << 36), 36);
	cr_assert_eq(ipa_bits_for((1ULL << 36) + 4096), 37);
}

Test(ipa, max_ram_per_size)
{
	cr_assert_eq(ipa_max_ram(32, LAYOUT_RAM_BASE), 2 * GIB);
	cr_assert_eq(ipa_max_ram(36, LAYOUT_RAM_BASE), 64 * GIB - 2 * GIB);
	cr_assert_eq(ipa_max_ram(40, LAYOUT_RAM_BASE), 1024 * GIB - 2 * GIB);
	cr_assert_eq(ipa_max_ram(31, LAYOUT_RAM_BASE), 0, "RAM starts at 2 GiB: nothing fits in 31 bits");
}

/* 40 bits (KVM's default) whenever the host allows it and the RAM fits. */
Test(ipa, default_40_bits)
{
	cr_assert_eq(choose_ok(0, 512 * MIB), 40);
	cr_assert_eq(choose_ok(40, 512 * MIB), 40);
	cr_assert_eq(choose_ok(48, 512 * MIB), 40);
	cr_assert_eq(choose_ok(48, ipa_max_ram(40, LAYOUT_RAM_BASE)), 40);
}

/* Apple M1: KVM's limit is 36 bits and it refuses the 40-bit default. */
Test(ipa, m1_36_bits)
{
	struct tvm_error err;

	cr_assert_eq(choose_ok(36, 512 * MIB), 36);
	cr_assert_eq(choose_ok(36, ipa_max_ram(36, LAYOUT_RAM_BASE)), 36, "62 GiB fits exactly");
	err = choose_fails(36, ipa_max_ram(36, LAYOUT_RAM_BASE) + MIB);
	cr_assert_str_eq(err.msg, "--mem 63489 MiB does not fit this host's 36-bit guest physical address space (KVM IPA limit; RAM starts at 0x80000000). Lower --mem to 63488 or less");
}

Test(ipa, above_40_bits_only_when_needed_and_allowed)
{
	cr_assert_eq(choose_ok(48, ipa_max_ram(40, LAYOUT_RAM_BASE) + MIB), 41);
	cr_assert_eq(choose_ok(44, ipa_max_ram(44, LAYOUT_RAM_BASE)), 44);
	choose_fails(44, ipa_max_ram(44, LAYOUT_RAM_BASE) + MIB);
}

Test(ipa, no_capability_is_fixed_40_bits)
{
	struct tvm_error err = choose_fails(0, ipa_max_ram(40, LAYOUT_RAM_BASE) + MIB);

	cr_assert_not_null(strstr(err.msg, "40-bit guest physical address space (KVM IPA limit: fixed, no KVM_CAP_ARM_VM_IPA_SIZE"),
			   "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "Lower --mem to 1046528 or less"));
}

/* The host's own limit sizes even a VM with no RAM (tinyvmm check's scratch VM). */
Test(ipa, no_ram)
{
	cr_assert_eq(choose_ok(36, 0), 36);
	cr_assert_eq(choose_ok(0, 0), 40);
	cr_assert_eq(choose_ok(32, 0), 32);
}
