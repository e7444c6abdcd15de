// SPDX-License-Identifier: MIT
/*
 * The CFI flash bank firmware boots from (--bios): what a CFI probe, an ID
 * read and refused program/erase sequences see through the MMIO bus, and
 * when the VM is asked to map or unmap the contents.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "devices/mmio_bus.h"
#include "devices/pflash.h"

#define BANK_BASE 0x0ULL
#define BANK_SIZE (64ULL << 20)

static struct mmio_bus bus;
static struct pflash flash;
static uint8_t *array;
static int map_calls;
static bool slot_mapped;

static int set_mapped(void *opaque, bool mapped)
{
	cr_assert_eq(opaque, &flash);
	/* Called without the device lock: taking it here must not deadlock. */
	cr_assert_eq(pthread_mutex_trylock(&flash.lock), 0);
	pthread_mutex_unlock(&flash.lock);
	map_calls++;
	slot_mapped = mapped;
	return 0;
}

static void setup(void)
{
	struct pflash_ops ops = { .set_mapped = set_mapped, .opaque = &flash };

	array = malloc(BANK_SIZE);
	cr_assert_not_null(array);
	for (uint64_t i = 0; i < BANK_SIZE; i += 4096)
		memset(array + i, (int)(i >> 12) & 0xff, 4096);
	memcpy(array, "\x14\x00\x00\x14", 4);	/* a branch, as firmware starts */
	memset(&bus, 0, sizeof(bus));
	map_calls = 0;
	slot_mapped = true;
	cr_assert_eq(pflash_init(&flash, array, BANK_SIZE, &ops), 0);
	cr_assert_eq(mmio_bus_register(&bus, BANK_BASE, BANK_SIZE, pflash_mmio, &flash,
				       "flash0"), 0);
}

static void teardown(void)
{
	pflash_destroy(&flash);
	free(array);
}

TestSuite(pflash, .init = setup, .fini = teardown);

static void write32(uint64_t offset, uint32_t v)
{
	uint8_t data[4] = { v, v >> 8, v >> 16, v >> 24 };

	mmio_bus_access(&bus, BANK_BASE + offset, data, 4, true);
}

static uint32_t read32(uint64_t offset)
{
	uint8_t data[4];

	mmio_bus_access(&bus, BANK_BASE + offset, data, 4, false);
	return (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
	       (uint32_t)data[3] << 24;
}

/* CFI address @a of each x16 device, on the 32-bit bank. */
static uint32_t cfi(unsigned int a)
{
	return read32((uint64_t)a * PFLASH_BANK_WIDTH);
}

Test(pflash, reads_the_array_at_power_on)
{
	cr_assert_eq(read32(0), 0x14000014);
	cr_assert_eq(read32(0x5000), 0x05050505);
	cr_assert_eq(map_calls, 0);
	cr_assert(slot_mapped);
}

Test(pflash, cfi_query_answers_qry_and_the_geometry)
{
	write32(0x55 * 4, 0x00980098);
	cr_assert_eq(map_calls, 1);
	cr_assert_not(slot_mapped, "query mode must unmap the slot so reads trap");
	cr_assert_eq(cfi(0x10), 0x00510051);	/* 'Q' from both devices */
	cr_assert_eq(cfi(0x11), 0x00520052);
	cr_assert_eq(cfi(0x12), 0x00590059);
	cr_assert_eq(cfi(0x13), 0x00010001);	/* Intel/Sharp command set */
	cr_assert_eq(cfi(0x27), 0x00190019);	/* 2^25: 32 MiB per device */
	cr_assert_eq(cfi(0x2c), 0x00010001);	/* one erase region */
	cr_assert_eq(cfi(0x2d), 0x00ff00ff);	/* 256 blocks */
	cr_assert_eq(cfi(0x2e), 0);
	cr_assert_eq(cfi(0x2f), 0);		/* 128 KiB per device: 0x0200 x 256 */
	cr_assert_eq(cfi(0x30), 0x00020002);
	cr_assert_eq(cfi(0x31), 0x00500050);	/* 'P' of PRI */
	cr_assert_eq(cfi(0x1000), 0, "past the table reads 0");

	write32(0, 0x00ff00ff);
	cr_assert(slot_mapped);
	cr_assert_eq(map_calls, 2);
	cr_assert_eq(read32(0), 0x14000014);
}

Test(pflash, byte_reads_in_query_mode_pick_the_bytes_of_the_word)
{
	uint8_t b[2];

	write32(0, PFLASH_CMD_QUERY);
	mmio_bus_access(&bus, 0x10 * 4, b, 1, false);
	cr_assert_eq(b[0], 'Q');
	mmio_bus_access(&bus, 0x10 * 4 + 2, b, 2, false);
	cr_assert_eq(b[0], 'Q');
	cr_assert_eq(b[1], 0);
}

Test(pflash, read_id_gives_the_codes_and_lock_bits)
{
	write32(0, PFLASH_CMD_READ_ID);
	cr_assert_eq(read32(0), 0x00890089);
	cr_assert_eq(read32(4), 0x00180018);
	cr_assert_eq(read32(PFLASH_BLOCK_SIZE * 3 + 8), 0x00010001, "block 3 locked");
	write32(0, PFLASH_CMD_AMD_RESET);	/* AMD-style reset: read array too */
	cr_assert_eq(read32(0), 0x14000014);
}

Test(pflash, program_is_refused_and_reported_in_status)
{
	write32(0x100, PFLASH_CMD_PROGRAM);
	write32(0x100, 0xdeadbeef);
	cr_assert_eq(read32(0x100), PFLASH_SR_READY | PFLASH_SR_PROGRAM_ERROR |
		     PFLASH_SR_LOCKED | (uint32_t)(PFLASH_SR_READY | PFLASH_SR_PROGRAM_ERROR |
						   PFLASH_SR_LOCKED) << 16);
	cr_assert_eq(flash.refused_writes, 1);
	write32(0, PFLASH_CMD_CLEAR_STATUS);
	cr_assert_eq(read32(0) & 0xff, PFLASH_SR_READY);
	write32(0, PFLASH_CMD_READ_ARRAY);
	cr_assert_eq(read32(0x100), 0x00000000, "the array is unchanged");
}

Test(pflash, erase_is_refused_and_bad_confirm_is_a_sequence_error)
{
	write32(0, PFLASH_CMD_BLOCK_ERASE);
	write32(0, PFLASH_CMD_CONFIRM);
	cr_assert_eq(read32(0) & 0xff, PFLASH_SR_READY | PFLASH_SR_ERASE_ERROR | PFLASH_SR_LOCKED);
	write32(0, PFLASH_CMD_CLEAR_STATUS);
	write32(0, PFLASH_CMD_BLOCK_ERASE);
	write32(0, 0x12);
	cr_assert_eq(read32(0) & 0x30, PFLASH_SR_ERASE_ERROR | PFLASH_SR_PROGRAM_ERROR);
	cr_assert_eq(read32(0x5000), read32(0), "status mode: every address reads status");
}

Test(pflash, buffer_write_consumes_its_data_words_then_refuses)
{
	write32(0, PFLASH_CMD_BUFFER_WRITE);
	write32(0, 3);				/* four words follow */
	for (int i = 0; i < 4; i++)
		write32(4 * i, PFLASH_CMD_READ_ARRAY);	/* data, not commands */
	cr_assert_eq(flash.mode, PFLASH_BUFFER_DATA);
	write32(0, PFLASH_CMD_CONFIRM);
	cr_assert_eq(read32(0) & 0xff, PFLASH_SR_READY | PFLASH_SR_PROGRAM_ERROR | PFLASH_SR_LOCKED);
	cr_assert_eq(flash.refused_writes, 1);
}

Test(pflash, buffer_count_beyond_the_buffer_is_refused)
{
	write32(0, PFLASH_CMD_BUFFER_WRITE);
	write32(0, 0xffff);
	cr_assert_eq(flash.mode, PFLASH_READ_STATUS);
	cr_assert_eq(read32(0) & 0x30, PFLASH_SR_ERASE_ERROR | PFLASH_SR_PROGRAM_ERROR);
}

Test(pflash, unknown_command_returns_to_read_array_and_is_counted)
{
	write32(0, PFLASH_CMD_QUERY);
	write32(0, 0x42);
	cr_assert_eq(flash.mode, PFLASH_READ_ARRAY);
	cr_assert_eq(flash.odd_accesses, 1);
	cr_assert(slot_mapped);
}

Test(pflash, accesses_past_the_bank_read_zero_and_do_nothing)
{
	uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	pflash_mmio(&flash, BANK_SIZE - 2, data, 4, false);
	cr_assert_eq(data[0], 0);
	pflash_mmio(&flash, BANK_SIZE, data, 4, true);
	cr_assert_eq(flash.mode, PFLASH_READ_ARRAY);
	cr_assert_eq(flash.odd_accesses, 2);
}

Test(pflash, reset_is_power_on)
{
	write32(0, PFLASH_CMD_PROGRAM);
	write32(0, 0);
	cr_assert_not(slot_mapped);
	pflash_reset(&flash);
	cr_assert(slot_mapped);
	cr_assert_eq(flash.mode, PFLASH_READ_ARRAY);
	cr_assert_eq(flash.status, PFLASH_SR_READY);
	cr_assert_eq(read32(0), 0x14000014);
}

Test(pflash, init_refuses_sizes_that_are_not_whole_blocks)
{
	struct pflash f;

	cr_assert_eq(pflash_init(&f, array, PFLASH_BLOCK_SIZE + 4096, NULL), -1);
	cr_assert_eq(pflash_init(&f, array, 0, NULL), -1);
	cr_assert_eq(pflash_init(&f, array, PFLASH_BLOCK_SIZE * 3, NULL), -1);
}
