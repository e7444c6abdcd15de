/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_IRQS_H
#define GUEST_TEST_IRQS_H

/*
 * The guest's virtio interrupts from /proc/interrupts, one line each, for
 * the e2e checks (see irqs.c for the lines printed).
 */
void guest_irqs_report(void);
/* Sum of the per-CPU counts of every /proc/interrupts line naming virtio. */
unsigned long long guest_virtio_irqs(void);

#endif
