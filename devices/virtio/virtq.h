/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VIRTQ_H
#define TINYVMM_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "lib/guest_mem.h"

/*
 * Device side of one virtqueue (virtio 1.2 §2.7 split, §2.8 packed). The
 * rings live in guest memory and are written by an untrusted driver: every
 * index, address and length read from them is checked, chains are bounded,
 * and a malformed ring marks the queue broken instead of being trusted.
 * Devices use only this interface and never see the ring format.
 */
#define VIRTQ_MAX_SIZE		1024
#define VIRTQ_MAX_IOV		256	/* buffers in one chain, incl. indirect */

/* Descriptor flags shared by both formats. */
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4

struct virtq {
	/* Set by the transport from the driver's register writes. */
	uint16_t size;
	bool packed;
	bool event_idx;
	bool indirect;		/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	uint64_t desc_gpa, driver_gpa, device_gpa;
	const struct guest_mem *mem;

	/* Host pointers, valid after virtq_start(). */
	void *desc, *driver, *device;

	/* Split: next avail entry to consume, next used entry to fill. */
	uint16_t last_avail;
	uint16_t used_idx;
	/* Packed: ring positions and wrap counters. */
	uint16_t next_avail;
	bool avail_wrap;
	uint16_t next_used;
	bool used_wrap;
	/* used_idx (split) / position (packed) at the last notification. */
	uint16_t signalled_used;
	bool signalled_used_valid;
	bool signalled_wrap;
	/*
	 * Where the last pop found nothing (split: avail index; packed:
	 * position and wrap): virtq_kick_when_more() waits for a buffer there,
	 * past everything already examined, even after unpops moved back.
	 */
	uint16_t empty_at;
	bool empty_wrap;

	bool broken;		/* the driver broke the ring; needs a reset */
};

struct virtq_chain {
	uint16_t id;		/* split: head index; packed: buffer id */
	uint16_t ndesc;		/* ring slots the chain used (packed) */
	unsigned int nout;	/* device-readable buffers, first in iov */
	unsigned int nin;	/* device-writable buffers, after them */
	uint64_t out_len, in_len;
	struct iovec iov[VIRTQ_MAX_IOV];
};

enum virtq_pop_result { VIRTQ_BROKEN = -1, VIRTQ_EMPTY = 0, VIRTQ_GOT_CHAIN = 1 };

/* Validate the ring addresses and map them; -1 if they lie outside RAM. */
int virtq_start(struct virtq *vq);
/* Forget all ring state (device reset); keeps nothing from the driver. */
void virtq_reset(struct virtq *vq);

/* Take the next available chain. */
enum virtq_pop_result virtq_pop(struct virtq *vq, struct virtq_chain *chain);
/* Give back a chain just popped and not used (it will be popped again). */
void virtq_unpop(struct virtq *vq, const struct virtq_chain *chain);
/* Return a chain to the driver with @written bytes written into it. */
void virtq_push(struct virtq *vq, const struct virtq_chain *chain, uint32_t written);
/*
 * Return @n chains at once (@written[i] bytes in chain i): the driver sees
 * all of them or none, as it must for the buffers of one merged RX frame
 * (it reads num_buffers from the first and takes the rest at once).
 */
void virtq_push_n(struct virtq *vq, const struct virtq_chain *chains, const uint32_t *written,
		  unsigned int n);
/* After pushes: must the driver be interrupted (flags / event index)? */
bool virtq_should_interrupt(struct virtq *vq);
/*
 * Ask the driver (not) to notify on new buffers. Enabling returns true if
 * buffers arrived meanwhile, so the caller processes them instead of
 * sleeping through the missed kick.
 */
bool virtq_set_kicks(struct virtq *vq, bool enable);
bool virtq_has_avail(struct virtq *vq);
/*
 * The buffers available are not enough (popped, then unpopped): ask the
 * driver to notify once it makes a buffer available past the point where
 * the last pop came up empty. Returns true if one already is, so the
 * caller tries again instead of sleeping; false means sleep until a kick.
 * Unlike virtq_set_kicks() this does not count the unpopped buffers as
 * new, so a driver that posts too little cannot make the device spin.
 */
bool virtq_kick_when_more(struct virtq *vq);
/* Ring slots @n chains popped and not pushed hold (all of them: no more can come). */
unsigned int virtq_slots_held(const struct virtq_chain *chains, unsigned int n);

/* Bytes of guest memory each ring part spans for a queue of @size. */
uint64_t virtq_desc_bytes(bool packed, uint16_t size);
uint64_t virtq_driver_bytes(bool packed, uint16_t size);
uint64_t virtq_device_bytes(bool packed, uint16_t size);
/*
 * Legacy layout (virtio 1.2 §2.7.2): one block with the descriptors, then
 * the available ring, then the used ring at the next @align boundary.
 * Offset of the used ring from the start; @align a power of two.
 */
uint64_t virtq_legacy_used_offset(uint16_t size, uint32_t align);

/* Split ring internals shared with virtq_packed.c's counterpart. */
enum virtq_pop_result virtq_split_pop(struct virtq *vq, struct virtq_chain *chain);
void virtq_split_push_n(struct virtq *vq, const struct virtq_chain *chains,
			const uint32_t *written, unsigned int n);
bool virtq_split_should_interrupt(struct virtq *vq);
bool virtq_split_set_kicks(struct virtq *vq, bool enable);
bool virtq_split_has_avail(struct virtq *vq);
bool virtq_split_kick_when_more(struct virtq *vq);
enum virtq_pop_result virtq_packed_pop(struct virtq *vq, struct virtq_chain *chain);
void virtq_packed_unpop(struct virtq *vq, const struct virtq_chain *chain);
void virtq_packed_push_n(struct virtq *vq, const struct virtq_chain *chains,
			 const uint32_t *written, unsigned int n);
bool virtq_packed_should_interrupt(struct virtq *vq);
bool virtq_packed_set_kicks(struct virtq *vq, bool enable);
bool virtq_packed_has_avail(struct virtq *vq);
bool virtq_packed_kick_when_more(struct virtq *vq);

/* Never claim more than the driver offered for writing (both formats). */
static inline uint32_t virtq_written(const struct virtq_chain *chain, uint32_t written)
{
	return written > chain->in_len ? (uint32_t)chain->in_len : written;
}

/* Append one guest buffer to @chain (shared by both formats). */
int virtq_chain_add(struct virtq *vq, struct virtq_chain *chain, uint64_t addr,
		    uint32_t len, bool writable);

#endif
