// SPDX-License-Identifier: MIT
/* Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD". */
#include "vmm/core/kvm_stats.h"

#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct kvm_stat *slot(struct kvm_stats *acc, const char *name)
{
	for (unsigned int i = 0; i < acc->count; i++)
		if (!strcmp(acc->items[i].name, name))
			return &acc->items[i];
	if (acc->count == KVM_STATS_MAX)
		return NULL;
	snprintf(acc->items[acc->count].name, sizeof(acc->items[0].name), "%s", name);
	acc->items[acc->count].value = 0;
	return &acc->items[acc->count++];
}

int kvm_stats_add(int fd, struct kvm_stats *acc)
{
	struct kvm_stats_header hdr;
	size_t desc_size;
	uint8_t *descs;

	if (fd < 0 || pread(fd, &hdr, sizeof(hdr), 0) != sizeof(hdr) || hdr.num_desc > 4096 ||
	    hdr.name_size > 256)
		return -1;
	desc_size = sizeof(struct kvm_stats_desc) + hdr.name_size;
	descs = malloc(desc_size * hdr.num_desc);
	if (!descs)
		return -1;
	if (pread(fd, descs, desc_size * hdr.num_desc, hdr.desc_offset) !=
	    (ssize_t)(desc_size * hdr.num_desc)) {
		free(descs);
		return -1;
	}
	for (uint32_t i = 0; i < hdr.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * desc_size);
		struct kvm_stat *s;
		uint64_t v;

		if ((d->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE || d->size != 1)
			continue;	/* histograms and instant values don't sum */
		if (pread(fd, &v, sizeof(v), hdr.data_offset + d->offset) != sizeof(v))
			continue;
		d->name[hdr.name_size - 1] = '\0';
		s = slot(acc, d->name);
		if (s)
			s->value += v;
	}
	free(descs);
	return 0;
}

uint64_t kvm_stats_get(const struct kvm_stats *acc, const char *name)
{
	for (unsigned int i = 0; i < acc->count; i++)
		if (!strcmp(acc->items[i].name, name))
			return acc->items[i].value;
	return 0;
}
