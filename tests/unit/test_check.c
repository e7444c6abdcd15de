// SPDX-License-Identifier: MIT
/* tinyvmm check's KVM verdict: a probe that failed is never [ok]. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/check.h"

static char *text;
static size_t text_len;

/* Run the real report on @k; its output lands in text. */
static bool report(const struct kvm_check_info *k)
{
	FILE *out;
	bool usable;

	free(text);	/* the previous report's, when a test makes several */
	out = open_memstream(&text, &text_len);
	cr_assert_not_null(out);
	usable = check_report_kvm_info(out, k);
	fclose(out);
	return usable;
}

static void teardown(void)
{
	free(text);
	text = NULL;
}

static struct kvm_check_info working_host(void)
{
	/* MMFR0 of QEMU's -cpu max: TGran4 0, TGran64 0, TGran16 2 (4K, 16K, 64K). */
	return (struct kvm_check_info){ .api_version = 12, .max_ipa_bits = 40, .max_vcpus = 8,
					.gic_v3 = true, .binary_stats = true, .vcpu_ok = true,
					.mmfr0 = 0x0000000000200005ULL };
}

TestSuite(check, .fini = teardown);

Test(check, working_host_is_usable_and_all_ok)
{
	struct kvm_check_info k = working_host();

	cr_assert(report(&k));
	cr_assert_not_null(strstr(text, "[ok] /dev/kvm: opens, KVM API 12\n"));
	cr_assert_not_null(strstr(text, "[ok] vCPUs: up to 8\n"));
	cr_assert_not_null(strstr(text, "[ok] vGIC: v3 yes, v2 no; --gic auto uses v3\n"));
	cr_assert_null(strstr(text, "[!!]"));
}

/* What qemu-user on an x86 host gives: /dev/kvm opens, every ioctl fails. */
Test(check, every_ioctl_failing_is_not_usable)
{
	struct kvm_check_info k = { .api_version = -1, .max_vcpus = -1, .vm_errno = 38,
				    .missing_cap = "KVM_CAP_USER_MEMORY" };

	cr_assert_not(report(&k));
	cr_assert_null(strstr(text, "[ok]"), "got: %s", text);
	cr_assert_not_null(strstr(text, "[!!] /dev/kvm: opens, but KVM_GET_API_VERSION fails"));
}

Test(check, wrong_api_version_is_not_usable)
{
	struct kvm_check_info k = working_host();

	k.api_version = 11;
	cr_assert_not(report(&k));
	cr_assert_not_null(strstr(text, "[!!] /dev/kvm: opens, KVM API 11, tinyvmm needs 12"));
	cr_assert_null(strstr(text, "[ok]"));
}

Test(check, no_vgic_is_not_usable)
{
	struct kvm_check_info k = working_host();

	k.gic_v3 = false;
	cr_assert_not(report(&k));
	cr_assert_not_null(strstr(text, "[!!] vGIC: v3 no, v2 no; --gic auto uses nothing"));
	k.gic_v2 = true;
	cr_assert(report(&k));
}

Test(check, missing_capability_is_not_usable)
{
	struct kvm_check_info k = working_host();

	k.missing_cap = "KVM_CAP_ONE_REG";
	cr_assert_not(report(&k));
	cr_assert_not_null(strstr(text, "[!!] KVM lacks KVM_CAP_ONE_REG"));
}

Test(check, failed_vcpu_limit_is_never_ok)
{
	struct kvm_check_info k = working_host();

	k.max_vcpus = -1;
	report(&k);
	cr_assert_null(strstr(text, "[ok] vCPUs"));
	cr_assert_not_null(strstr(text, "[!!] vCPUs: KVM_CAP_MAX_VCPUS fails (-1)"));
}

Test(check, failed_scratch_vm_is_not_usable)
{
	struct kvm_check_info k = working_host();

	k.vm_errno = 12;
	cr_assert_not(report(&k));
	cr_assert_not_null(strstr(text, "[!!] KVM_CREATE_VM fails: Cannot allocate memory"));
	cr_assert_null(strstr(text, "vGIC: v3 yes"));
}

Test(check, page_sizes_and_a_failed_scratch_vcpu)
{
	struct kvm_check_info k = working_host();

	cr_assert(report(&k));
	cr_assert_not_null(strstr(text, "[ok] guest kernel page sizes this CPU runs: 4K, 16K and 64K\n"));
	k.mmfr0 = 0x000000000f100000ULL;	/* Apple M1: TGran64 0xf, TGran16 1 */
	report(&k);
	cr_assert_not_null(strstr(text, "[ok] guest kernel page sizes this CPU runs: 4K and 16K\n"));
	k.vcpu_ok = false;
	cr_assert_not(report(&k));
	cr_assert_not_null(strstr(text, "[!!] a scratch vCPU could not be created"));
	cr_assert_null(strstr(text, "page sizes"));
}

Test(check, cpu_features_the_host_offers)
{
	struct kvm_check_info k = working_host();

	k.cpu = (struct cpu_features_offered){ .pmu = true, .pauth = true, .sve = true };
	k.sve_vls[0] = 0xf;	/* 128 to 512 bits */
	cr_assert(report(&k));
	cr_assert_not_null(strstr(text, "[ok] CPU features for guests: PMUv3 yes, pointer authentication yes, SVE yes (128-512 bit vectors)\n"),
			   "got: %s", text);
	k.cpu.sve = false;
	cr_assert(report(&k), "a missing optional feature does not make KVM unusable");
	cr_assert_not_null(strstr(text, "[--] CPU features for guests: PMUv3 yes, pointer authentication yes, SVE no (host KVM lacks it)\n"));
}

Test(check, pci_msi_routing)
{
	struct kvm_check_info k = working_host();

	k.gic_its = k.irq_routing = k.signal_msi = k.irqfd = true;
	cr_assert(report(&k));
	cr_assert_not_null(strstr(text, "[ok] PCI interrupts (--transport pci): ITS, "), "got: %s", text);
	cr_assert_not_null(strstr(text, "[ok] MSI routing: KVM_SET_GSI_ROUTING yes, KVM_SIGNAL_MSI yes, irqfd yes"));
	k.signal_msi = false;
	cr_assert(report(&k), "PCI is optional: KVM stays usable");
	cr_assert_not_null(strstr(text, "[--] MSI routing: KVM_SET_GSI_ROUTING yes, KVM_SIGNAL_MSI no, irqfd yes: "));
	cr_assert_not_null(strstr(text, "use --transport mmio"));
	/* GICv2m raises SPIs: KVM_SIGNAL_MSI is not needed there. */
	k.gic_v3 = k.gic_its = false;
	k.gic_v2 = true;
	cr_assert(report(&k));
	cr_assert_not_null(strstr(text, "[ok] MSI routing: "), "got: %s", text);
	/* GICv3 without ITS: INTx, no routing line. */
	k.gic_v3 = true;
	k.gic_v2 = false;
	cr_assert(report(&k));
	cr_assert_not_null(strstr(text, "[--] PCI interrupts (--transport pci): INTx"));
	cr_assert_null(strstr(text, "MSI routing"));
}
