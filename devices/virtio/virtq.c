// SPDX-License-Identifier: MIT
/* Format-independent virtqueue entry points and checks. */
#include "devices/virtio/virtq.h"

#include <string.h>

uint64_t virtq_desc_bytes(bool packed, uint16_t size)
{
	return 16ULL * size;	/* both formats use 16-byte descriptors */
}

uint64_t virtq_driver_bytes(bool packed, uint16_t size)
{
	/* split avail: flags, idx, ring[size], used_event; packed: 4-byte event struct */
	return packed ? 4 : 6 + 2ULL * size;
}

uint64_t virtq_device_bytes(bool packed, uint16_t size)
{
	/* split used: flags, idx, ring[size] of {id, len}, avail_event */
	return packed ? 4 : 6 + 8ULL * size;
}

uint64_t virtq_legacy_used_offset(uint16_t size, uint32_t align)
{
	uint64_t avail_end = virtq_desc_bytes(false, size) + virtq_driver_bytes(false, size);

	return (avail_end + align - 1) & ~((uint64_t)align - 1);
}

static bool aligned(uint64_t v, uint64_t a)
{
	return (v & (a - 1)) == 0;
}

int virtq_start(struct virtq *vq)
{
	bool p = vq->packed;

	/* Split sizes must be powers of two; packed may be any size (§2.8). */
	if (vq->size == 0 || vq->size > VIRTQ_MAX_SIZE ||
	    (!p && (vq->size & (vq->size - 1))))
		return -1;
	/* Alignment from §2.7 (desc 16, avail 2, used 4) and §2.8 (all 16/4/4). */
	if (!aligned(vq->desc_gpa, 16) || !aligned(vq->driver_gpa, p ? 4 : 2) ||
	    !aligned(vq->device_gpa, 4))
		return -1;
	vq->desc = guest_mem_ptr(vq->mem, vq->desc_gpa, virtq_desc_bytes(p, vq->size));
	vq->driver = guest_mem_ptr(vq->mem, vq->driver_gpa, virtq_driver_bytes(p, vq->size));
	vq->device = guest_mem_ptr(vq->mem, vq->device_gpa, virtq_device_bytes(p, vq->size));
	if (!vq->desc || !vq->driver || !vq->device)
		return -1;
	vq->last_avail = vq->used_idx = 0;
	vq->next_avail = vq->next_used = 0;
	vq->avail_wrap = vq->used_wrap = true;	/* both counters start at 1 */
	vq->signalled_used_valid = false;
	vq->empty_at = 0;
	vq->empty_wrap = true;
	vq->broken = false;
	return 0;
}

void virtq_reset(struct virtq *vq)
{
	const struct guest_mem *mem = vq->mem;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
}

enum virtq_pop_result virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	enum virtq_pop_result r;

	if (vq->broken || !vq->desc)
		return vq->broken ? VIRTQ_BROKEN : VIRTQ_EMPTY;
	chain->nout = chain->nin = 0;
	chain->out_len = chain->in_len = 0;
	chain->ndesc = 0;
	r = vq->packed ? virtq_packed_pop(vq, chain) : virtq_split_pop(vq, chain);
	if (r == VIRTQ_BROKEN)
		vq->broken = true;
	return r;
}

void virtq_unpop(struct virtq *vq, const struct virtq_chain *chain)
{
	if (vq->packed)
		virtq_packed_unpop(vq, chain);
	else
		vq->last_avail--;
}

void virtq_push(struct virtq *vq, const struct virtq_chain *chain, uint32_t written)
{
	virtq_push_n(vq, chain, &written, 1);
}

void virtq_push_n(struct virtq *vq, const struct virtq_chain *chains, const uint32_t *written,
		  unsigned int n)
{
	if (vq->packed)
		virtq_packed_push_n(vq, chains, written, n);
	else
		virtq_split_push_n(vq, chains, written, n);
}

bool virtq_should_interrupt(struct virtq *vq)
{
	if (!vq->desc)
		return false;
	return vq->packed ? virtq_packed_should_interrupt(vq) : virtq_split_should_interrupt(vq);
}

bool virtq_set_kicks(struct virtq *vq, bool enable)
{
	if (!vq->desc || vq->broken)
		return false;
	return vq->packed ? virtq_packed_set_kicks(vq, enable) : virtq_split_set_kicks(vq, enable);
}

bool virtq_has_avail(struct virtq *vq)
{
	if (!vq->desc || vq->broken)
		return false;
	return vq->packed ? virtq_packed_has_avail(vq) : virtq_split_has_avail(vq);
}

bool virtq_kick_when_more(struct virtq *vq)
{
	if (!vq->desc || vq->broken)
		return false;
	return vq->packed ? virtq_packed_kick_when_more(vq) : virtq_split_kick_when_more(vq);
}

unsigned int virtq_slots_held(const struct virtq_chain *chains, unsigned int n)
{
	unsigned int slots = 0;

	for (unsigned int i = 0; i < n; i++)
		slots += chains[i].ndesc;
	return slots;
}
