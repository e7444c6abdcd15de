/* SPDX-License-Identifier: MIT */
/* Split virtqueues (devices/virtio/virtq_split.c) against a hostile driver. */
#define RING_PACKED 0
#include "ring_fuzz.h"
