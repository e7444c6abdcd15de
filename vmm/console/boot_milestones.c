// SPDX-License-Identifier: MIT
#include "vmm/console/boot_milestones.h"

#include <string.h>

void boot_milestones_init(struct boot_milestones *b)
{
	memset(b, 0, sizeof(*b));
	b->first_byte = -1;
	b->first_user_line = -1;
	b->expect_matched = -1;
}

bool boot_line_has_printk_time(const char *line, size_t len)
{
	size_t i = 1;
	bool digits = false;

	if (!len || line[0] != '[')
		return false;
	while (i < len && line[i] == ' ')
		i++;
	for (; i < len && line[i] >= '0' && line[i] <= '9'; i++)
		digits = true;
	if (!digits || i >= len || line[i] != '.')
		return false;
	for (i++, digits = false; i < len && line[i] >= '0' && line[i] <= '9'; i++)
		digits = true;
	return digits && i < len && line[i] == ']';
}

static bool is_init_line(const char *line, size_t len)
{
	static const char marker[] = " as init process";

	return memmem(line, len, marker, sizeof(marker) - 1) != NULL;
}

static void end_line(struct boot_milestones *b)
{
	bool empty = !b->in_line;

	b->in_line = false;
	if (empty)
		return;
	if (b->init_started || !boot_line_has_printk_time(b->line, b->line_len))
		b->first_user_line = b->line_start;
	else if (is_init_line(b->line, b->line_len))
		b->init_started = true;
}

void boot_milestones_flush(struct boot_milestones *b)
{
	if (b->first_user_line < 0)
		end_line(b);
}

void boot_milestones_output(struct boot_milestones *b, const uint8_t *buf, size_t len,
			    double (*now)(void), double start)
{
	if (len && b->first_byte < 0)
		b->first_byte = now() - start;
	for (size_t i = 0; i < len && b->first_user_line < 0; i++) {
		uint8_t c = buf[i];

		if (c == '\r' || c == '\0')
			continue;
		if (c == '\n') {
			end_line(b);
			continue;
		}
		if (!b->in_line) {
			b->in_line = true;
			b->line_len = 0;
			b->line_start = now() - start;
		}
		if (b->line_len < BOOT_LINE_PREFIX)
			b->line[b->line_len++] = (char)c;
	}
}

static void print_one(FILE *f, const char *what, double t, const char *sep)
{
	if (t >= 0)
		fprintf(f, "%s %.2f s%s", what, t, sep);
	else
		fprintf(f, "%s -%s", what, sep);
}

void boot_milestones_print(const struct boot_milestones *b, double total, FILE *f)
{
	fprintf(f, "tinyvmm: boot milestones: ");
	print_one(f, "first console byte", b->first_byte, ", ");
	print_one(f, "first userspace line", b->first_user_line, ", ");
	print_one(f, "--expect matched", b->expect_matched, ", ");
	print_one(f, "total", total, "\n");
}
