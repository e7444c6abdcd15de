// SPDX-License-Identifier: MIT
/* The guest memory map against the host's page size (see layout_check.h). */
#include "vmm/arm64/layout_check.h"

#include "vmm/arm64/layout.h"

/* KVM wants the vGIC frames 64 KiB-aligned (arm-vgic-v3.rst, arm-vgic.rst). */
#define GIC_FRAME_ALIGN 0x10000ULL

struct region {
	const char *what;
	uint64_t base, size, align;
	enum tvm_err_kind kind;	/* --mem can fix RAM; the fixed frames need another host */
	const char *fix;
};

int layout_check_host_page(const struct board *b, uint64_t page, uint64_t ram_bytes,
			   struct tvm_error *err)
{
	static const char fixed_map[] =
		"tinyvmm's memory map supports 4K, 16K and 64K host pages only. Run a host kernel with one of those";
	/* The GICv2 CPU interface is the frame KVM maps with host pages (GICV). */
	const struct region regions[] = {
		{ "guest RAM", b->ram_base, ram_bytes, page, TVM_ERR_INPUT,
		  "Give --mem as a multiple of the host page size" },
		{ "GIC distributor", b->gic_dist.base, b->gic_dist.size, GIC_FRAME_ALIGN,
		  TVM_ERR_HOST, fixed_map },
		{ "GICv2 CPU interface", b->gicv2_cpu.base, 0,
		  page > GIC_FRAME_ALIGN ? page : GIC_FRAME_ALIGN, TVM_ERR_HOST, fixed_map },
		{ "GICv3 redistributors", b->gicv3_redist_base, LAYOUT_GICV3_REDIST_SIZE_PER_CPU,
		  GIC_FRAME_ALIGN, TVM_ERR_HOST, fixed_map },
	};

	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		const struct region *r = &regions[i];

		if (r->base % r->align || r->size % r->align)
			return tvm_fail_kind(err, r->kind, TVM_EXIT_USAGE,
					     "%s at 0x%llx (%llu KiB) is not %llu KiB-aligned as this host's %llu KiB pages need. %s",
					     r->what, (unsigned long long)r->base,
					     (unsigned long long)(r->size >> 10),
					     (unsigned long long)(r->align >> 10),
					     (unsigned long long)(page >> 10), r->fix);
	}
	return 0;
}
