// SPDX-License-Identifier: MIT
/* How many IPA bits a VM gets (see ipa.h). */
#include "vmm/arm64/ipa.h"

unsigned int ipa_bits_for(uint64_t top_gpa)
{
	unsigned int bits = IPA_MIN_BITS;

	while (bits < 64 && (top_gpa - 1) >> bits)
		bits++;
	return bits;
}

uint64_t ipa_max_ram(unsigned int bits, uint64_t ram_base)
{
	if (bits >= 64)
		return UINT64_MAX - ram_base;
	return (1ULL << bits) > ram_base ? (1ULL << bits) - ram_base : 0;
}

int ipa_choose(int host_max_bits, uint64_t ram_base, uint64_t ram_bytes, unsigned int *bits,
	       struct tvm_error *err)
{
	unsigned int limit = host_max_bits > 0 ? (unsigned int)host_max_bits : IPA_DEFAULT_BITS;
	unsigned int need = ipa_bits_for(ram_base + ram_bytes);

	if (need > limit)
		return tvm_fail_kind(err, TVM_ERR_INPUT, TVM_EXIT_USAGE,
				     "--mem %llu MiB does not fit this host's %u-bit guest physical address space (KVM IPA limit%s; RAM starts at 0x%llx). Lower --mem to %llu or less",
				     (unsigned long long)(ram_bytes >> 20), limit,
				     host_max_bits > 0 ? "" : ": fixed, no KVM_CAP_ARM_VM_IPA_SIZE",
				     (unsigned long long)ram_base,
				     (unsigned long long)(ipa_max_ram(limit, ram_base) >> 20));
	*bits = need > IPA_DEFAULT_BITS ? need : limit < IPA_DEFAULT_BITS ? limit : IPA_DEFAULT_BITS;
	return 0;
}
