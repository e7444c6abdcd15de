// SPDX-License-Identifier: MIT
/*
 * The guest's virtio interrupts, read from /proc/interrupts. Prints, for
 * every line whose name starts with "virtio" (virtio-mmio or INTx: one line
 * "virtio0" per device; virtio-pci with MSI-X: one per vector, named
 * "virtio0-config", "virtio0-input.0", "virtio0-output.0", ...):
 *   guest-test: irqs NAME chip=CHIP per-cpu=N,N,... total=N
 * and then one summary:
 *   guest-test: irqs summary lines=N input=N output=N rx_cpus=N of CPUS
 * input/output: how many per-queue vectors of each kind exist; rx_cpus:
 * how many CPUs handled at least one receive (input.*) interrupt, so a
 * check can say "receive interrupts ran on every vCPU".
 */
#include "irqs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "say.h"

#define MAX_CPUS 64

/* The header line names one column per possible CPU: "CPU0 CPU1 ...". */
static unsigned int count_cpus(const char *header)
{
	unsigned int n = 0;

	for (const char *p = header; (p = strstr(p, "CPU")); p += 3)
		n++;
	return n < MAX_CPUS ? n : MAX_CPUS;
}

struct irq_line {
	unsigned long long count[MAX_CPUS], total;
	char chip[32], name[64];
};

/*
 * The @ncpus per-CPU columns at @p into @l (and their total); where they
 * end, or NULL if the line has fewer (not a per-CPU line).
 */
static char *parse_counts(char *p, unsigned int ncpus, struct irq_line *l)
{
	l->total = 0;
	for (unsigned int c = 0; c < ncpus; c++) {
		char *end;

		l->count[c] = strtoull(p, &end, 10);
		if (end == p)
			return NULL;
		l->total += l->count[c];
		p = end;
	}
	return p;
}

/* "12,0,...": @l's per-CPU counts, comma-separated, in @buf. */
static void format_counts(const struct irq_line *l, unsigned int ncpus, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int c = 0; c < ncpus && off < size; c++)
		off += (size_t)snprintf(buf + off, size - off, "%s%llu", c ? "," : "", l->count[c]);
}

/* "  41:  12  0  ITS-MSI 16385 Edge  virtio0-input.0": 0 if it parsed. */
static int parse_line(char *line, unsigned int ncpus, struct irq_line *l)
{
	char *p = strchr(line, ':'), *tok, *save = NULL, *last = NULL;

	if (!p)
		return -1;
	p = parse_counts(p + 1, ncpus, l);
	if (!p)
		return -1;
	l->chip[0] = '\0';
	for (tok = strtok_r(p, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (!l->chip[0])
			snprintf(l->chip, sizeof(l->chip), "%s", tok);
		last = tok;
	}
	if (!last || strncmp(last, "virtio", 6))
		return -1;
	snprintf(l->name, sizeof(l->name), "%s", last);
	return 0;
}

static void say_line(const struct irq_line *l, unsigned int ncpus)
{
	char counts[MAX_CPUS * 21];

	format_counts(l, ncpus, counts, sizeof(counts));
	guest_say("irqs", "%s chip=%s per-cpu=%s total=%llu", l->name, l->chip, counts, l->total);
}

/*
 * "IPI0:  5  3  Rescheduling interrupts" or "11: 90 80 GICv3 27 Level
 * arch_timer": the per-CPU counts and a short name, 0 if it is a timer or
 * IPI line.
 */
static int parse_other(char *line, unsigned int ncpus, struct irq_line *l)
{
	char *p = strchr(line, ':');
	int ipi = !strncmp(line + strspn(line, " "), "IPI", 3);

	if (!p || (!ipi && !strstr(line, "arch_timer")))
		return -1;
	snprintf(l->chip, sizeof(l->chip), "%.*s", (int)(p - line - strspn(line, " ")),
		 line + strspn(line, " "));
	p = parse_counts(p + 1, ncpus, l);
	if (!p)
		return -1;
	p += strspn(p, " \t");
	if (!ipi)
		p = strstr(p, "arch_timer");
	snprintf(l->name, sizeof(l->name), "%.*s", (int)strcspn(p, " \t\n"), p);
	return 0;
}

void guest_irqs_report_other(void)
{
	FILE *f = fopen("/proc/interrupts", "re");
	static struct irq_line l;
	unsigned int ncpus;
	char line[1024];

	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return;
	}
	ncpus = count_cpus(line);
	while (fgets(line, sizeof(line), f)) {
		char counts[MAX_CPUS * 21];

		if (parse_other(line, ncpus, &l))
			continue;
		format_counts(&l, ncpus, counts, sizeof(counts));
		guest_say("irqs-other", "%s per-cpu=%s name=%s", l.chip, counts, l.name);
	}
	fclose(f);
}

void guest_irqs_report(void)
{
	FILE *f = fopen("/proc/interrupts", "re");
	static struct irq_line l;
	unsigned long long rx[MAX_CPUS] = { 0 };
	unsigned int ncpus, lines = 0, input = 0, output = 0, rx_cpus = 0;
	char line[1024];

	if (!f || !fgets(line, sizeof(line), f)) {
		guest_say("irqs", "error: cannot read /proc/interrupts");
		if (f)
			fclose(f);
		return;
	}
	ncpus = count_cpus(line);
	while (fgets(line, sizeof(line), f)) {
		if (parse_line(line, ncpus, &l))
			continue;
		say_line(&l, ncpus);
		lines++;
		if (strstr(l.name, "-input.")) {
			input++;
			for (unsigned int c = 0; c < ncpus; c++)
				rx[c] += l.count[c];
		} else if (strstr(l.name, "-output.")) {
			output++;
		}
	}
	fclose(f);
	for (unsigned int c = 0; c < ncpus; c++)
		rx_cpus += rx[c] > 0;
	guest_say("irqs", "summary lines=%u input=%u output=%u rx_cpus=%u of %u", lines, input,
		  output, rx_cpus, ncpus);
}

/* Sum of the per-CPU counts of every /proc/interrupts line naming virtio. */
unsigned long long guest_virtio_irqs(void)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char line[1024];
	unsigned long long sum = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!p || !strstr(line, "virtio"))
			continue;
		for (p++;;) {
			char *end;
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
	}
	fclose(f);
	return sum;
}
