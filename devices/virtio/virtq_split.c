// SPDX-License-Identifier: MIT
/* Split virtqueues (virtio 1.2 §2.7). */
#include <endian.h>
#include <string.h>

#include "devices/virtio/virtq.h"

#define VRING_AVAIL_F_NO_INTERRUPT	1
#define VRING_USED_F_NO_NOTIFY		1
#define VIRTQ_MAX_INDIRECT		VIRTQ_MAX_SIZE

struct split_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Guest-endian layout: avail = {flags, idx, ring[size], used_event}. */
static uint16_t *avail_field(struct virtq *vq, unsigned int i)
{
	return (uint16_t *)vq->driver + i;
}

static uint16_t avail_idx_acquire(struct virtq *vq)
{
	return le16toh(__atomic_load_n(avail_field(vq, 1), __ATOMIC_ACQUIRE));
}

/*
 * Every other scalar the driver shares (ring entries, flags, used_event) is
 * read exactly once through here: a plain load could be repeated by the
 * compiler after the value was checked, and the guest may change it between.
 */
static uint16_t avail_read_once(struct virtq *vq, unsigned int i)
{
	return le16toh(__atomic_load_n(avail_field(vq, i), __ATOMIC_RELAXED));
}

/* used = {flags, idx, ring[size] of {u32 id, u32 len}, avail_event}. */
static uint16_t *used_flags(struct virtq *vq)
{
	return (uint16_t *)vq->device;
}

static uint16_t *used_idx_field(struct virtq *vq)
{
	return (uint16_t *)vq->device + 1;
}

static uint32_t *used_elem(struct virtq *vq, unsigned int slot)
{
	return (uint32_t *)((uint8_t *)vq->device + 4) + 2 * slot;
}

static uint16_t *used_avail_event(struct virtq *vq)
{
	return (uint16_t *)((uint8_t *)vq->device + 4 + 8 * (size_t)vq->size);
}

/* One snapshot per descriptor: the guest may rewrite it while we look. */
static void read_desc(const void *table, unsigned int i, struct split_desc *d)
{
	const uint8_t *p = (const uint8_t *)table + 16 * (size_t)i;
	struct split_desc raw;

	memcpy(&raw, p, sizeof(raw));
	d->addr = le64toh(raw.addr);
	d->len = le32toh(raw.len);
	d->flags = le16toh(raw.flags);
	d->next = le16toh(raw.next);
}

static int walk_indirect(struct virtq *vq, struct virtq_chain *chain,
			 const struct split_desc *ind)
{
	unsigned int n = ind->len / 16, i = 0, count = 0;
	const void *table;

	if (!vq->indirect || (ind->flags & VIRTQ_DESC_F_NEXT) || !ind->len ||
	    ind->len % 16 || n > VIRTQ_MAX_INDIRECT)
		return -1;
	table = guest_mem_ptr(vq->mem, ind->addr, ind->len);
	if (!table)
		return -1;
	for (;;) {
		struct split_desc d;

		if (count++ >= n)
			return -1;	/* longer than the table: a loop */
		read_desc(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return -1;	/* nesting is forbidden (§2.7.5.3.1) */
		if (virtq_chain_add(vq, chain, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE))
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= n)
			return -1;
	}
}

static int walk_chain(struct virtq *vq, struct virtq_chain *chain, uint16_t head)
{
	unsigned int i = head, count = 0;

	for (;;) {
		struct split_desc d;

		if (count++ >= vq->size)
			return -1;	/* a chain can't be longer than the ring: a loop */
		read_desc(vq->desc, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return chain->nout + chain->nin ? -1 : walk_indirect(vq, chain, &d);
		if (virtq_chain_add(vq, chain, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE))
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= vq->size)
			return -1;
	}
}

enum virtq_pop_result virtq_split_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t avail = avail_idx_acquire(vq), head;

	if (avail == vq->last_avail) {
		vq->empty_at = avail;
		return VIRTQ_EMPTY;
	}
	/* The driver can't have more in flight than the ring holds. */
	if ((uint16_t)(avail - vq->last_avail) > vq->size)
		return VIRTQ_BROKEN;
	head = avail_read_once(vq, 2 + vq->last_avail % vq->size);
	if (head >= vq->size || walk_chain(vq, chain, head))
		return VIRTQ_BROKEN;
	chain->id = head;
	chain->ndesc = 1;
	vq->last_avail++;
	return VIRTQ_GOT_CHAIN;
}

void virtq_split_push_n(struct virtq *vq, const struct virtq_chain *chains,
			const uint32_t *written, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t *elem = used_elem(vq, vq->used_idx % vq->size);

		elem[0] = htole32(chains[i].id);
		elem[1] = htole32(virtq_written(&chains[i], written[i]));
		vq->used_idx++;
	}
	/* Release: the elements before the index that covers them, one store for all. */
	__atomic_store_n(used_idx_field(vq), htole16(vq->used_idx), __ATOMIC_RELEASE);
}

static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	/* §2.7.10: notify if event lies in [old, new). */
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtq_split_should_interrupt(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;
	bool valid = vq->signalled_used_valid;

	/* Our used->idx store must be ordered before reading the driver's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = now;
	vq->signalled_used_valid = true;
	if (valid && old == now)
		return false;
	if (!vq->event_idx)
		return !(avail_read_once(vq, 0) & VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	return need_event(avail_read_once(vq, 2 + vq->size), now, old);
}

/* Ask for a kick once the driver makes entry @idx available (or stop asking). */
static void request_kick_at(struct virtq *vq, bool enable, uint16_t idx)
{
	if (vq->event_idx) {
		/*
		 * "Kick me once you make entry idx available." Off: an entry
		 * half the index space away, which no batch of a ring of at
		 * most 32768 crosses, even one the driver checks late.
		 */
		__atomic_store_n(used_avail_event(vq),
				 htole16(enable ? idx : (uint16_t)(idx + 0x8000)), __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(used_flags(vq), htole16(enable ? 0 : VRING_USED_F_NO_NOTIFY),
				 __ATOMIC_RELAXED);
	}
	/* Publish the request before re-checking, or a kick could slip between. */
	if (enable)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool virtq_split_set_kicks(struct virtq *vq, bool enable)
{
	request_kick_at(vq, enable, vq->last_avail);
	return enable && avail_idx_acquire(vq) != vq->last_avail;
}

bool virtq_split_kick_when_more(struct virtq *vq)
{
	request_kick_at(vq, true, vq->empty_at);
	return avail_idx_acquire(vq) != vq->empty_at;
}

bool virtq_split_has_avail(struct virtq *vq)
{
	return avail_idx_acquire(vq) != vq->last_avail;
}
