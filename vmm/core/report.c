// SPDX-License-Identifier: MIT
/*
 * What is really in effect, and what happened: the SIGUSR1 statistics and
 * the --report-json file (schema: docs/report-json.md). Written from the
 * main thread; counters owned by other threads are read without locks, so
 * a report is a snapshot, not an atomic cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "devices/net/net_user.h"
#include "devices/net/net_vhost.h"
#include "version.h"
#include "lib/host_page.h"
#include "vhost/vhost_workers.h"
#include "vmm/core/json.h"
#include "vmm/core/kvm_stats.h"
#include "vmm/core/tier.h"
#include "vmm/core/vm_internal.h"
#include "vmm/core/vm_pci.h"

double report_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct exit_counts {
	uint64_t total, mmio, system, intr, other;
};

static void sum_exits(const struct vm *vm, struct exit_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		c->total += v->exits_total;
		c->mmio += v->exits_mmio;
		c->system += v->exits_system;
		c->intr += v->exits_intr;
		c->other += v->exits_other;
	}
}

static void read_kvm_stats(const struct vm *vm, struct kvm_stats *vm_stats,
			   struct kvm_stats *vcpu_stats)
{
	memset(vm_stats, 0, sizeof(*vm_stats));
	memset(vcpu_stats, 0, sizeof(*vcpu_stats));
	kvm_stats_add(vm->stats_fd, vm_stats);
	for (unsigned int i = 0; i < vm->ncpus; i++)
		kvm_stats_add(vm->vcpus[i].stats_fd, vcpu_stats);
}

static const char *tier_short(const struct virtio_net *net)
{
	return tier_short_name(tier_of_net(net));
}

void report_print_stats(struct vm *vm, FILE *f)
{
	struct exit_counts c;
	struct kvm_stats vms, vcs;

	sum_exits(vm, &c);
	read_kvm_stats(vm, &vms, &vcs);
	fprintf(f, "\r\ntinyvmm: statistics after %.1f s\r\n", report_now() - vm->start_time);
	fprintf(f, "  vCPU exits to tinyvmm: %llu (mmio %llu, system %llu, signal %llu, other %llu)\r\n",
		(unsigned long long)c.total, (unsigned long long)c.mmio,
		(unsigned long long)c.system, (unsigned long long)c.intr,
		(unsigned long long)c.other);
	if (vcs.count)
		fprintf(f, "  KVM: exits %llu, mmio in kernel %llu, wfi %llu, hvc %llu, irq %llu\r\n",
			(unsigned long long)kvm_stats_get(&vcs, "exits"),
			(unsigned long long)kvm_stats_get(&vcs, "mmio_exit_kernel"),
			(unsigned long long)kvm_stats_get(&vcs, "wfi_exit_stat"),
			(unsigned long long)kvm_stats_get(&vcs, "hvc_exit_stat"),
			(unsigned long long)kvm_stats_get(&vcs, "irq_exits"));
	if (!vm->net)
		return;
	fprintf(f, "  virtio-net (Tier %s): %lu interrupts, %lu trapped kicks, %llu ACKs in KVM, link %s\r\n",
		tier_short(vm->net), vm->net->vdev.interrupts, vm->net->vdev.trapped_notifies,
		(unsigned long long)vm_net_acks_in_kernel(vm),
		vm->net->link_status ? "up" : "down");
	for (unsigned int i = 0; i < vm->net->npairs; i++) {
		struct net_pair_stats snap;
		const struct net_pair_stats *s = &snap;

		net_pair_stats_read(&vm->net->pairs[i], &snap);
		if (vm->net->active_backend == NET_BACKEND_VHOST) {
			fprintf(f, "  pair %u: moved by vhost-net (kernel); no userspace counters\r\n", i);
			continue;
		}
		fprintf(f, "  pair %u: rx %llu pkts %llu B (%llu dropped), tx %llu pkts %llu B (%llu dropped: %llu oversize, %llu refused by the TAP), kicks rx %llu tx %llu\r\n",
			i, (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
			(unsigned long long)s->rx_dropped, (unsigned long long)s->tx_packets,
			(unsigned long long)s->tx_bytes, (unsigned long long)s->tx_dropped,
			(unsigned long long)s->tx_oversize, (unsigned long long)s->tx_refused,
			(unsigned long long)s->rx_kicks, (unsigned long long)s->tx_kicks);
	}
}

static void write_features(struct json *j, const char *key, uint64_t f)
{
	json_begin_array(j, key);
	for (unsigned int bit = 0; bit < 64; bit++) {
		char unknown[16];
		const char *name = virtio_net_feature_name(bit);

		if (!(f & (1ULL << bit)))
			continue;
		if (!name) {
			snprintf(unknown, sizeof(unknown), "bit%u", bit);
			name = unknown;
		}
		json_string(j, NULL, name);
	}
	json_end_array(j);
}

static void write_not_in_effect(struct json *j, const struct virtio_net *net)
{
	uint64_t packed = 1ULL << VIRTIO_F_RING_PACKED;
	const char *no_packed = virtio_net_packed_not_offered(net);

	json_begin_array(j, "not_in_effect");
	for (unsigned int bit = 0; bit < 64; bit++) {
		if (!(net->opts.features_off & (1ULL << bit)) || !virtio_net_feature_name(bit))
			continue;
		json_begin_object(j, NULL);
		json_string(j, "feature", virtio_net_feature_name(bit));
		json_string(j, "reason", "not offered: turned off on the command line");
		json_end_object(j);
	}
	if (no_packed) {
		json_begin_object(j, NULL);
		json_string(j, "feature", "ring_packed");
		json_string(j, "reason", no_packed);
		json_end_object(j);
	} else if (net->opts.packed && net->activations && !(net->negotiated_features & packed)) {
		json_begin_object(j, NULL);
		json_string(j, "feature", "ring_packed");
		json_string(j, "reason", "offered, but the guest driver chose split");
		json_end_object(j);
	}
	if (net->opts.vhost != NET_VHOST_OFF && net->backend == NET_BACKEND_USERSPACE) {
		json_begin_object(j, NULL);
		json_string(j, "feature", "vhost-net");
		json_string(j, "reason", net->vhost_unavailable[0] ? net->vhost_unavailable
							: "not available");
		json_end_object(j);
	}
	json_end_array(j);
}

static void write_queues(struct json *j, const struct virtio_net *net)
{
	json_begin_array(j, "queue_pairs_stats");
	for (unsigned int i = 0; i < net->npairs; i++) {
		struct net_pair_stats snap;
		const struct net_pair_stats *s = &snap;

		net_pair_stats_read(&net->pairs[i], &snap);
		json_begin_object(j, NULL);
		json_u64(j, "pair", i);
		json_u64(j, "rx_packets", s->rx_packets);
		json_u64(j, "rx_bytes", s->rx_bytes);
		json_u64(j, "rx_dropped", s->rx_dropped);
		json_u64(j, "tx_packets", s->tx_packets);
		json_u64(j, "tx_bytes", s->tx_bytes);
		json_u64(j, "tx_dropped", s->tx_dropped);
		json_u64(j, "rx_kicks", s->rx_kicks);
		json_u64(j, "tx_kicks", s->tx_kicks);
		json_u64(j, "interrupts", s->interrupts);
		json_u64(j, "interrupts_saved", s->interrupts_saved);
		json_u64(j, "rx_waits", s->rx_waits);
		json_u64(j, "tx_waits", s->tx_waits);
		json_u64(j, "tx_oversize", s->tx_oversize);
		json_u64(j, "tx_refused", s->tx_refused);
		json_u64(j, "worker_wakeups", s->worker_wakeups);
		json_u64(j, "polls_found", s->polls_found);
		json_u64(j, "polls_missed", s->polls_missed);
		json_end_object(j);
	}
	json_end_array(j);
}

static void write_vhost_workers(struct json *j, const struct vm *vm)
{
	const struct vhost_workers *w = &vm->net->vhost_workers;

	if (vm->net->backend != NET_BACKEND_VHOST) {
		json_null(j, "vhost_workers");
		return;
	}
	json_begin_object(j, "vhost_workers");
	json_string(j, "kind", w->kind == VHOST_WORKERS_THREADS ? "threads" :
			       w->kind == VHOST_WORKERS_KTHREADS ? "kernel_threads" : "none");
	json_begin_array(j, "ids");
	for (unsigned int i = 0; i < w->count; i++)
		json_u64(j, NULL, (uint64_t)w->ids[i]);
	json_end_array(j);
	json_end_object(j);
}

static void write_network(struct json *j, struct vm *vm)
{
	const struct virtio_net *net = vm->net;
	const struct virtio_dev *dev;
	bool vhost;

	if (!net) {
		json_null(j, "network");
		return;
	}
	dev = &net->vdev;
	vhost = net->active_backend == NET_BACKEND_VHOST && net->activations;
	json_begin_object(j, "network");
	json_string(j, "tier", tier_short(net));
	json_string(j, "tier_name", tier_description(tier_of_net(net)));
	json_string(j, "tap", net->opts.tap_name);
	json_u64(j, "queue_pairs", net->npairs);
	json_u64(j, "active_queue_pairs", net->active_pairs);
	json_string(j, "vhost_requested", net->opts.vhost == NET_VHOST_ON ? "on" :
					  net->opts.vhost == NET_VHOST_OFF ? "off" : "auto");
	json_string(j, "backend", net->backend == NET_BACKEND_VHOST ? "vhost-net" : "userspace");
	json_string(j, "interrupts_via", net->backend != NET_BACKEND_VHOST ? "irqfd" :
					 net->opts.irq_mode == NET_IRQ_DIRECT ? "vhost-irqfd-direct"
									      : "relay");
	json_string(j, "transport", vm->pci ? "pci" : "mmio");
	/* virtio-mmio version 1 (--virtio-mmio legacy) or the virtio 1.x interface. */
	json_string(j, "virtio_interface", dev->legacy ? "legacy" : "modern");
	/* Set on every ring at start-up and read back (vhost_net_set_busyloop). */
	if (net->backend == NET_BACKEND_VHOST)
		json_u64(j, "vhost_poll_us", net->opts.vhost_poll_us);
	else
		json_null(j, "vhost_poll_us");
	/* The Tier 2 worker's longest poll (net_poll.h: the window adapts below it). */
	if (net->backend == NET_BACKEND_USERSPACE)
		json_u64(j, "worker_poll_us", net->opts.worker_poll_us);
	else
		json_null(j, "worker_poll_us");
	json_string(j, "worker_sched", virtio_net_workers_batch(net) ? "batch" : "normal");
	json_bool(j, "driver_ready", dev->active);
	json_bool(j, "link_up", net->link_status != 0);
	/* What the driver last negotiated: kept when it resets before power-off. */
	json_u64(j, "activations", net->activations);
	json_u64(j, "vhost_ring_errors", net->vhost_errors);
	json_u64(j, "vhost_stalls", net->vhost_stalls);
	json_string(j, "ring", !net->activations ? NULL :
			       virtio_has_feature(net->negotiated_features, VIRTIO_F_RING_PACKED)
				       ? "packed" : "split");
	json_begin_array(j, "queue_sizes");
	for (unsigned int q = 0; net->activations && q < dev->nqueues; q++)
		json_u64(j, NULL, net->negotiated_sizes[q]);
	json_end_array(j);
	write_features(j, "features_offered", dev->device_features);
	write_features(j, "features_accepted", net->negotiated_features);
	if (vhost)
		write_features(j, "features_vhost", vhost_net_backend_features(
				       net->negotiated_features, net_vhost_features(net)));
	else
		json_null(j, "features_vhost");
	write_vhost_workers(j, vm);
	write_not_in_effect(j, net);
	json_u64(j, "device_interrupts", dev->interrupts);
	json_u64(j, "trapped_kicks", dev->trapped_notifies);
	json_u64(j, "interrupt_acks_in_kernel", vm_net_acks_in_kernel(vm));
	json_bool(j, "counters_complete", !vhost);	/* vhost moves data unseen */
	write_queues(j, net);
	vm_pci_write_json(j, vm);
	json_end_object(j);
}

static void write_cpu_features(struct json *j, const struct cpu_features *f)
{
	json_begin_object(j, "cpu_features");
	json_string(j, "pmu", cpu_feature_state_name(f->pmu));
	json_string(j, "pauth", cpu_feature_state_name(f->pauth));
	json_string(j, "sve", cpu_feature_state_name(f->sve));
	json_begin_array(j, "sve_vector_lengths");
	for (unsigned int vq = 1; f->sve == CPU_FEATURE_ON && vq <= CPU_SVE_VLS_WORDS * 64; vq++)
		if (f->sve_vls[(vq - 1) / 64] & (1ULL << ((vq - 1) % 64)))
			json_u64(j, NULL, vq * 128);
	json_end_array(j);
	json_end_object(j);
}

static void write_kvm_stats(struct json *j, const char *key, const struct kvm_stats *s, int fd)
{
	if (fd < 0) {
		json_null(j, key);
		return;
	}
	json_begin_object(j, key);
	for (unsigned int i = 0; i < s->count; i++)
		json_u64(j, s->items[i].name, s->items[i].value);
	json_end_object(j);
}

/* Milliseconds since start, or null when not reached (negative). */
static void json_ms(struct json *j, const char *key, double t)
{
	if (t < 0)
		json_null(j, key);
	else
		json_u64(j, key, (uint64_t)(t * 1000 + 0.5));
}

static void write_milestones(struct json *j, const struct vm *vm, bool at_exit)
{
	const struct boot_milestones *b = &vm->milestones;

	json_begin_object(j, "milestones");
	json_ms(j, "first_console_byte_ms", b->first_byte);
	json_ms(j, "first_userspace_line_ms", b->first_user_line);
	json_ms(j, "expect_matched_ms", b->expect_matched);
	json_ms(j, "total_ms", at_exit ? vm->stop_time - vm->start_time : -1);
	json_end_object(j);
}

static void write_body(struct json *j, struct vm *vm, const char *phase)
{
	const struct vm_config *cfg = vm->cfg;
	struct exit_counts c;
	struct kvm_stats vms, vcs;
	struct utsname u;

	sum_exits(vm, &c);
	read_kvm_stats(vm, &vms, &vcs);
	if (uname(&u))
		strcpy(u.machine, "?");
	json_begin_object(j, NULL);
	json_u64(j, "schema_version", 1);
	json_string(j, "tinyvmm_version", TINYVMM_VERSION);
	json_string(j, "phase", phase);
	json_int(j, "exit_code", strcmp(phase, "exit") ? -1 : vm->exit_code);
	json_string(j, "exit_message", vm->stop_message[0] ? vm->stop_message : NULL);
	json_int(j, "uptime_ms", (long long)((report_now() - vm->start_time) * 1000));
	json_string(j, "on_reset", cfg->reboot_on_reset ? "reboot" : "exit");
	json_u64(j, "reboots", vm->reboots);
	json_begin_object(j, "platform");
	json_string(j, "arch", u.machine);
	json_string(j, "host_kernel", u.release);
	json_u64(j, "ipa_bits", vm->kvm.ipa_bits);
	json_u64(j, "host_page_size", host_page_size());
	json_u64(j, "gic_version", (uint64_t)vm->gic.version);
	json_end_object(j);
	json_begin_object(j, "guest");
	json_u64(j, "cpus", vm->ncpus);
	json_u64(j, "mem_mib", vm->mem.size >> 20);
	json_string(j, "kernel", cfg->kernel_path);
	json_string(j, "bios", cfg->bios_path);
	json_string(j, "kernel_format", loader_format_report_name(vm->boot.format));
	json_bool(j, "kernel_gzipped", vm->boot.gzipped);
	json_string(j, "initrd", cfg->initrd_path);
	json_string(j, "cmdline", cfg->cmdline);
	json_u64(j, "entry", vm->boot.entry);
	json_u64(j, "fdt_addr", vm->boot.fdt_addr);
	write_cpu_features(j, &vm->cpu);
	json_end_object(j);
	write_network(j, vm);
	write_milestones(j, vm, !strcmp(phase, "exit"));
	json_begin_object(j, "vcpu_exits");
	json_u64(j, "total", c.total);
	json_u64(j, "mmio", c.mmio);
	json_u64(j, "system_event", c.system);
	json_u64(j, "signal", c.intr);
	json_u64(j, "other", c.other);
	json_end_object(j);
	write_kvm_stats(j, "kvm_vm_stats", &vms, vm->stats_fd);
	write_kvm_stats(j, "kvm_vcpu_stats", &vcs, vm->ncpus ? vm->vcpus[0].stats_fd : -1);
	json_end_object(j);
}

/* The whole report for @phase in a malloc'ed buffer (no file system calls). */
static char *report_text(struct vm *vm, const char *phase, size_t *len)
{
	char *text = NULL;
	struct json j;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	json_init(&j, f);
	write_body(&j, vm, phase);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* The report replaces what the file held. */
static int write_all_at_start(int fd, const char *text, size_t len)
{
	if (ftruncate(fd, 0))
		return -1;
	return write_fully_at(fd, text, len, 0);
}

/*
 * The start report: written to a new file next to PATH (O_EXCL through
 * mkstemp, so no symlink or other file is followed), then renamed over
 * PATH, so a reader never sees half of it. The fd stays open for the exit
 * report: after set-up the sandbox allows no open or rename.
 */
int report_open(struct vm *vm)
{
	const char *path = vm->cfg->report_json_path;
	char tmp[4096];
	size_t len;
	char *text;
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	text = report_text(vm, "start", &len);
	if (!text || fchmod(fd, 0644) || write_all_at_start(fd, text, len) || rename(tmp, path)) {
		e = text ? errno : ENOMEM;
		free(text);
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	free(text);
	vm->report_fd = fd;
	return 0;
}

/*
 * Rewrite the report in place through the fd report_open() kept (the exit
 * report, and SIGUSR1 snapshots if ever wanted).
 */
int report_write_json(struct vm *vm, const char *phase)
{
	size_t len;
	char *text;
	int r;

	if (vm->report_fd < 0) {
		errno = EBADF;
		return -1;
	}
	text = report_text(vm, phase, &len);
	if (!text)
		return -1;
	r = write_all_at_start(vm->report_fd, text, len);
	free(text);
	return r;
}
