/* SPDX-License-Identifier: MIT */
/*
 * A minimal guest-side virtio driver for unit tests: lays out split or packed
 * rings in simulated guest memory and posts buffers the way Linux does.
 */
#ifndef TINYVMM_TEST_VIRTQ_DRIVER_H
#define TINYVMM_TEST_VIRTQ_DRIVER_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "devices/virtio/virtq.h"
#include "lib/guest_mem.h"

#define TD_RAM_BASE	0x40000000ULL
#define TD_RAM_SIZE	(4ULL << 20)
#define TD_DESC		(TD_RAM_BASE + 0x00000)
#define TD_DRIVER	(TD_RAM_BASE + 0x10000)
#define TD_DEVICE	(TD_RAM_BASE + 0x20000)
#define TD_INDIRECT	(TD_RAM_BASE + 0x30000)
#define TD_BUFFERS	(TD_RAM_BASE + 0x100000)

#define PK_AVAIL (1 << 7)
#define PK_USED (1 << 15)

struct test_driver {
	struct guest_mem mem;
	struct virtq vq;
	uint16_t size;
	bool packed;
	/* split */
	uint16_t avail_idx, free_head;
	/* packed */
	uint16_t next, wrap;	/* wrap: 1 or 0 */
	uint16_t used_seen;
	bool used_wrap;
	uint64_t next_buf;
};

static inline void *td_ptr(struct test_driver *d, uint64_t gpa)
{
	return guest_mem_ptr(&d->mem, gpa, 1);
}

static inline void td_setup(struct test_driver *d, uint16_t size, bool packed,
			    bool event_idx, bool indirect)
{
	struct tvm_error err;

	memset(d, 0, sizeof(*d));
	guest_mem_alloc(&d->mem, TD_RAM_BASE, TD_RAM_SIZE, &err);
	d->size = size;
	d->packed = packed;
	d->wrap = 1;
	d->used_wrap = true;
	d->next_buf = TD_BUFFERS;
	d->vq.mem = &d->mem;
	d->vq.size = size;
	d->vq.packed = packed;
	d->vq.event_idx = event_idx;
	d->vq.indirect = indirect;
	d->vq.desc_gpa = TD_DESC;
	d->vq.driver_gpa = TD_DRIVER;
	d->vq.device_gpa = TD_DEVICE;
}

static inline void td_teardown(struct test_driver *d)
{
	guest_mem_free(&d->mem);
}

static inline uint64_t td_alloc_buf(struct test_driver *d, uint32_t len)
{
	uint64_t a = d->next_buf;

	d->next_buf += (len + 63) & ~63ULL;
	if (d->next_buf > TD_RAM_BASE + TD_RAM_SIZE - 0x10000)
		d->next_buf = TD_BUFFERS;
	return a;
}

/* Raw split descriptor write. */
static inline void td_split_desc(struct test_driver *d, uint64_t table, uint16_t i,
				 uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = td_ptr(d, table + 16ULL * i);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	memcpy(p, &a, 8);
	memcpy(p + 8, &l, 4);
	memcpy(p + 12, &f, 2);
	memcpy(p + 14, &n, 2);
}

static inline uint16_t *td_avail(struct test_driver *d)
{
	return td_ptr(d, TD_DRIVER);
}

static inline uint16_t *td_used16(struct test_driver *d)
{
	return td_ptr(d, TD_DEVICE);
}

static inline void td_split_publish(struct test_driver *d, uint16_t head)
{
	uint16_t *avail = td_avail(d);

	avail[2 + d->avail_idx % d->size] = htole16(head);
	d->avail_idx++;
	__atomic_store_n(&avail[1], htole16(d->avail_idx), __ATOMIC_RELEASE);
}

/* Raw packed descriptor write (flags last, as a driver must). */
static inline void td_packed_desc(struct test_driver *d, uint64_t table, uint16_t i,
				  uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	uint8_t *p = td_ptr(d, table + 16ULL * i);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t n = htole16(id), f = htole16(flags);

	memcpy(p, &a, 8);
	memcpy(p + 8, &l, 4);
	memcpy(p + 12, &n, 2);
	__atomic_store_n((uint16_t *)(p + 14), f, __ATOMIC_RELEASE);
}

static inline uint16_t td_packed_avail_flags(struct test_driver *d)
{
	return d->wrap ? PK_AVAIL : PK_USED;
}

/*
 * Post one chain of @nout readable and @nin writable buffers, each @len
 * bytes. Returns the head (split) or buffer id (packed).
 */
static inline uint16_t td_post(struct test_driver *d, unsigned int nout, unsigned int nin,
			       uint32_t len)
{
	unsigned int n = nout + nin;

	if (!d->packed) {
		uint16_t head = d->free_head;

		for (unsigned int i = 0; i < n; i++) {
			uint16_t idx = (uint16_t)((head + i) % d->size);
			uint16_t flags = (uint16_t)((i >= nout ? VIRTQ_DESC_F_WRITE : 0) |
						    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));

			td_split_desc(d, TD_DESC, idx, td_alloc_buf(d, len), len, flags,
				      (uint16_t)((idx + 1) % d->size));
		}
		d->free_head = (uint16_t)((head + n) % d->size);
		td_split_publish(d, head);
		return head;
	}
	{
		uint16_t id = d->next, head = d->next, head_flags = 0;
		uint16_t w0 = d->wrap;

		for (unsigned int i = 0; i < n; i++) {
			uint16_t flags = (uint16_t)((i >= nout ? VIRTQ_DESC_F_WRITE : 0) |
						    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
						    td_packed_avail_flags(d));

			if (i == 0) {
				head_flags = flags;
				/* write the head last: placeholder with stale flags now */
				td_packed_desc(d, TD_DESC, d->next, td_alloc_buf(d, len), len, id,
					       w0 ? PK_USED : PK_AVAIL);
			} else {
				td_packed_desc(d, TD_DESC, d->next, td_alloc_buf(d, len), len, id,
					       flags);
			}
			if (++d->next == d->size) {
				d->next = 0;
				d->wrap ^= 1;
			}
		}
		/* publish: the head's flags flip last */
		{
			uint8_t *p = td_ptr(d, TD_DESC + 16ULL * head);

			__atomic_store_n((uint16_t *)(p + 14), htole16(head_flags), __ATOMIC_RELEASE);
		}
		return id;
	}
}

/* Split: the used element at @slot. */
static inline void td_split_used(struct test_driver *d, uint16_t slot, uint32_t *id, uint32_t *len)
{
	uint32_t *e = (uint32_t *)((uint8_t *)td_used16(d) + 4) + 2 * (slot % d->size);

	*id = le32toh(e[0]);
	*len = le32toh(e[1]);
}

#endif
