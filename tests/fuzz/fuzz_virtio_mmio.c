// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio register file (devices/virtio/virtio_mmio.c over the
 * virtio core, devices/virtio/virtio_dev.c) driven by a hostile
 * driver: register reads and writes at fuzzed offsets and sizes, with a fake
 * device whose activate() starts the real virtqueues and whose notify()
 * pops and pushes real chains. Input:
 *
 *   u8 nqueues, u16 queue_num_max, u32 extra offered features (low half),
 *   u8 mode (bit 0: activate() fails; bit 1: version 1, the legacy
 *   interface), u8 nops, nops x {u8 kind, u8 reg, u32 value},
 *   then the first bytes of the 64 KiB guest RAM.
 *
 * kind bit 0: write; bits 1-2: size 4, 4, 1 or 2 (bit 3 set: 8); bit 4: reg
 * is a raw byte offset (else a register index, reg * 4); bit 5: the device
 * reports a broken ring (virtio_dev_needs_reset) instead.
 */
#include <endian.h>

#include "devices/virtio/virtio_mmio.h"
#include "fuzz_common.h"
#include "vmm/arm64/layout.h"

#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	0x10000ULL

static struct guest_mem mem;
static struct virtio_dev vdev;
static struct virtio_mmio dev;
static struct virtq_chain chain;
static bool activate_fails;
static bool legacy;

/* The rings as they were at activation: nothing may move them while live. */
static struct virtq snap[VIRTIO_MAX_QUEUES];

static int fake_activate(struct virtio_dev *m)
{
	FZ_CHECK(!m->active);	/* activate twice = a second set of workers */
	/* Legacy has no FEATURES_OK step: the features were checked at DRIVER_OK. */
	FZ_CHECK(legacy || (m->status & VIRTIO_CONFIG_S_FEATURES_OK));
	FZ_CHECK(!(m->driver_features & ~m->device_features));
	for (unsigned int i = 0; i < m->nqueues; i++) {
		snap[i] = m->queues[i];
		if (m->queue_ready[i]) {
			struct virtq *vq = &m->queues[i];

			FZ_CHECK(vq->desc && vq->size && vq->size <= m->queue_num_max);
			FZ_CHECK(!legacy || (!vq->packed && !(vq->size & (vq->size - 1))));
			FZ_CHECK(fz_in_ram(&mem, vq->desc, virtq_desc_bytes(vq->packed, vq->size)));
			FZ_CHECK(fz_in_ram(&mem, vq->driver, virtq_driver_bytes(vq->packed, vq->size)));
			FZ_CHECK(fz_in_ram(&mem, vq->device, virtq_device_bytes(vq->packed, vq->size)));
		}
	}
	return activate_fails ? -1 : 0;
}

static void fake_reset(struct virtio_dev *m)
{
	FZ_CHECK(m->active);
}

/* What a device worker does on a kick: serve a few chains. */
static void fake_notify(struct virtio_dev *m, unsigned int q)
{
	struct virtq *vq = &m->queues[q];

	FZ_CHECK(m->active && q < m->nqueues);
	if (!m->queue_ready[q])
		return;
	FZ_CHECK(vq->size == snap[q].size && vq->desc == snap[q].desc &&
		 vq->driver == snap[q].driver && vq->device == snap[q].device &&
		 vq->packed == snap[q].packed);
	for (int i = 0; i < 4; i++) {
		enum virtq_pop_result r = virtq_pop(vq, &chain);

		if (r == VIRTQ_BROKEN) {
			virtio_dev_needs_reset(m);
			return;
		}
		if (r == VIRTQ_EMPTY)
			break;
		fz_check_chain(vq, &chain);
		virtq_push(vq, &chain, (uint32_t)chain.in_len);
	}
	virtq_set_kicks(vq, true);
	if (virtq_should_interrupt(vq))
		virtio_dev_interrupt(m, 1ULL << q);
}

static void fake_config(struct virtio_dev *m, uint64_t off, uint8_t *data, unsigned int len,
			bool is_write)
{
	FZ_CHECK(off < 0x100 && len <= 8);
	if (!is_write)
		memset(data, (uint8_t)off, len);
}

static bool fake_features_ok(struct virtio_dev *m, uint64_t features)
{
	return !(features & 1);	/* a device rule: refuse feature bit 0 */
}

static const struct virtio_dev_ops ops = {
	.activate = fake_activate,
	.reset = fake_reset,
	.notify = fake_notify,
	.config_access = fake_config,
	.features_ok = fake_features_ok,
};

/*
 * Legacy: one feature word offered, FEATURES_OK never kept, and a queue
 * set by QueuePFN lies wholly in RAM in the legacy layout (§2.7.2).
 */
static void check_legacy_state(const struct virtio_dev *m)
{
	FZ_CHECK(m->legacy && !(m->device_features >> 32));
	FZ_CHECK(!(m->status & VIRTIO_CONFIG_S_FEATURES_OK));
	if (m->active)
		FZ_CHECK(!(m->driver_features & ~m->device_features));
	for (unsigned int i = 0; i < m->nqueues; i++) {
		const struct virtq *vq = &m->queues[i];
		uint64_t used_end = vq->device_gpa + virtq_device_bytes(false, vq->size);

		if (!m->queue_ready[i])
			continue;
		FZ_CHECK(vq->driver_gpa == vq->desc_gpa + virtq_desc_bytes(false, vq->size));
		FZ_CHECK(vq->device_gpa >= vq->driver_gpa + virtq_driver_bytes(false, vq->size));
		FZ_CHECK(vq->desc_gpa >= RAM_BASE && used_end <= RAM_BASE + RAM_SIZE);
	}
}

static void check_state(const struct virtio_dev *m)
{
	uint32_t s = m->status;

	FZ_CHECK(!(s & ~0xffu));
	/* NEEDS_RESET is the device's flag: no driver write may set it. */
	FZ_CHECK(!(s & VIRTIO_CONFIG_S_NEEDS_RESET));
	if (legacy)
		check_legacy_state(m);
	else if (s & VIRTIO_CONFIG_S_DRIVER_OK)
		FZ_CHECK(s & VIRTIO_CONFIG_S_FEATURES_OK);
	if (s & VIRTIO_CONFIG_S_FEATURES_OK)
		FZ_CHECK(!(m->driver_features & ~m->device_features));
	if (m->active)
		FZ_CHECK(s & VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned int i = 0; i < m->nqueues; i++)
		FZ_CHECK(m->queues[i].size <= m->queue_num_max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	unsigned int nqueues = fz_u8(&f) % (VIRTIO_MAX_QUEUES + 2);
	uint16_t qmax = fz_u16(&f) % (VIRTQ_MAX_SIZE + 1);
	uint64_t features = fz_u32(&f) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			    (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_F_RING_PACKED);
	unsigned int nops;
	const uint8_t *opp;
	uint8_t mode;

	mode = fz_u8(&f);
	activate_fails = mode & 1;
	legacy = mode & 2;
	nops = fz_u8(&f);
	if (f.n < 6 * (size_t)nops)
		nops = (unsigned int)(f.n / 6);
	opp = f.p;
	f.p += 6 * nops;
	f.n -= 6 * nops;
	fz_mem_load(&mem, RAM_BASE, RAM_SIZE, f.p, f.n);
	virtio_dev_init(&vdev, 1, features, nqueues, qmax, &mem, &ops, NULL);
	if (legacy)
		virtio_mmio_init_legacy(&dev, &vdev);
	else
		virtio_mmio_init(&dev, &vdev);
	for (unsigned int i = 0; i < nops; i++) {
		const uint8_t *op = opp + 6 * i;
		uint8_t kind = op[0];
		uint64_t off = (kind & 0x10) ? op[1] : 4ULL * op[1];
		static const unsigned int sizes[4] = { 4, 4, 1, 2 };
		unsigned int len = (kind & 8) ? 8 : sizes[(kind >> 1) & 3];
		uint8_t buf[8];

		memcpy(buf, op + 2, 4);
		memcpy(buf + 4, op + 2, 4);
		if (kind & 0x20) {
			virtio_dev_needs_reset(&vdev);
		} else {
			/* The MMIO bus hands over offsets inside the 0x200 slot. */
			off %= LAYOUT_VIRTIO_MMIO_SLOT_SIZE;
			virtio_mmio_access(&dev, off, buf, len, kind & 1);
		}
		check_state(&vdev);
	}
	virtio_dev_destroy(&vdev);
	FZ_CHECK(!vdev.active);
	return 0;
}
