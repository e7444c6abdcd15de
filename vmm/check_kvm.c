// SPDX-License-Identifier: MIT
/*
 * The KVM part of `tinyvmm check`: what a probe of /dev/kvm found, as
 * lines, and whether a guest could run on it. Pure (the probe result is
 * passed in), so the unit tests cover hosts where the ioctls fail.
 */
#include "vmm/check.h"

#include <linux/kvm.h>
#include <stdarg.h>
#include <string.h>

#include "vmm/arm64/granule.h"
#include "vmm/arm64/board.h"
#include "vmm/arm64/ipa.h"
#include "vmm/msi/msi.h"

void check_line(FILE *out, const char *mark, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "  [%s] ", mark);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

/* The IPA line: how much guest RAM fits above the default board's RAM base. */
static void report_ipa(FILE *out, const struct kvm_check_info *k)
{
	unsigned int bits = k->max_ipa_bits ? (unsigned int)k->max_ipa_bits : IPA_DEFAULT_BITS;
	uint64_t base = board_get(BOARD_TINYVMM)->ram_base;

	check_line(out, "ok", "IPA size: %s %u bits (guest RAM up to %llu GiB, --mem %llu)",
		   k->max_ipa_bits ? "up to" : "fixed", bits,
		   (unsigned long long)(ipa_max_ram(bits, base) >> 30),
		   (unsigned long long)(ipa_max_ram(bits, base) >> 20));
}

/* How PCI devices (--transport pci) would interrupt the guest here. */
static void report_pci_msi(FILE *out, const struct kvm_check_info *k)
{
	enum msi_mode mode = msi_mode_choose(k->gic_v3 ? 3 : k->gic_v2 ? 2 : 0, k->gic_its);

	check_line(out, mode != MSI_MODE_INTX ? "ok" : "--", "PCI interrupts (--transport pci): %s, %s",
		   msi_mode_name(mode), msi_mode_describe(mode));
	if (mode == MSI_MODE_INTX)
		return;
	/* What the fast path needs: vhost's call fds become the vectors' irqfds. */
	if (k->irq_routing && k->irqfd && (mode != MSI_MODE_ITS || k->signal_msi))
		check_line(out, "ok", "MSI routing: KVM_SET_GSI_ROUTING %s, KVM_SIGNAL_MSI %s, irqfd yes (vhost interrupts reach the MSI-X vectors without tinyvmm; --transport auto uses PCI for --queues > 1)",
			   k->irq_routing ? "yes" : "no", k->signal_msi ? "yes" : "no");
	else
		check_line(out, "--", "MSI routing: KVM_SET_GSI_ROUTING %s, KVM_SIGNAL_MSI %s, irqfd %s: MSI-X vectors this host cannot route are not delivered; use --transport mmio",
			   k->irq_routing ? "yes" : "no", k->signal_msi ? "yes" : "no",
			   k->irqfd ? "yes" : "no");
}

/* What a guest's vCPUs would get by default: all [ok], or a note. */
static void report_cpu_features(FILE *out, const struct kvm_check_info *k)
{
	struct cpu_features_wanted all = { 0 };
	struct cpu_features f;
	char text[200];

	cpu_features_choose(&k->cpu, &all, &f);
	memcpy(f.sve_vls, k->sve_vls, sizeof(f.sve_vls));
	cpu_features_describe(&f, text, sizeof(text));
	check_line(out, k->cpu.pmu && k->cpu.pauth && k->cpu.sve ? "ok" : "--",
		   "CPU features for guests: %s", text);
}

bool check_report_kvm_info(FILE *out, const struct kvm_check_info *k)
{
	bool usable = true;

	if (k->api_version != KVM_API_VERSION) {
		if (k->api_version < 0)
			check_line(out, "!!", "/dev/kvm: opens, but KVM_GET_API_VERSION fails: this is not a working KVM (e.g. under qemu-user); nothing else tried");
		else
			check_line(out, "!!", "/dev/kvm: opens, KVM API %d, tinyvmm needs %d: use a newer host kernel",
				   k->api_version, KVM_API_VERSION);
		return false;
	}
	check_line(out, "ok", "/dev/kvm: opens, KVM API %d", k->api_version);
	if (k->missing_cap) {
		check_line(out, "!!", "KVM lacks %s: use a host kernel of 4.14 or newer", k->missing_cap);
		usable = false;
	} else {
		check_line(out, "ok", "KVM capabilities tinyvmm needs: all present");
	}
	report_ipa(out, k);
	if (k->max_vcpus > 0)
		check_line(out, "ok", "vCPUs: up to %d", k->max_vcpus);
	else
		check_line(out, "!!", "vCPUs: KVM_CAP_MAX_VCPUS fails (%d); a run assumes 1", k->max_vcpus);
	if (k->vm_errno) {
		check_line(out, "!!", "KVM_CREATE_VM fails: %s; no guest can run", strerror(k->vm_errno));
		return false;
	}
	check_line(out, k->gic_v3 || k->gic_v2 ? "ok" : "!!", "vGIC: v3 %s, v2 %s; --gic auto uses %s",
		   k->gic_v3 ? "yes" : "no", k->gic_v2 ? "yes" : "no",
		   k->gic_v3 ? "v3" : k->gic_v2 ? "v2" : "nothing (no guest can run)");
	report_pci_msi(out, k);
	if (k->vcpu_ok) {
		char list[32];

		check_line(out, "ok", "guest kernel page sizes this CPU runs: %s",
			   granule_list(mmfr0_granules(k->mmfr0), "and", list, sizeof(list)));
	} else {
		check_line(out, "!!", "a scratch vCPU could not be created and initialised; no guest can run");
		usable = false;
	}
	report_cpu_features(out, k);
	check_line(out, k->binary_stats ? "ok" : "--", "KVM binary statistics: %s",
		   k->binary_stats ? "yes (exits by reason in --report-json)" : "no (Linux < 5.14)");
	return usable && (k->gic_v3 || k->gic_v2);
}

