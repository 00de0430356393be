/* Bare-metal entry of the goarchive kernel (GNU assembly, linked first by kernel.ld).
 * The MMU is off, we are at EL1, and nothing of the Go runtime has run: enable FP/SIMD, set
 * up a stack, zero .bss (Go's .bss and .noptrbss, runtime.writeBarrier among them), point
 * g (x28) at a zeroed fake g, call main.kmain (made global by objcopy), power off. */
	.section .text.boot, "ax"
	.global _start
	.type _start, %function
_start:
	mov	x0, #(3 << 20)		/* CPACR_EL1.FPEN = 0b11 */
	msr	cpacr_el1, x0
	isb
	ldr	x0, =__stack_top
	mov	sp, x0
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	str	xzr, [x0], #8		/* kernel.ld aligns both ends to 16 */
	b	1b
	/* g.stackguard0 (offset 16) is 0: Go's prologue stack check never fires. */
2:	ldr	x28, =fakeg
	bl	main.kmain
	movz	x0, #0x0008		/* PSCI SYSTEM_OFF */
	movk	x0, #0x8400, lsl #16
	hvc	#0
3:	b	3b
	.ltorg
	.size _start, . - _start

	.bss
	.balign 16
	.type fakeg, %object
fakeg:	.space 1024			/* zeroed stand-in for the g struct */
	.size fakeg, . - fakeg
