/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_TAP_H
#define TINYVMM_TAP_H

#include <stdbool.h>

#include "lib/util.h"

/*
 * virtio-net header as VERSION_1 devices use it: 12 bytes incl. num_buffers
 * (also legacy with MRG_RXBUF); a legacy driver without MRG_RXBUF has the
 * 10 bytes before it (virtio 1.2 §5.1.6.1). tap_open() sets 12 until a
 * driver negotiates.
 */
#define VNET_HDR_SIZE 12
#define VNET_HDR_SIZE_LEGACY 10

/*
 * Open one queue of TAP interface @name (creating it when it does not exist
 * and we may) with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, non-blocking.
 * Returns the fd or -1 with @err saying what to do.
 */
int tap_open(const char *name, bool multi_queue, struct tvm_error *err);

/* Linux 6.2 UAPI; Debian 12's headers predate them. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

/* The vnet header the TAP reads and writes before each frame (TUNSETVNETHDRSZ). */
int tap_set_vnet_hdr_size(int fd, int size);

/* TUN_F_* offloads the guest can take (from its GUEST_* features). */
int tap_set_offload(int fd, unsigned int tun_flags);

/*
 * The optional offloads this kernel's TAP accepts, probed on @fd: TUN_F_UFO
 * and TUN_F_USO4|TUN_F_USO6 (Linux 6.2+). Leaves the TAP with none set.
 */
unsigned int tap_probe_offloads(int fd);

/* Bring the interface up if nobody did (a TAP we just created is down). */
int tap_set_up(const char *name);

#endif
