// SPDX-License-Identifier: MIT
/*
 * tinyvmm-baremetal: the smallest bare-metal AArch64 ELF guest, for the
 * e2e checks. Entered at EL1 with the MMU off and x0 = the DTB address
 * (booting.rst, as tinyvmm does for ELFs too): says hello on the 16550
 * UART at 0x09000000, checks the DTB magic at x0, then PSCI SYSTEM_OFF.
 */
	.section .text.boot, "ax"
	.global _start
_start:
	mov	x19, x0
	adr	x1, hello
	bl	puts
	ldr	w2, [x19]		// FDT magic: big-endian 0xd00dfeed
	ldr	w3, =0xedfe0dd0
	adr	x1, dtb_bad
	cmp	w2, w3
	b.ne	1f
	adr	x1, dtb_ok
1:	bl	puts
	ldr	x0, =0x84000008		// PSCI SYSTEM_OFF (SMCCC function id)
	hvc	#0
2:	wfi				// not reached: SYSTEM_OFF does not return
	b	2b

// puts: the NUL-terminated string at x1 to the UART, waiting for THRE.
puts:
	mov	x4, #0x09000000
3:	ldrb	w5, [x1], #1
	cbz	w5, 5f
4:	ldrb	w6, [x4, #5]		// LSR
	tbz	w6, #5, 4b		// bit 5: transmit holding register empty
	strb	w5, [x4]		// THR
	b	3b
5:	ret

	.ltorg
hello:	.asciz	"tinyvmm-baremetal: hello from an ELF at EL1\r\n"
dtb_ok:	.asciz	"tinyvmm-baremetal: x0 points at a device tree\r\n"
dtb_bad: .asciz	"tinyvmm-baremetal: x0 does not point at a device tree\r\n"
