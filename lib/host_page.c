// SPDX-License-Identifier: MIT
/* Host page size and what depends on it (see host_page.h). */
#include "lib/host_page.h"

#include <unistd.h>


uint64_t host_page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? (uint64_t)page : 4096;	/* sysconf cannot fail on Linux */
}

uint64_t host_stage2_block(uint64_t page)
{
	return page * (page / 8);
}
