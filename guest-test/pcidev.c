// SPDX-License-Identifier: MIT
#include "pcidev.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int pci_function_of(const char *ifname, char *buf, size_t size)
{
	char path[PATH_MAX], real[PATH_MAX], *slash;
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	if (!realpath(path, real))
		return -1;
	/* .../0000:00:01.0/virtio0: the virtio device's parent is the function. */
	slash = strrchr(real, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	slash = strrchr(real, '/');
	if (!slash || strlen(slash + 1) >= size)
		return -1;
	strcpy(buf, slash + 1);
	snprintf(path, sizeof(path), PCI_VIRTIO_DRIVER_DIR "/%s", buf);
	return lstat(path, &st) == 0 ? 0 : -1;
}
