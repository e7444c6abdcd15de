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

/*
 * The guest's timer and IPI counts per vCPU (arch_timer, IPI0 ...), one
 * line each, for the latency mode's tick-stall findings:
 *   guest-test: irqs-other LABEL per-cpu=N,N,... name=WORD
 */
void guest_irqs_report_other(void);

#endif
