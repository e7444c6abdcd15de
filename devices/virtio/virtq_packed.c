// SPDX-License-Identifier: MIT
/* Packed virtqueues (virtio 1.2 §2.8). */
#include <endian.h>
#include <string.h>

#include "devices/virtio/virtq.h"

#define PACKED_DESC_F_AVAIL	(1 << 7)
#define PACKED_DESC_F_USED	(1 << 15)
#define PACKED_EVENT_ENABLE	0
#define PACKED_EVENT_DISABLE	1
#define PACKED_EVENT_DESC	2
#define PACKED_MAX_INDIRECT	VIRTQ_MAX_SIZE

struct packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

/* Event suppression structure: {le16 off_wrap, le16 flags}. */
static uint16_t *event_field(void *area, unsigned int i)
{
	return (uint16_t *)area + i;
}

/* Driver-written event fields are read once (see virtq_split.c). */
static uint16_t event_read_once(void *area, unsigned int i)
{
	return le16toh(__atomic_load_n(event_field(area, i), __ATOMIC_RELAXED));
}

static uint8_t *desc_at(struct virtq *vq, unsigned int i)
{
	return (uint8_t *)vq->desc + 16 * (size_t)i;
}

static uint16_t desc_flags_acquire(struct virtq *vq, unsigned int i)
{
	return le16toh(__atomic_load_n((uint16_t *)(desc_at(vq, i) + 14), __ATOMIC_ACQUIRE));
}

static void read_desc(const uint8_t *p, struct packed_desc *d)
{
	struct packed_desc raw;

	memcpy(&raw, p, sizeof(raw));
	d->addr = le64toh(raw.addr);
	d->len = le32toh(raw.len);
	d->id = le16toh(raw.id);
	d->flags = le16toh(raw.flags);
}

static bool is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & PACKED_DESC_F_AVAIL) == wrap && !!(flags & PACKED_DESC_F_USED) != wrap;
}

static int walk_indirect(struct virtq *vq, struct virtq_chain *chain,
			 const struct packed_desc *ind)
{
	unsigned int n = ind->len / 16;
	const uint8_t *table;

	if (!vq->indirect || (ind->flags & VIRTQ_DESC_F_NEXT) || !ind->len ||
	    ind->len % 16 || n > PACKED_MAX_INDIRECT)
		return -1;
	table = guest_mem_ptr(vq->mem, ind->addr, ind->len);
	if (!table)
		return -1;
	/* A packed indirect table is used in order, every entry (§2.8.19). */
	for (unsigned int i = 0; i < n; i++) {
		struct packed_desc d;

		read_desc(table + 16 * (size_t)i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return -1;
		if (virtq_chain_add(vq, chain, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE))
			return -1;
	}
	return 0;
}

enum virtq_pop_result virtq_packed_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t pos = vq->next_avail, count = 0;
	bool wrap = vq->avail_wrap;
	struct packed_desc d;

	/* Acquire on the head's flags orders the reads of the whole chain. */
	if (!is_avail(desc_flags_acquire(vq, pos), wrap)) {
		vq->empty_at = pos;
		vq->empty_wrap = wrap;
		return VIRTQ_EMPTY;
	}
	do {
		if (count++ >= vq->size)
			return VIRTQ_BROKEN;
		read_desc(desc_at(vq, pos), &d);
		if (++pos == vq->size) {
			pos = 0;
			wrap = !wrap;
		}
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (chain->nout + chain->nin || walk_indirect(vq, chain, &d))
				return VIRTQ_BROKEN;
			break;
		}
		if (virtq_chain_add(vq, chain, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE))
			return VIRTQ_BROKEN;
	} while (d.flags & VIRTQ_DESC_F_NEXT);
	chain->id = d.id;	/* the buffer id is in the chain's last descriptor */
	chain->ndesc = count;
	vq->next_avail = pos;
	vq->avail_wrap = wrap;
	return VIRTQ_GOT_CHAIN;
}

void virtq_packed_unpop(struct virtq *vq, const struct virtq_chain *chain)
{
	if (vq->next_avail >= chain->ndesc) {
		vq->next_avail -= chain->ndesc;
	} else {
		vq->next_avail = (uint16_t)(vq->next_avail + vq->size - chain->ndesc);
		vq->avail_wrap = !vq->avail_wrap;
	}
}

/* Write one used descriptor but its flags; returns them, for the caller to store. */
static uint16_t fill_used(struct virtq *vq, const struct virtq_chain *chain, uint32_t written,
			  uint8_t **desc)
{
	uint16_t flags = vq->used_wrap ? (PACKED_DESC_F_AVAIL | PACKED_DESC_F_USED) : 0;
	uint16_t id = htole16(chain->id);
	uint32_t len = htole32(written);

	*desc = desc_at(vq, vq->next_used);
	if (written)
		flags |= VIRTQ_DESC_F_WRITE;
	memcpy(*desc + 8, &len, sizeof(len));
	memcpy(*desc + 12, &id, sizeof(id));
	vq->next_used = (uint16_t)(vq->next_used + chain->ndesc);
	if (vq->next_used >= vq->size) {
		vq->next_used = (uint16_t)(vq->next_used - vq->size);
		vq->used_wrap = !vq->used_wrap;
	}
	/* Slots used since the last interrupt decision (wraps at 2^16; fine). */
	vq->signalled_used = (uint16_t)(vq->signalled_used + chain->ndesc);
	return flags;
}

/* Release: id and len visible before the flags that hand them over. */
static void hand_over(uint8_t *desc, uint16_t flags)
{
	__atomic_store_n((uint16_t *)(desc + 14), htole16(flags), __ATOMIC_RELEASE);
}

void virtq_packed_push_n(struct virtq *vq, const struct virtq_chain *chains,
			 const uint32_t *written, unsigned int n)
{
	uint8_t *head, *desc;
	uint16_t head_flags, flags;

	if (!n)
		return;
	head_flags = fill_used(vq, &chains[0], virtq_written(&chains[0], written[0]), &head);
	for (unsigned int i = 1; i < n; i++) {
		flags = fill_used(vq, &chains[i], virtq_written(&chains[i], written[i]), &desc);
		hand_over(desc, flags);
	}
	/* The first last: the driver reads on from it, so it finds all of them or none. */
	hand_over(head, head_flags);
}

static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtq_packed_should_interrupt(struct virtq *vq)
{
	uint16_t advanced = vq->signalled_used, now = vq->next_used, old, event, off_wrap, flags;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = 0;
	if (!advanced)
		return false;
	flags = event_read_once(vq->driver, 1);
	if (flags == PACKED_EVENT_DISABLE)
		return false;
	if (flags != PACKED_EVENT_DESC || !vq->event_idx)
		return true;
	off_wrap = event_read_once(vq->driver, 0);
	event = off_wrap & 0x7fff;
	/* Put the event and "old" on one number line with "now" (§2.8.10). */
	if (!!(off_wrap >> 15) != vq->used_wrap)
		event = (uint16_t)(event - vq->size);
	old = (uint16_t)(now - advanced);
	return need_event(event, now, old);
}

/* Ask for a kick once the descriptor at @pos/@wrap is made available (or stop). */
static void request_kick_at(struct virtq *vq, bool enable, uint16_t pos, bool wrap)
{
	uint16_t flags = PACKED_EVENT_DISABLE;

	if (enable && vq->event_idx) {
		uint16_t off_wrap = (uint16_t)(pos | (wrap ? 0x8000 : 0));

		__atomic_store_n(event_field(vq->device, 0), htole16(off_wrap), __ATOMIC_RELAXED);
		flags = PACKED_EVENT_DESC;
	} else if (enable) {
		flags = PACKED_EVENT_ENABLE;
	}
	__atomic_store_n(event_field(vq->device, 1), htole16(flags), __ATOMIC_RELEASE);
	if (enable)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool virtq_packed_set_kicks(struct virtq *vq, bool enable)
{
	request_kick_at(vq, enable, vq->next_avail, vq->avail_wrap);
	return enable && virtq_packed_has_avail(vq);
}

bool virtq_packed_kick_when_more(struct virtq *vq)
{
	request_kick_at(vq, true, vq->empty_at, vq->empty_wrap);
	return is_avail(desc_flags_acquire(vq, vq->empty_at), vq->empty_wrap);
}

bool virtq_packed_has_avail(struct virtq *vq)
{
	return is_avail(desc_flags_acquire(vq, vq->next_avail), vq->avail_wrap);
}
