/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VM_CONFIG_H
#define TINYVMM_VM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/arm64/board.h"
#include "vmm/arm64/cpu_features.h"
#include "vmm/arm64/gic.h"

/*
 * What to build and run: filled by the command line (vmm/cli.c), read by
 * the VM. Devices never see it; the VM hands each its own config struct.
 */

enum vhost_mode { VHOST_AUTO = 0, VHOST_ON, VHOST_OFF };

/* --virtio-mmio: the interface virtio-mmio devices speak; auto is the board's default. */
enum virtio_mmio_mode { VIRTIO_MMIO_MODE_AUTO = 0, VIRTIO_MMIO_MODE_MODERN, VIRTIO_MMIO_MODE_LEGACY };

#define VM_MAX_FAIL_ON		12	/* the matcher's limit less the defaults */

struct vm_config {
	enum board_id machine;		/* --machine: the board (vmm/arm64/board.c) */
	const char *kernel_path;
	const char *bios_path;		/* --bios: firmware in flash bank 0, no kernel */
	const char *initrd_path;
	const char *cmdline;
	const char *dump_dtb_path;
	const char *console_log_path;
	const char *report_json_path;
	const char *run_as_user;	/* --user: drop root after set-up */
	int seccomp;			/* enum seccomp_mode; on by default */
	unsigned int cpus;
	uint64_t mem_mib;
	enum gic_request gic;
	unsigned int timeout_s;		/* 0: no timeout */
	bool reboot_on_reset;		/* --on-reset reboot: PSCI SYSTEM_RESET restarts the guest */
	bool quiet;
	/* CI smoke tests: console patterns and the exit-status device. */
	const char *expect;		/* --expect REGEX, or NULL */
	const char *fail_on[VM_MAX_FAIL_ON];
	unsigned int nfail_on;
	bool no_default_fail_on;
	bool exit_device;
	struct cpu_features_wanted cpu;	/* --no-pmu, --no-pauth, --no-sve */
	/* Network: a virtio-net device exists only with --tap. */
	const char *tap_name;
	uint8_t mac[6];
	bool mac_set;
	bool no_packed;
	bool no_event_idx;		/* --no-event-idx: VIRTIO_RING_F_EVENT_IDX not offered */
	bool no_mrg_rxbuf;		/* --no-mrg-rxbuf: VIRTIO_NET_F_MRG_RXBUF not offered */
	enum vhost_mode vhost;
	bool vhost_irq_relay;
	bool vhost_irq_set;
	unsigned int vhost_poll_us;	/* --vhost-poll-us: vhost busy-poll time, 0 = off */
	bool vhost_poll_set;
	unsigned int worker_poll_us;	/* --worker-poll-us: Tier 2 worker's longest poll, 0 = off */
	bool worker_poll_set;
	bool worker_batch;		/* --worker-sched batch: the queues' workers run SCHED_BATCH */
	bool worker_sched_set;
	unsigned int queues;
	bool transport_pci;		/* virtio-net on virtio-pci (after auto is resolved) */
	bool transport_set;		/* --transport mmio|pci given; else auto: pci when --queues > 1 */
	enum virtio_mmio_mode virtio_mmio;	/* version 2 (modern) or 1 (legacy) */
};

#endif
