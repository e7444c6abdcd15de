// SPDX-License-Identifier: MIT
/*
 * CFI NOR flash, Intel/Sharp command set, read-only (see pflash.h).
 * Written from the CFI specification (JEDEC JESD68) and Intel's command
 * set; the geometry matches the flash banks of QEMU's virt board so
 * firmware built for it finds the same part.
 */
#include "devices/pflash.h"

#include "lib/dev_lock.h"

#include <errno.h>
#include <string.h>

#define CFI_DEVICES		(PFLASH_BANK_WIDTH / PFLASH_DEVICE_WIDTH)
/* Largest buffer write, in words of one device (2^6 bytes = 32 words). */
#define CFI_WRITE_BUFFER_LOG2	6
#define BUFFER_WORDS_MAX	((1u << CFI_WRITE_BUFFER_LOG2) / PFLASH_DEVICE_WIDTH)

static void fill_cfi_table(uint8_t *t, uint64_t bank_size)
{
	uint64_t device_size = bank_size / CFI_DEVICES;
	uint64_t block_size = PFLASH_BLOCK_SIZE / CFI_DEVICES;
	uint64_t blocks = device_size / block_size;

	memset(t, 0, PFLASH_CFI_TABLE_SIZE);
	t[0x10] = 'Q';
	t[0x11] = 'R';
	t[0x12] = 'Y';
	t[0x13] = 0x01;			/* primary command set: Intel/Sharp */
	t[0x15] = 0x31;			/* its extended table is at 0x31 */
	t[0x1b] = 0x45;			/* Vcc 4.5-5.5 V, no Vpp */
	t[0x1c] = 0x55;
	t[0x1f] = 0x07;			/* typical timeouts: 2^7 us word write */
	t[0x20] = 0x07;			/* 2^7 us buffer write */
	t[0x21] = 0x0a;			/* 2^10 ms block erase */
	t[0x23] = 0x04;			/* maximum = typical x 2^4 */
	t[0x24] = 0x04;
	t[0x25] = 0x04;
	t[0x27] = (uint8_t)__builtin_ctzll(device_size);
	t[0x28] = 0x02;			/* x8/x16 interface */
	t[0x2a] = CFI_WRITE_BUFFER_LOG2;
	t[0x2c] = 0x01;			/* one uniform erase block region */
	t[0x2d] = (uint8_t)(blocks - 1);
	t[0x2e] = (uint8_t)((blocks - 1) >> 8);
	t[0x2f] = (uint8_t)(block_size >> 8);
	t[0x30] = (uint8_t)(block_size >> 16);
	t[0x31] = 'P';			/* primary extended query, version 1.0 */
	t[0x32] = 'R';
	t[0x33] = 'I';
	t[0x34] = '1';
	t[0x35] = '0';
}

/* One device's 16-bit answer, the same from both devices of the bank. */
static uint32_t both_devices(uint16_t value)
{
	return (uint32_t)value | (uint32_t)value << 16;
}

static uint32_t query_word(const struct pflash *f, uint64_t word)
{
	return word < PFLASH_CFI_TABLE_SIZE ? both_devices(f->cfi[word]) : 0;
}

/* Read-ID mode: identifier codes at word 0/1 and each block's lock bit at 2. */
static uint32_t id_word(uint64_t word_in_block)
{
	switch (word_in_block) {
	case 0:
		return both_devices(PFLASH_MANUFACTURER_ID);
	case 1:
		return both_devices(PFLASH_DEVICE_ID);
	case 2:
		return both_devices(0x01);	/* every block is locked */
	default:
		return 0;
	}
}

/* What a read of the aligned bank word at @offset returns, lock held. */
static uint32_t read_word(const struct pflash *f, uint64_t offset)
{
	uint32_t v;

	switch (f->mode) {
	case PFLASH_READ_ARRAY:
		memcpy(&v, f->array + offset, sizeof(v));
		return v;
	case PFLASH_READ_ID:
		return id_word((offset % PFLASH_BLOCK_SIZE) / PFLASH_BANK_WIDTH);
	case PFLASH_QUERY:
		return query_word(f, offset / PFLASH_BANK_WIDTH);
	default:
		return both_devices(f->status);
	}
}

static void note_odd(struct pflash *f, const char *what, uint64_t offset, uint64_t value)
{
	f->odd_accesses++;
	if (tvm_ratelimit(&f->log_limit))
		tvm_warn("flash: %s at offset 0x%llx (value 0x%llx) ignored",
			 what, (unsigned long long)offset, (unsigned long long)value);
}

static void refuse(struct pflash *f, uint8_t error_bits)
{
	f->refused_writes++;
	f->status |= error_bits | PFLASH_SR_LOCKED;
	f->mode = PFLASH_READ_STATUS;
}

/* A write in a mode that expects data or a confirmation, not a command. */
static bool take_cycle(struct pflash *f, uint8_t cmd)
{
	switch (f->mode) {
	case PFLASH_PROGRAM_DATA:
		refuse(f, PFLASH_SR_PROGRAM_ERROR);
		return true;
	case PFLASH_ERASE_CONFIRM:
		refuse(f, cmd == PFLASH_CMD_CONFIRM ? PFLASH_SR_ERASE_ERROR :
			  PFLASH_SR_ERASE_ERROR | PFLASH_SR_PROGRAM_ERROR);
		return true;
	case PFLASH_BUFFER_COUNT:
		if (cmd >= BUFFER_WORDS_MAX) {
			refuse(f, PFLASH_SR_ERASE_ERROR | PFLASH_SR_PROGRAM_ERROR);
			return true;
		}
		f->buffer_words_left = (uint32_t)cmd + 1;
		f->mode = PFLASH_BUFFER_DATA;
		return true;
	case PFLASH_BUFFER_DATA:
		if (f->buffer_words_left > 0) {
			f->buffer_words_left--;
			return true;
		}
		refuse(f, cmd == PFLASH_CMD_CONFIRM ? PFLASH_SR_PROGRAM_ERROR :
			  PFLASH_SR_ERASE_ERROR | PFLASH_SR_PROGRAM_ERROR);
		return true;
	case PFLASH_LOCK_CONFIRM:
		/* Lock, unlock, lock-down: accepted; the blocks stay read-only. */
		f->mode = PFLASH_READ_STATUS;
		return true;
	default:
		return false;
	}
}

static void write_command(struct pflash *f, uint64_t offset, uint8_t cmd)
{
	if (take_cycle(f, cmd))
		return;
	switch (cmd) {
	case PFLASH_CMD_READ_ARRAY:
	case PFLASH_CMD_AMD_RESET:
		f->mode = PFLASH_READ_ARRAY;
		break;
	case PFLASH_CMD_READ_ID:
		f->mode = PFLASH_READ_ID;
		break;
	case PFLASH_CMD_QUERY:
		f->mode = PFLASH_QUERY;
		break;
	case PFLASH_CMD_READ_STATUS:
		f->mode = PFLASH_READ_STATUS;
		break;
	case PFLASH_CMD_CLEAR_STATUS:
		f->status = PFLASH_SR_READY;
		break;
	case PFLASH_CMD_PROGRAM:
	case PFLASH_CMD_PROGRAM_ALT:
		f->mode = PFLASH_PROGRAM_DATA;
		break;
	case PFLASH_CMD_BLOCK_ERASE:
		f->mode = PFLASH_ERASE_CONFIRM;
		break;
	case PFLASH_CMD_BUFFER_WRITE:
		f->mode = PFLASH_BUFFER_COUNT;
		break;
	case PFLASH_CMD_LOCK_SETUP:
		f->mode = PFLASH_LOCK_CONFIRM;
		break;
	default:
		/* Unknown commands put a real part back in read-array mode. */
		note_odd(f, "unknown command", offset, cmd);
		f->mode = PFLASH_READ_ARRAY;
		break;
	}
}

/*
 * Bring the memory slot in line with the mode: mapped exactly in
 * read-array mode. map_lock orders the calls so the last mode wins; the
 * device lock is not held across set_mapped() (a KVM ioctl).
 */
static void sync_mapping(struct pflash *f)
{
	bool want;

	if (!f->ops.set_mapped)
		return;
	pthread_mutex_lock(&f->map_lock);
	dev_lock(&f->lock);
	want = f->mode == PFLASH_READ_ARRAY;
	dev_unlock(&f->lock);
	if (want != f->mapped) {
		if (f->ops.set_mapped(f->ops.opaque, want) == 0)
			f->mapped = want;
		else
			tvm_warn("flash: cannot %s the flash contents: %s",
				 want ? "map" : "unmap", strerror(errno));
	}
	pthread_mutex_unlock(&f->map_lock);
}

static void read_bytes(struct pflash *f, uint64_t offset, uint8_t *data, unsigned int len)
{
	for (unsigned int done = 0; done < len;) {
		uint64_t at = offset + done;
		uint64_t word_offset = at & ~(uint64_t)(PFLASH_BANK_WIDTH - 1);
		unsigned int skip = (unsigned int)(at - word_offset);
		unsigned int n = PFLASH_BANK_WIDTH - skip;
		uint32_t word = read_word(f, word_offset);

		if (n > len - done)
			n = len - done;
		memcpy(data + done, (uint8_t *)&word + skip, n);
		done += n;
	}
}

void pflash_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		 bool is_write)
{
	struct pflash *f = opaque;

	if (len == 0 || len > 8 || offset >= f->size || len > f->size - offset) {
		if (!is_write)
			memset(data, 0, len);
		dev_lock(&f->lock);
		note_odd(f, "access outside the bank", offset, len);
		dev_unlock(&f->lock);
		return;
	}
	dev_lock(&f->lock);
	if (is_write)
		write_command(f, offset, data[0]);
	else
		read_bytes(f, offset, data, len);
	dev_unlock(&f->lock);
	if (is_write)
		sync_mapping(f);
}

int pflash_init(struct pflash *flash, const uint8_t *array, uint64_t size,
		const struct pflash_ops *ops)
{
	if (size == 0 || size % PFLASH_BLOCK_SIZE || (size & (size - 1))) {
		errno = EINVAL;
		return -1;
	}
	memset(flash, 0, sizeof(*flash));
	pthread_mutex_init(&flash->lock, NULL);
	pthread_mutex_init(&flash->map_lock, NULL);
	if (ops)
		flash->ops = *ops;
	flash->array = array;
	flash->size = size;
	fill_cfi_table(flash->cfi, size);
	flash->mode = PFLASH_READ_ARRAY;
	flash->status = PFLASH_SR_READY;
	flash->mapped = true;		/* the VM maps the slot before boot */
	flash->log_limit = (struct tvm_ratelimit)TVM_RATELIMIT_INIT(8, 60);
	return 0;
}

void pflash_destroy(struct pflash *flash)
{
	pthread_mutex_destroy(&flash->lock);
	pthread_mutex_destroy(&flash->map_lock);
}

void pflash_reset(struct pflash *flash)
{
	dev_lock(&flash->lock);
	flash->mode = PFLASH_READ_ARRAY;
	flash->status = PFLASH_SR_READY;
	flash->buffer_words_left = 0;
	dev_unlock(&flash->lock);
	sync_mapping(flash);
}
