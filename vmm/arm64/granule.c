// SPDX-License-Identifier: MIT
/* Can this CPU run a kernel built for that page size? (see granule.h) */
#include "vmm/arm64/granule.h"

#include <stdio.h>

/* ID_AA64MMFR0_EL1 fields (Arm ARM D19.2): 4-bit values. */
#define MMFR0_TGRAN4_SHIFT	28	/* 0 yes, 1 yes with 52-bit, 0xf no */
#define MMFR0_TGRAN64_SHIFT	24	/* 0 yes, 0xf no */
#define MMFR0_TGRAN16_SHIFT	20	/* 0 no, 1 yes, 2 yes with 52-bit */

#define IMAGE_FLAGS_PAGE_SHIFT	1
#define IMAGE_FLAGS_PAGE_MASK	0x3

static unsigned int field(uint64_t reg, unsigned int shift)
{
	return (unsigned int)(reg >> shift) & 0xf;
}

unsigned int image_page_kib(uint64_t header_flags)
{
	static const unsigned int kib[4] = { 0, 4, 16, 64 };

	return kib[(header_flags >> IMAGE_FLAGS_PAGE_SHIFT) & IMAGE_FLAGS_PAGE_MASK];
}

unsigned int mmfr0_granules(uint64_t mmfr0)
{
	unsigned int g = 0, t4 = field(mmfr0, MMFR0_TGRAN4_SHIFT);
	unsigned int t16 = field(mmfr0, MMFR0_TGRAN16_SHIFT);

	/* Values the architecture reserves count as "not implemented". */
	if (t4 == 0 || t4 == 1)
		g |= GRANULE_4K;
	if (t16 == 1 || t16 == 2)
		g |= GRANULE_16K;
	if (field(mmfr0, MMFR0_TGRAN64_SHIFT) == 0)
		g |= GRANULE_64K;
	return g;
}

const char *granule_list(unsigned int granules, const char *conj, char *buf, size_t size)
{
	static const char *const names[3] = { "4K", "16K", "64K" };
	const char *picked[3];
	unsigned int n = 0;

	for (int i = 0; i < 3; i++)
		if (granules & (1U << i))
			picked[n++] = names[i];
	if (n == 0)
		snprintf(buf, size, "no");
	else if (n == 1)
		snprintf(buf, size, "%s", picked[0]);
	else if (n == 2)
		snprintf(buf, size, "%s %s %s", picked[0], conj, picked[1]);
	else
		snprintf(buf, size, "%s, %s %s %s", picked[0], picked[1], conj, picked[2]);
	return buf;
}

int granule_check(uint64_t header_flags, uint64_t mmfr0, struct tvm_error *err)
{
	unsigned int kib = image_page_kib(header_flags), have = mmfr0_granules(mmfr0);
	unsigned int need = kib == 4 ? GRANULE_4K : kib == 16 ? GRANULE_16K : GRANULE_64K;
	char and_list[32], or_list[32];

	/* 0: the kernel does not say (before Linux 3.17); let it try. */
	if (!kib || (have & need))
		return 0;
	if (!have)
		return tvm_fail_kind(err, TVM_ERR_KVM, TVM_EXIT_ERROR,
				     "kernel: built for %uK pages, but this CPU reports no translation granule (ID_AA64MMFR0_EL1 0x%llx). The host KVM is broken",
				     kib, (unsigned long long)mmfr0);
	return tvm_fail_kind(err, TVM_ERR_IMAGE, TVM_EXIT_USAGE,
			     "kernel: built for %uK pages, but this CPU supports %s pages only. Use a kernel built for %s pages",
			     kib, granule_list(have, "and", and_list, sizeof(and_list)),
			     granule_list(have, "or", or_list, sizeof(or_list)));
}
