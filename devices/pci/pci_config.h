/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_PCI_CONFIG_H
#define TINYVMM_PCI_CONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * One PCI function's type-0 configuration space (PCI Local Bus 3.0 §6.1).
 * Registers live in a byte array with a parallel mask of the bits the guest
 * may write; BAR sizing falls out of the masks: a BAR's address bits below
 * its size are read-only zero, so writing all-ones reads back the size mask
 * with the flag bits. The first 256 bytes are emulated; the extended space
 * (256..4095) reads 0 and ignores writes, which tells Linux there are no
 * extended capabilities. Not locked: the bus (pci_host) serialises accesses;
 * only the INTx state (pci_config_intx) is changed by other threads, under
 * its own lock.
 */
#define PCI_CFG_SPACE_SIZE	4096
#define PCI_CFG_HDR_SIZE	256
#define PCI_NUM_BARS		6

/* Header offsets (the names of Linux's <uapi/linux/pci_regs.h>). */
#define PCI_CFG_VENDOR_ID	0x00
#define PCI_CFG_DEVICE_ID	0x02
#define PCI_CFG_COMMAND		0x04
#define PCI_CFG_STATUS		0x06
#define PCI_CFG_REVISION	0x08
#define PCI_CFG_CLASS_PROG	0x09
#define PCI_CFG_CLASS_DEVICE	0x0a
#define PCI_CFG_CACHE_LINE	0x0c
#define PCI_CFG_LATENCY		0x0d
#define PCI_CFG_HEADER_TYPE	0x0e
#define PCI_CFG_BAR0		0x10
#define PCI_CFG_SUBSYS_VENDOR	0x2c
#define PCI_CFG_SUBSYS_ID	0x2e
#define PCI_CFG_ROM_ADDRESS	0x30
#define PCI_CFG_CAP_PTR		0x34
#define PCI_CFG_INT_LINE	0x3c
#define PCI_CFG_INT_PIN		0x3d
#define PCI_CFG_CAP_START	0x40	/* capabilities go after the header */

#define PCI_CMD_IO		0x0001
#define PCI_CMD_MEMORY		0x0002
#define PCI_CMD_MASTER		0x0004
#define PCI_CMD_PARITY		0x0040
#define PCI_CMD_SERR		0x0100
#define PCI_CMD_INTX_DISABLE	0x0400
#define PCI_STATUS_INTERRUPT	0x0008
#define PCI_STATUS_CAP_LIST	0x0010

#define PCI_BAR_MEM_TYPE_64	0x04
#define PCI_BAR_MEM_PREFETCH	0x08
#define PCI_BAR_FLAG_BITS	0x0f

/*
 * Smallest BAR: 64 KiB, so a BAR never shares a host page with another even
 * on 64K-page hosts (a BAR the host wants to map or ioeventfd must own its
 * pages).
 */
#define PCI_BAR_MIN_SIZE	0x10000ULL

enum pci_bar_kind {
	PCI_BAR_UNUSED = 0,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,		/* takes this BAR register and the next */
};

struct pci_bar {
	enum pci_bar_kind kind;
	uint64_t size;
	bool prefetchable;
	uint64_t addr;		/* as last programmed by the guest */
};

/*
 * Told after a guest write took effect; called from the vCPU thread with
 * the bus lock held, so they must not access config space again.
 */
struct pci_config_ops {
	/* A BAR's address changed (also mid-sizing: the all-ones pattern). */
	void (*bar_moved)(void *opaque, unsigned int bar, uint64_t old_addr, uint64_t new_addr);
	/* Command.Memory flipped: BARs start or stop decoding. */
	void (*decode_changed)(void *opaque, bool memory_enabled);
};

/*
 * A capability's hook, for a guest access to config bytes [off, off + len)
 * overlapping it: "written" runs after the write masks applied, "reading"
 * before the read (it may refresh the registers about to be read).
 */
typedef void (*pci_cap_hook_fn)(void *opaque, unsigned int cap_offset, unsigned int off,
				unsigned int len);

#define PCI_MAX_CAPS 8

struct pci_cap {
	uint8_t offset;
	uint8_t len;
	pci_cap_hook_fn written, reading;
	void *opaque;
};

/*
 * Where the function's INTx pin goes (a level). Called with the INTx lock
 * held, from any thread: it must not block (KVM_IRQ_LINE does not) nor
 * call back into this function.
 */
typedef void (*pci_intx_pin_fn)(void *opaque, bool level);

struct pci_config {
	uint8_t regs[PCI_CFG_HDR_SIZE];
	uint8_t wmask[PCI_CFG_HDR_SIZE];
	struct pci_bar bars[PCI_NUM_BARS];
	struct pci_cap caps[PCI_MAX_CAPS];
	unsigned int ncaps;
	unsigned int next_cap;	/* where the next capability goes */
	const struct pci_config_ops *ops;
	void *opaque;

	/*
	 * INTx (PCI 3.0 §6.2.2-3): Status.INTERRUPT is the function's interrupt
	 * condition, the pin drives it unless Command.INTX_DISABLE. The fields
	 * are under intx_lock: the condition changes on device threads.
	 */
	pthread_mutex_t intx_lock;
	bool intx_state;	/* the condition (Status.INTERRUPT) */
	bool intx_disabled;	/* Command.INTX_DISABLE, as last written */
	bool intx_line;		/* what the pin was last told */
	pci_intx_pin_fn intx_pin;
	void *intx_opaque;
};

struct pci_config_ids {
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_id;
	uint8_t revision;
	uint32_t class_code;	/* 24 bits: base class, subclass, prog-if */
	uint8_t int_pin;	/* 0: no INTx; 1-4: INTA-INTD */
};

void pci_config_init(struct pci_config *cfg, const struct pci_config_ids *ids,
		     const struct pci_config_ops *ops, void *opaque);
void pci_config_destroy(struct pci_config *cfg);

/*
 * Power-on reset of the function (a guest reboot): every guest-writable bit
 * back to 0, its power-on value (Command, BAR addresses, cache line size,
 * INT_LINE, the writable capability registers), the INTx condition cleared.
 * The ops hear of the BARs leaving and decoding stopping as for guest
 * writes; capability hooks are not run: their owners reset their own state.
 */
void pci_config_reset(struct pci_config *cfg);

/* Where INTx goes (before the guest runs); none until set. */
void pci_config_set_intx_pin(struct pci_config *cfg, pci_intx_pin_fn pin, void *opaque);

/*
 * The function's interrupt condition, any thread: Status.INTERRUPT reads
 * it, and the pin follows it while Command.INTX_DISABLE is clear.
 */
void pci_config_intx(struct pci_config *cfg, bool asserted);

/*
 * Declare BAR @bar (before the guest runs). @size: a power of two, at least
 * PCI_BAR_MIN_SIZE; a 64-bit BAR uses register @bar + 1 too, so @bar <= 4.
 * Returns -1 on a bad request.
 */
int pci_config_add_bar(struct pci_config *cfg, unsigned int bar, enum pci_bar_kind kind,
		       uint64_t size, bool prefetchable);

/*
 * Append a capability of @len bytes (header included) with ID @id to the
 * list; returns its offset, or -1 if it does not fit. Its body is
 * read-only until the owner marks bits writable with pci_config_set_wmask.
 * @written (may be NULL) is called after guest writes touching it.
 */
int pci_config_add_cap(struct pci_config *cfg, uint8_t id, unsigned int len,
		       pci_cap_hook_fn written, void *opaque);

/* Also call @reading before guest reads of the capability at @cap_offset. */
int pci_config_cap_on_read(struct pci_config *cfg, unsigned int cap_offset,
			   pci_cap_hook_fn reading);

/* Set (device side) @len bytes at @off: value and guest-writable bits. */
void pci_config_set(struct pci_config *cfg, unsigned int off, unsigned int len, uint32_t value);
void pci_config_set_wmask(struct pci_config *cfg, unsigned int off, unsigned int len,
			  uint32_t mask);
uint32_t pci_config_get(const struct pci_config *cfg, unsigned int off, unsigned int len);

/*
 * Guest accesses of @len 1, 2 or 4 bytes at @off (any alignment; bytes at or
 * past PCI_CFG_HDR_SIZE read 0; other lengths read all-ones and write
 * nothing).
 */
uint32_t pci_config_read(struct pci_config *cfg, unsigned int off, unsigned int len);
void pci_config_write(struct pci_config *cfg, unsigned int off, unsigned int len, uint32_t value);

/* Whether the function decodes memory accesses (Command.Memory). */
bool pci_config_memory_enabled(const struct pci_config *cfg);

/* The BAR (index) whose decoded range holds @addr, -1 if none. */
int pci_config_find_bar(const struct pci_config *cfg, uint64_t addr, uint64_t len,
			uint64_t *offset);

#endif
