/* bootargs (raw image): keep x0 (the DTB address from QEMU's boot stub), set up FP, stack and
 * .bss, then kmain(dtb, load address). Position-independent start: adr, not ldr =. */
#include "virt.h"

	.section .text.boot, "ax"
	.global _start
_start:
	mov	x19, x0
	adr	x20, _start
	mov	x0, #CPACR_FPEN
	msr	cpacr_el1, x0
	isb
	ldr	x0, =__stack_top
	mov	sp, x0
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	strb	wzr, [x0], #1
	b	1b
2:	mov	x0, x19
	mov	x1, x20
	bl	kmain
	b	.
	.ltorg
