/* SPDX-License-Identifier: MIT */
/*
 * Body of fuzz_split_ring and fuzz_packed_ring (RING_PACKED selects the
 * format). The input is a queue configuration, a list of device operations
 * interleaved with guest writes to the rings, and the guest RAM image:
 *
 *   u16 size, u8 flags (1 EVENT_IDX, 2 INDIRECT), u16 desc_off,
 *   u16 driver_off, u16 device_off, u8 nops, nops x {u8 op, u8 a, u16 b},
 *   then the first bytes of the 64 KiB guest RAM (rest zero).
 *
 * The device side uses the virtq API as the real devices do (pop, push of
 * popped chains in any order, LIFO unpop before any push, interrupt and
 * kick suppression, reset); the guest side is entirely hostile.
 */
#ifndef TINYVMM_FUZZ_RING_H
#define TINYVMM_FUZZ_RING_H

#include "fuzz_common.h"

#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	0x10000ULL
#define MAX_HELD	32

static struct guest_mem mem;
static struct virtq_chain held[MAX_HELD];

enum ring_op {
	OP_POP, OP_PUSH, OP_UNPOP, OP_SHOULD_INTERRUPT, OP_SET_KICKS, OP_HAS_AVAIL,
	OP_GUEST_DRIVER16, OP_GUEST_DESC16, OP_GUEST_BYTE, OP_RESET, OP_COUNT
};

static void configure(struct virtq *vq, uint16_t size, uint8_t flags, uint16_t d,
		      uint16_t dr, uint16_t dv)
{
	virtq_reset(vq);
	vq->mem = &mem;
	vq->packed = RING_PACKED;
	vq->size = size;
	vq->event_idx = flags & 1;
	vq->indirect = flags & 2;
	vq->desc_gpa = RAM_BASE + d;
	vq->driver_gpa = RAM_BASE + dr;
	vq->device_gpa = RAM_BASE + dv;
}

static void guest_write16(uint64_t off, uint16_t v)
{
	if (off + 2 <= RAM_SIZE)
		memcpy(mem.host + off, &v, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct virtq vq;
	uint16_t qsize = fz_u16(&f) % (VIRTQ_MAX_SIZE + 1);
	uint8_t flags = fz_u8(&f);
	uint16_t d = fz_u16(&f), dr = fz_u16(&f), dv = fz_u16(&f);
	unsigned int nops = fz_u8(&f), nheld = 0, unpoppable = 0;
	const uint8_t *ops = f.p;

	if (f.n < 4 * (size_t)nops)
		nops = (unsigned int)(f.n / 4);
	f.p += 4 * nops;
	f.n -= 4 * nops;
	fz_mem_load(&mem, RAM_BASE, RAM_SIZE, f.p, f.n);
	configure(&vq, qsize, flags, d, dr, dv);
	if (virtq_start(&vq))
		return 0;
	FZ_CHECK(fz_in_ram(&mem, vq.desc, virtq_desc_bytes(RING_PACKED, vq.size)));
	FZ_CHECK(fz_in_ram(&mem, vq.driver, virtq_driver_bytes(RING_PACKED, vq.size)));
	FZ_CHECK(fz_in_ram(&mem, vq.device, virtq_device_bytes(RING_PACKED, vq.size)));
	for (unsigned int i = 0; i < nops; i++) {
		const uint8_t *op = ops + 4 * i;
		uint8_t a = op[1];
		uint16_t b = (uint16_t)(op[2] | op[3] << 8);

		switch (op[0] % OP_COUNT) {
		case OP_POP:
			if (nheld == MAX_HELD)
				break;
			if (virtq_pop(&vq, &held[nheld]) == VIRTQ_GOT_CHAIN) {
				fz_check_chain(&vq, &held[nheld]);
				nheld++;
				unpoppable++;
			}
			break;
		case OP_PUSH:
			if (nheld) {
				/* Any order: the newest or the oldest chain still held. */
				unsigned int k = (a & 1) ? nheld - 1 : 0;

				virtq_push(&vq, &held[k], (uint32_t)b << (a >> 4));
				memmove(&held[k], &held[k + 1], (nheld - k - 1) * sizeof(held[0]));
				nheld--;
				unpoppable = 0;
			}
			break;
		case OP_UNPOP:
			/* Only the chains popped last, in reverse (net_user.c's unpop_all). */
			if (unpoppable) {
				virtq_unpop(&vq, &held[--nheld]);
				unpoppable--;
			}
			break;
		case OP_SHOULD_INTERRUPT:
			virtq_should_interrupt(&vq);
			break;
		case OP_SET_KICKS:
			virtq_set_kicks(&vq, a & 1);
			break;
		case OP_HAS_AVAIL:
			virtq_has_avail(&vq);
			break;
		case OP_GUEST_DRIVER16:
			/* Split: avail flags/idx/ring; packed: driver event suppression. */
			guest_write16(dr + 2ULL * a, b);
			break;
		case OP_GUEST_DESC16:
			guest_write16(d + 2ULL * a, b);
			break;
		case OP_GUEST_BYTE:
			mem.host[b % RAM_SIZE] = a;
			break;
		case OP_RESET:
			configure(&vq, qsize, flags, d, dr, dv);
			FZ_CHECK(virtq_start(&vq) == 0);
			nheld = unpoppable = 0;
			break;
		}
	}
	return 0;
}

#endif
