/* SPDX-License-Identifier: MIT */
/*
 * A guest's virtio-net driver for unit tests, reduced to what they need:
 * register access to a virtio-mmio device, split rings of one-descriptor
 * chains in simulated guest memory, and waiting for used entries.
 */
#ifndef TINYVMM_TEST_NET_DRIVER_H
#define TINYVMM_TEST_NET_DRIVER_H

#include <criterion/criterion.h>
#include <endian.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio/virtio_mmio.h"

struct nd_ring {
	uint64_t desc, avail, used;
	uint16_t size, avail_idx, used_seen;
	int kick_fd;		/* what the ioeventfd would be written to */
};

struct net_driver {
	struct virtio_mmio *dev;
	const struct guest_mem *mem;
	uint64_t next_buf, buf_start, buf_end;
};

/*
 * The layout every net test uses: RX and TX rings of @qsize at fixed places
 * near @ram_base, buffers from 1 MiB on, all inside @ram_size.
 */
static inline void nd_init(struct net_driver *d, struct nd_ring *rx, struct nd_ring *tx,
			   struct virtio_mmio *dev, const struct guest_mem *mem,
			   uint64_t ram_base, uint64_t ram_size, uint16_t qsize)
{
	*rx = (struct nd_ring){ .desc = ram_base, .avail = ram_base + 0x4000,
				.used = ram_base + 0x8000, .size = qsize, .kick_fd = -1 };
	*tx = (struct nd_ring){ .desc = ram_base + 0x10000, .avail = ram_base + 0x14000,
				.used = ram_base + 0x18000, .size = qsize, .kick_fd = -1 };
	*d = (struct net_driver){ .dev = dev, .mem = mem, .next_buf = ram_base + 0x100000,
				  .buf_start = ram_base + 0x100000, .buf_end = ram_base + ram_size };
}

static inline void *nd_gp(struct net_driver *d, uint64_t gpa)
{
	return guest_mem_ptr(d->mem, gpa, 1);
}

static inline void nd_reg_write(struct net_driver *d, uint64_t off, uint32_t v)
{
	v = htole32(v);
	virtio_mmio_access(d->dev, off, (uint8_t *)&v, 4, true);
}

static inline uint32_t nd_reg_read(struct net_driver *d, uint64_t off)
{
	uint32_t v;

	virtio_mmio_access(d->dev, off, (uint8_t *)&v, 4, false);
	return le32toh(v);
}

/* Status 1, 3, features, FEATURES_OK; false if the device refused them. */
static inline bool nd_negotiate(struct net_driver *d, uint64_t features)
{
	nd_reg_write(d, VIRTIO_MMIO_STATUS, 1);
	nd_reg_write(d, VIRTIO_MMIO_STATUS, 3);
	nd_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	nd_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	nd_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	nd_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	nd_reg_write(d, VIRTIO_MMIO_STATUS, 11);
	return nd_reg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK;
}

static inline void nd_setup_queue(struct net_driver *d, unsigned int q, struct nd_ring *r)
{
	r->avail_idx = r->used_seen = 0;
	memset(nd_gp(d, r->avail), 0, 6 + 2ULL * r->size);
	memset(nd_gp(d, r->used), 0, 6 + 8ULL * r->size);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_NUM, r->size);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)r->desc);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(r->desc >> 32));
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)r->avail);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(r->avail >> 32));
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)r->used);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(r->used >> 32));
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Legacy (version 1): Status 1, 3, GuestPageSize 4 KiB, the one feature word. */
static inline void nd_negotiate_legacy(struct net_driver *d, uint32_t features)
{
	nd_reg_write(d, VIRTIO_MMIO_STATUS, 1);
	nd_reg_write(d, VIRTIO_MMIO_STATUS, 3);
	nd_reg_write(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
	nd_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	nd_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, features);
}

/*
 * Legacy: @r's rings move into the legacy layout at r->desc (page-aligned):
 * the available ring right after the descriptors, the used ring at the
 * next 4 KiB; QueuePFN gives the device just that page.
 */
static inline void nd_setup_queue_legacy(struct net_driver *d, unsigned int q, struct nd_ring *r)
{
	r->avail = r->desc + 16ULL * r->size;
	r->used = (r->avail + 6 + 2ULL * r->size + 4095) & ~4095ULL;
	r->avail_idx = r->used_seen = 0;
	memset(nd_gp(d, r->avail), 0, 6 + 2ULL * r->size);
	memset(nd_gp(d, r->used), 0, 6 + 8ULL * r->size);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_NUM, r->size);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_ALIGN, 4096);
	nd_reg_write(d, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(r->desc / 4096));
}

/* Post a one-descriptor chain (no kick); returns the buffer's guest address. */
static inline uint64_t nd_post_quiet(struct net_driver *d, struct nd_ring *r, const void *data,
				     uint32_t len, bool writable)
{
	uint16_t slot = r->avail_idx % r->size;
	uint8_t *desc = nd_gp(d, r->desc + 16ULL * slot);
	uint64_t buf = d->next_buf, a = htole64(buf);
	uint32_t l = htole32(len);
	uint16_t f = htole16(writable ? VIRTQ_DESC_F_WRITE : 0), zero = 0, idx;

	d->next_buf += (len + 63) & ~63U;
	if (d->next_buf >= d->buf_end)
		d->next_buf = d->buf_start;
	if (data)
		memcpy(nd_gp(d, buf), data, len);
	memcpy(desc, &a, 8);
	memcpy(desc + 8, &l, 4);
	memcpy(desc + 12, &f, 2);
	memcpy(desc + 14, &zero, 2);
	((uint16_t *)nd_gp(d, r->avail))[2 + slot] = htole16(slot);
	idx = htole16(++r->avail_idx);
	__atomic_store_n((uint16_t *)nd_gp(d, r->avail) + 1, idx, __ATOMIC_RELEASE);
	return buf;
}

static inline void nd_kick(struct nd_ring *r)
{
	uint64_t one = 1;

	cr_assert_eq(write(r->kick_fd, &one, 8), 8);	/* the ioeventfd's job */
}

static inline uint64_t nd_post(struct net_driver *d, struct nd_ring *r, const void *data,
			       uint32_t len, bool writable)
{
	uint64_t buf = nd_post_quiet(d, r, data, len, writable);

	nd_kick(r);
	return buf;
}

static inline uint16_t nd_used_idx(struct net_driver *d, struct nd_ring *r)
{
	return le16toh(__atomic_load_n((uint16_t *)nd_gp(d, r->used) + 1, __ATOMIC_ACQUIRE));
}

/* The device's avail_event (EVENT_IDX): where it wants the next kick. */
static inline uint16_t nd_avail_event(struct net_driver *d, struct nd_ring *r)
{
	return le16toh(__atomic_load_n((uint16_t *)nd_gp(d, r->used + 4 + 8ULL * r->size),
				       __ATOMIC_ACQUIRE));
}

/* Wait (up to 3 s) for the next used element; returns its id and length. */
static inline bool nd_wait_used(struct net_driver *d, struct nd_ring *r, uint32_t *id,
				uint32_t *len)
{
	for (int i = 0; i < 3000; i++) {
		if (nd_used_idx(d, r) != r->used_seen) {
			uint32_t *e = (uint32_t *)nd_gp(d, r->used + 4) + 2 * (r->used_seen % r->size);

			*id = le32toh(e[0]);
			*len = le32toh(e[1]);
			r->used_seen++;
			return true;
		}
		usleep(1000);
	}
	return false;
}

#endif
