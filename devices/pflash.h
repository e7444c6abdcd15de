/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_PFLASH_H
#define TINYVMM_PFLASH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/util.h"

/*
 * A CFI NOR flash bank with the Intel/Sharp command set (CFI primary
 * command set 0x0001), laid out as QEMU's virt board has its two flash
 * banks: a 32-bit bank of two interleaved x16 devices, uniform 256 KiB
 * erase blocks (128 KiB per device), manufacturer 0x89, device 0x18.
 *
 * The array is read-only: firmware runs from it (--bios), nothing is ever
 * programmed. In read-array mode the VM maps the contents as a read-only
 * memory slot, so the guest reads it at memory speed and only its writes
 * (commands) trap. Any command that changes what reads return (query, ID,
 * status) asks the VM to unmap the slot, so reads trap here too, and back
 * to read-array maps it again: what firmware sees is what a real part
 * answers. Program and erase are refused the way a locked block refuses
 * them: the status register reports the error and the block lock bit.
 */
#define PFLASH_BANK_WIDTH	4		/* bytes per bus access */
#define PFLASH_DEVICE_WIDTH	2		/* each x16 device's share */
#define PFLASH_BLOCK_SIZE	0x40000ULL	/* erase block of the bank */
#define PFLASH_MANUFACTURER_ID	0x89
#define PFLASH_DEVICE_ID	0x18

/* Status register bits (one device's byte, replicated per device). */
#define PFLASH_SR_READY		0x80
#define PFLASH_SR_ERASE_ERROR	0x20
#define PFLASH_SR_PROGRAM_ERROR	0x10
#define PFLASH_SR_LOCKED	0x02

/* Commands (the low byte of a write; both devices get the same). */
#define PFLASH_CMD_READ_ARRAY	0xff
#define PFLASH_CMD_READ_ID	0x90
#define PFLASH_CMD_QUERY	0x98
#define PFLASH_CMD_READ_STATUS	0x70
#define PFLASH_CMD_CLEAR_STATUS	0x50
#define PFLASH_CMD_PROGRAM	0x40
#define PFLASH_CMD_PROGRAM_ALT	0x10
#define PFLASH_CMD_BUFFER_WRITE	0xe8
#define PFLASH_CMD_BLOCK_ERASE	0x20
#define PFLASH_CMD_CONFIRM	0xd0
#define PFLASH_CMD_LOCK_SETUP	0x60
#define PFLASH_CMD_AMD_RESET	0xf0	/* probes for AMD parts send it: read array */

/* The CFI query table of one device, one byte per CFI address. */
#define PFLASH_CFI_TABLE_SIZE	0x40

enum pflash_mode {
	PFLASH_READ_ARRAY,
	PFLASH_READ_ID,
	PFLASH_QUERY,
	PFLASH_READ_STATUS,
	PFLASH_PROGRAM_DATA,	/* 0x40: the next write is the data word */
	PFLASH_ERASE_CONFIRM,	/* 0x20: the next write must be 0xd0 */
	PFLASH_BUFFER_COUNT,	/* 0xe8: the next write is the word count - 1 */
	PFLASH_BUFFER_DATA,	/* words of the buffer, then 0xd0 */
	PFLASH_LOCK_CONFIRM,	/* 0x60: the next write picks lock/unlock */
};

struct pflash_ops {
	/*
	 * Map (true) or unmap (false) the array as a read-only memory slot.
	 * Called without the flash's lock held; may block briefly (a KVM
	 * memory-slot change). Optional: without it every read traps.
	 */
	int (*set_mapped)(void *opaque, bool mapped);
	void *opaque;
};

struct pflash {
	pthread_mutex_t lock;
	pthread_mutex_t map_lock;	/* orders set_mapped() calls */
	struct pflash_ops ops;
	const uint8_t *array;		/* @size bytes, owned by the caller */
	uint64_t size;
	uint8_t cfi[PFLASH_CFI_TABLE_SIZE];	/* filled once, from the geometry */
	enum pflash_mode mode;
	uint8_t status;
	uint32_t buffer_words_left;
	bool mapped;			/* what set_mapped() was last told */
	unsigned long refused_writes;	/* program/erase attempts */
	unsigned long odd_accesses;	/* widths or commands not understood */
	struct tvm_ratelimit log_limit;
};

/*
 * @array holds @size bytes (a multiple of PFLASH_BLOCK_SIZE) and must stay
 * valid while the flash exists. Starts at power-on: read-array mode.
 */
int pflash_init(struct pflash *flash, const uint8_t *array, uint64_t size,
		const struct pflash_ops *ops);
void pflash_destroy(struct pflash *flash);

/* Power-on state (a guest reboot): read-array mode, status clear, mapped. */
void pflash_reset(struct pflash *flash);

/* MMIO handler (struct mmio_bus signature); @offset is from the bank base. */
void pflash_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		 bool is_write);

#endif
