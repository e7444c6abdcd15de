/* SPDX-License-Identifier: MIT */
/* Packed virtqueues (devices/virtio/virtq_packed.c) against a hostile driver. */
#define RING_PACKED 1
#include "ring_fuzz.h"
