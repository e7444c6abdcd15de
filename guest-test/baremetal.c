// SPDX-License-Identifier: MIT
/*
 * A bare-metal AArch64 test guest for --exit-device and --expect (e2e
 * checks exit-dev and expect-split). No libc, MMU off: tinyvmm enters at
 * _start with x0 = the device tree. It finds the "tinyvmm,exit" node in
 * the device tree and follows /chosen/bootargs, a list of words:
 *
 *   split     print "bare-metal: split-pat", wait, then "tern\n": one
 *             pattern in two separate console bursts
 *   exit=N    write N (decimal, 32 bits) to the exit device's register
 *   reset     reset the machine at once (PSCI SYSTEM_RESET): under
 *             tinyvmm --on-reset reboot, a guest rebooting in a tight loop
 *   mmioreset under --on-reset reboot with 2 vCPUs: one vCPU reads the UART
 *             in a loop while the other resets the machine (the reader
 *             alternates by boot); every boot checks that each vCPU
 *             entered at its first instruction with its registers as
 *             booting.rst and PSCI give them (an MMIO read left unfinished
 *             at the reset would land in the next boot: a register
 *             written, an instruction skipped). Lines: "bare-metal: boot B
 *             cpuN entry clean" (or "NOT clean: ..."), "bare-metal:
 *             mmioreset all boots done" after MMIORESET_BOOTS boots.
 *
 * If the write does not end the run (no device, or it ignored the write)
 * it says so and resets the machine (PSCI SYSTEM_RESET: exit code 3);
 * without an exit=, it powers off (exit code 0).
 *
 * With the MMU off every data access is Device memory, which faults when
 * unaligned: built with -mstrict-align and no floating point (CMake).
 */
#include <stddef.h>
#include <stdint.h>

#include "counter.h"

#define UART_THR	((volatile uint8_t *)0x09000000UL)	/* README "Guest memory map" */
#define FDT_MAGIC	0xd00dfeedU
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4
#define FDT_END		9
#define PSCI_SYSTEM_OFF		0x84000008UL
#define PSCI_SYSTEM_RESET	0x84000009UL
#define PSCI_CPU_ON		0xc4000003UL	/* SMC64 */
#define MMIORESET_BOOTS		13	/* 6 reboots with each vCPU reading */

void baremetal_main(const uint8_t *fdt, uint64_t entry_dirt);
void secondary_main(uint64_t entry_dirt);

/*
 * Both entries begin with the same marker, x9 = 1, and say which they are
 * in x10; entry_check then or's x1-x8 (0 at entry, as booting.rst and
 * PSCI CPU_ON leave them; the UART loop below reads into x5) with the
 * marker missing (a skipped first instruction), the "entry dirt" (0:
 * clean) passed on to baremetal_main (after the DTB) or secondary_main.
 */
__asm__(".section .text.start, \"ax\"\n"
	".global _start\n"
	"_start:\n"
	"	mov x9, #1\n"
	"	mov x10, #0\n"
	"	b entry_check\n"
	".global secondary_start\n"
	"secondary_start:\n"
	"	mov x9, #1\n"
	"	mov x10, #1\n"
	"entry_check:\n"
	"	eor x9, x9, #1\n"
	"	orr x9, x9, x1\n"
	"	orr x9, x9, x2\n"
	"	orr x9, x9, x3\n"
	"	orr x9, x9, x4\n"
	"	orr x9, x9, x5\n"
	"	orr x9, x9, x6\n"
	"	orr x9, x9, x7\n"
	"	orr x9, x9, x8\n"
	"	cbnz x10, 2f\n"
	"	mov x1, x9\n"
	"	adrp x2, stack_top\n"
	"	add x2, x2, :lo12:stack_top\n"
	"	mov sp, x2\n"
	"	bl baremetal_main\n"
	"1:	wfe\n"
	"	b 1b\n"
	"2:	mov x0, x9\n"
	"	adrp x2, stack2_top\n"
	"	add x2, x2, :lo12:stack2_top\n"
	"	mov sp, x2\n"
	"	bl secondary_main\n"
	"	b 1b\n"
	/* Reads the UART's LSR into x5 for ever (an MMIO exit each time). */
	".global read_uart_forever\n"
	"read_uart_forever:\n"
	"	mov x4, #0x09000000\n"
	"3:	ldrb w5, [x4, #5]\n"
	"	b 3b\n"
	".previous\n");

void secondary_start(void);
void read_uart_forever(void) __attribute__((noreturn));

static uint8_t stack[16384] __attribute__((aligned(16), used));
static uint8_t stack2[16384] __attribute__((aligned(16), used));
__asm__(".set stack_top, stack + 16384\n");
__asm__(".set stack2_top, stack2 + 16384\n");

static void psci(unsigned long fn)
{
	register unsigned long x0 __asm__("x0") = fn;

	__asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
}

static long psci_cpu_on(unsigned long mpidr, void (*entry)(void))
{
	register unsigned long x0 __asm__("x0") = PSCI_CPU_ON;
	register unsigned long x1 __asm__("x1") = mpidr;
	register unsigned long x2 __asm__("x2") = (unsigned long)entry;
	register unsigned long x3 __asm__("x3") = 0;

	__asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
	return (long)x0;
}

static void putc_uart(char c)
{
	*UART_THR = (uint8_t)c;
}

static void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

static void put_hex(uint64_t v)
{
	char buf[17];
	int i = 16;

	buf[16] = '\0';
	do {
		buf[--i] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v && i);
	puts_uart("0x");
	puts_uart(buf + i);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

struct dt_found {
	const char *bootargs;
	uint64_t exit_base;	/* 0: no tinyvmm,exit node */
	uint32_t boot_count;	/* /chosen/tinyvmm,boot-count; 0 without */
};

/* One pass over the structure block; nodes are not nested deeper than 8. */
static void scan_fdt(const uint8_t *fdt, struct dt_found *found)
{
	const uint8_t *p = fdt + be32(fdt + 8);
	const char *strings = (const char *)fdt + be32(fdt + 12);
	uint64_t reg[8] = { 0 };
	int is_exit[8] = { 0 }, depth = 0;

	for (;;) {
		uint32_t tok = be32(p), len;
		const char *name;

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			while (*p)
				p++;
			p = (const uint8_t *)(((uintptr_t)p + 4) & ~(uintptr_t)3);
			if (++depth < 8)
				reg[depth] = 0, is_exit[depth] = 0;
		} else if (tok == FDT_END_NODE) {
			if (depth < 8 && is_exit[depth])
				found->exit_base = reg[depth];
			depth--;
		} else if (tok == FDT_PROP) {
			len = be32(p);
			name = strings + be32(p + 4);
			p += 8;
			if (depth < 8 && str_eq(name, "reg") && len >= 8)
				reg[depth] = be64(p);
			if (depth < 8 && str_eq(name, "compatible") && str_eq((const char *)p, "tinyvmm,exit"))
				is_exit[depth] = 1;
			if (str_eq(name, "bootargs"))
				found->bootargs = (const char *)p;
			if (str_eq(name, "tinyvmm,boot-count") && len == 4)
				found->boot_count = be32(p);
			p += (len + 3) & ~3U;
		} else if (tok != FDT_NOP) {
			return;	/* FDT_END, or garbage */
		}
	}
}

/* The decimal value of "exit=N" in @args, if there is one. */
static int find_exit(const char *args, uint32_t *value)
{
	for (const char *w = args; w && *w; w++) {
		if ((w == args || w[-1] == ' ') && w[0] == 'e' && w[1] == 'x' && w[2] == 'i' &&
		    w[3] == 't' && w[4] == '=') {
			uint32_t v = 0;

			for (w += 5; *w >= '0' && *w <= '9'; w++)
				v = v * 10 + (uint32_t)(*w - '0');
			*value = v;
			return 1;
		}
	}
	return 0;
}

static int has_word(const char *args, const char *word)
{
	for (const char *w = args; w && *w; w++) {
		const char *a = w, *b = word;

		if (w != args && w[-1] != ' ')
			continue;
		while (*b && *a == *b)
			a++, b++;
		if (!*b && (*a == ' ' || !*a))
			return 1;
	}
	return 0;
}

static void print_split(void)
{
	uint64_t until;

	puts_uart("bare-metal: split-pat");
	/* Half a second: tinyvmm searches the first burst on its own. */
	until = counter_ticks() + counter_hz() / 2;
	while (counter_ticks() < until)
		;
	puts_uart("tern\n");
}

/* Shared by the two vCPUs (MMU off: Device memory, seen by both at once). */
static volatile uint32_t mmioreset_boot, cpu1_ready;

static void say_entry(uint32_t boot, unsigned int cpu, uint64_t dirt)
{
	puts_uart("bare-metal: boot ");
	put_hex(boot);
	puts_uart(cpu ? " cpu1 entry " : " cpu0 entry ");
	if (dirt) {
		puts_uart("NOT clean: registers or'd ");
		put_hex(dirt);
		puts_uart(" (a skipped first instruction or a register written before it)\n");
	} else {
		puts_uart("clean\n");
	}
}

static void wait_ms(unsigned int ms)
{
	uint64_t until = counter_ticks() + counter_hz() * ms / 1000;

	while (counter_ticks() < until)
		;
}

/* vCPU 1 under mmioreset: its entry said, it reads the UART (odd boots) or resets. */
void secondary_main(uint64_t entry_dirt)
{
	uint32_t boot = mmioreset_boot;

	say_entry(boot, 1, entry_dirt);
	cpu1_ready = 1;
	if (boot % 2)
		read_uart_forever();
	wait_ms(20);	/* vCPU 0 is in its loop by now */
	psci(PSCI_SYSTEM_RESET);
}

static void mmioreset(uint32_t boot, uint64_t entry_dirt)
{
	say_entry(boot, 0, entry_dirt);
	if (!boot) {
		puts_uart("bare-metal: mmioreset needs --on-reset reboot (no boot count)\n");
		psci(PSCI_SYSTEM_OFF);
	}
	mmioreset_boot = boot;
	cpu1_ready = 0;
	if (psci_cpu_on(1, secondary_start)) {
		puts_uart("bare-metal: PSCI CPU_ON of vCPU 1 failed (run with --cpus 2)\n");
		psci(PSCI_SYSTEM_OFF);
	}
	while (!cpu1_ready)
		;
	if (boot >= MMIORESET_BOOTS) {
		puts_uart("bare-metal: mmioreset all boots done\n");
		psci(PSCI_SYSTEM_OFF);
	}
	if (boot % 2 == 0)
		read_uart_forever();
	wait_ms(20);	/* vCPU 1 is in its loop by now */
	psci(PSCI_SYSTEM_RESET);
}

void baremetal_main(const uint8_t *fdt, uint64_t entry_dirt)
{
	struct dt_found found = { 0 };
	uint32_t value;

	puts_uart("bare-metal: started\n");
	if (be32(fdt) == FDT_MAGIC)
		scan_fdt(fdt, &found);
	if (has_word(found.bootargs, "mmioreset"))
		mmioreset(found.boot_count, entry_dirt);
	if (has_word(found.bootargs, "reset")) {
		puts_uart("bare-metal: reset\n");
		psci(PSCI_SYSTEM_RESET);
		return;
	}
	if (has_word(found.bootargs, "split"))
		print_split();
	if (!find_exit(found.bootargs, &value)) {
		puts_uart("bare-metal: no exit= in bootargs; powering off\n");
		psci(PSCI_SYSTEM_OFF);
		return;
	}
	if (!found.exit_base) {
		puts_uart("bare-metal: no tinyvmm,exit node in the device tree\n");
	} else {
		puts_uart("bare-metal: writing ");
		put_hex(value);
		puts_uart(" to the exit device at ");
		put_hex(found.exit_base);
		puts_uart("\n");
		/* The whole driver: */
		*(volatile uint32_t *)found.exit_base = value;
		puts_uart("bare-metal: still running after the exit write\n");
	}
	psci(PSCI_SYSTEM_RESET);
}
