/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the libFuzzer targets: a byte reader over the fuzz
 * input, guest RAM on the (ASan-instrumented) heap so any access past it is
 * reported, and the virtqueue chain invariants every target checks.
 */
#ifndef TINYVMM_FUZZ_COMMON_H
#define TINYVMM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtq.h"
#include "lib/guest_mem.h"

/* Invariant violated: report and abort so libFuzzer records the input. */
#define FZ_CHECK(cond)                                                          \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
				__LINE__, #cond);                               \
			abort();                                                \
		}                                                               \
	} while (0)

/* Reads fixed-size fields; past the end of the input everything reads 0. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v = 0;

	if (f->n) {
		v = *f->p++;
		f->n--;
	}
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	return (uint16_t)(fz_u8(f) | fz_u8(f) << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
	return (uint32_t)fz_u16(f) | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t fz_u64(struct fz *f)
{
	return (uint64_t)fz_u32(f) | (uint64_t)fz_u32(f) << 32;
}

/*
 * Guest RAM of @size bytes at @base, allocated once with malloc (so ASan's
 * redzones sit right after it), then filled from @img and zero-padded.
 */
static inline void fz_mem_load(struct guest_mem *mem, uint64_t base, uint64_t size,
			       const uint8_t *img, size_t img_len)
{
	if (!mem->host) {
		mem->host = malloc(size);
		if (!mem->host)
			abort();
	}
	mem->gpa_base = base;
	mem->size = size;
	if (img_len > size)
		img_len = size;
	if (img_len)
		memcpy(mem->host, img, img_len);
	memset(mem->host + img_len, 0, size - img_len);
}

static inline int fz_in_ram(const struct guest_mem *mem, const void *p, size_t len)
{
	const uint8_t *b = p;

	return b >= mem->host && b <= mem->host + mem->size &&
	       len <= (size_t)(mem->host + mem->size - b);
}

/* What every popped chain must satisfy, whatever the guest wrote. */
static inline void fz_check_chain(const struct virtq *vq, const struct virtq_chain *c)
{
	uint64_t out = 0, in = 0;

	FZ_CHECK(c->nout + c->nin <= VIRTQ_MAX_IOV);
	FZ_CHECK(c->nout + c->nin >= 1);
	for (unsigned int i = 0; i < c->nout + c->nin; i++) {
		FZ_CHECK(fz_in_ram(vq->mem, c->iov[i].iov_base, c->iov[i].iov_len));
		if (i < c->nout)
			out += c->iov[i].iov_len;
		else
			in += c->iov[i].iov_len;
	}
	FZ_CHECK(out == c->out_len && in == c->in_len);
	if (vq->packed)
		FZ_CHECK(c->ndesc >= 1 && c->ndesc <= vq->size);
	else
		FZ_CHECK(c->id < vq->size && c->ndesc == 1);
}

#endif
