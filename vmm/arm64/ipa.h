/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_IPA_H
#define TINYVMM_IPA_H

#include <stdint.h>

#include "lib/util.h"

/*
 * The guest's intermediate physical address (IPA) space: guest RAM sits at
 * the board's RAM base up, so --mem decides how many IPA bits the VM needs.
 * Hosts differ: 40 bits fixed before KVM_CAP_ARM_VM_IPA_SIZE, 36 on Apple
 * M1, 44 or 48 on most servers. Pure, for the unit tests.
 */
#define IPA_DEFAULT_BITS	40	/* KVM's size for VM type 0 */
#define IPA_MIN_BITS		32	/* KVM's smallest (ARM64_MIN_PARANGE_BITS) */

/* Bits needed to address everything below @top_gpa (at least IPA_MIN_BITS). */
unsigned int ipa_bits_for(uint64_t top_gpa);

/* Guest RAM in bytes from @ram_base that fits in an IPA space of @bits. */
uint64_t ipa_max_ram(unsigned int bits, uint64_t ram_base);

/*
 * The IPA size to create the VM with for @ram_bytes of guest RAM at @ram_base, given the
 * host's KVM_CAP_ARM_VM_IPA_SIZE (@host_max_bits; 0 when KVM lacks the
 * capability and the size is fixed at 40). The default 40 when it fits and
 * the host allows it; the host's limit below that (KVM refuses type 0 when
 * its limit is under 40); more only when RAM needs it. A usage error naming
 * the host's limit when the RAM does not fit.
 */
int ipa_choose(int host_max_bits, uint64_t ram_base, uint64_t ram_bytes, unsigned int *bits,
	       struct tvm_error *err);

#endif
