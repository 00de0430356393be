/* verdict(w0 = 1 for Y, w1 = the check's digit): prints "T<digit> Y" or "T<digit> N" and a
 * newline, for asm kernels that compute their checks in registers. Uses virt_lib's putc/puts. */
#include "virt.h"

	.text
	.global verdict
	.type verdict, %function
verdict:
	stp	x29, x30, [sp, #-16]!
	stp	x19, x20, [sp, #-16]!
	mov	w19, w0
	mov	w20, w1
	mov	w0, #'T'
	bl	putc
	mov	w0, w20
	bl	putc
	adr	x0, verdict_yes
	adr	x1, verdict_no
	cmp	w19, #1
	csel	x0, x0, x1, eq
	bl	puts
	ldp	x19, x20, [sp], #16
	ldp	x29, x30, [sp], #16
	ret

	.section .rodata
verdict_yes:	.asciz	" Y\n"
verdict_no:	.asciz	" N\n"
