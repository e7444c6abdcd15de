// SPDX-License-Identifier: MIT
#include "say.h"

#include <stdarg.h>
#include <stdio.h>

void guest_say(const char *part, const char *fmt, ...)
{
	va_list ap;

	fputs("guest-test: ", stdout);
	if (part)
		printf("%s ", part);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}
