// SPDX-License-Identifier: MIT
/* The guest memory map and guest RAM's host alignment at 4K, 16K and 64K host pages. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "lib/host_page.h"
#include "vmm/arm64/layout_check.h"
#include "vmm/arm64/board.h"
#include "vmm/arm64/layout.h"

#define KIB 1024ULL
#define MIB (1024 * KIB)

static const uint64_t pages[] = { 4 * KIB, 16 * KIB, 64 * KIB };

Test(host_page, the_real_page_size_is_queried)
{
	cr_assert_eq(host_page_size(), (uint64_t)sysconf(_SC_PAGESIZE));
}

Test(host_page, stage2_block_per_page_size)
{
	cr_assert_eq(host_stage2_block(4 * KIB), 2 * MIB);
	cr_assert_eq(host_stage2_block(16 * KIB), 32 * MIB);
	cr_assert_eq(host_stage2_block(64 * KIB), 512 * MIB);
}

/* Every --mem (whole MiB) works with the map at every arm64 page size. */
Test(host_page, the_map_fits_4k_16k_and_64k_pages)
{
	static const uint64_t mems[] = { 16 * MIB, 17 * MIB, 256 * MIB, 513 * MIB, 62 * 1024 * MIB };

	for (unsigned int p = 0; p < 3; p++)
		for (unsigned int m = 0; m < sizeof(mems) / sizeof(mems[0]); m++) {
			struct tvm_error err = { 0 };

			cr_assert_eq(layout_check_host_page(board_get(BOARD_TINYVMM), pages[p], mems[m], &err), 0,
				     "%llu KiB pages, %llu MiB: %s", (unsigned long long)(pages[p] >> 10),
				     (unsigned long long)(mems[m] >> 20), err.msg);
		}
}

/* The GIC frames and the RAM base are aligned to the largest page (64K), and
 * the RAM base to the largest stage-2 block, so huge pages work everywhere. */
Test(host_page, frame_alignment_at_64k)
{
	cr_assert_eq(LAYOUT_GIC_DIST_BASE % (64 * KIB), 0);
	cr_assert_eq(LAYOUT_GICV2_CPU_BASE % (64 * KIB), 0);
	cr_assert_eq(LAYOUT_GICV3_REDIST_BASE % (64 * KIB), 0);
	cr_assert_eq(LAYOUT_RAM_BASE % host_stage2_block(64 * KIB), 0);
}

Test(host_page, a_ram_size_off_the_page_is_refused)
{
	struct tvm_error err = { 0 };

	cr_assert_eq(layout_check_host_page(board_get(BOARD_TINYVMM), 64 * KIB, 16 * MIB + 4 * KIB, &err), -1);
	cr_assert_eq(err.code, TVM_EXIT_USAGE);
	cr_assert_eq(err.kind, TVM_ERR_INPUT, "--mem can fix it");
	cr_assert_str_eq(err.msg, "guest RAM at 0x80000000 (16388 KiB) is not 64 KiB-aligned as this host's 64 KiB pages need. Give --mem as a multiple of the host page size");
	cr_assert_eq(layout_check_host_page(board_get(BOARD_TINYVMM), 4 * KIB, 16 * MIB + 4 * KIB, &err), 0);
}

/* A page size arm64 does not have (128K) breaks the fixed GICv2 frame: said, not ignored. */
Test(host_page, an_unsupported_page_size_is_named)
{
	struct tvm_error err = { 0 };

	cr_assert_eq(layout_check_host_page(board_get(BOARD_TINYVMM), 128 * KIB, 256 * MIB, &err), -1);
	cr_assert_eq(err.kind, TVM_ERR_HOST, "no option fixes a fixed frame: %s", err.msg);
	cr_assert_not_null(strstr(err.msg, "GICv2 CPU interface at 0x8010000"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "supports 4K, 16K and 64K host pages only"));
}
