/* code-smp: -smp 2. CPU 1 calls a routine in RAM, so its translation is cached; CPU 0 then
 * rewrites the routine's first instruction and invalidates the instruction cache the way the
 * architecture asks (DC CVAU, DSB, IC, DSB, ISB); CPU 1 calls it again after an ISB. Built with
 * -DIALLUIS to invalidate with IC IALLUIS instead of IC IVAU.
 *   T1 CPU 1 first saw the old code (1), then the new code (2)                              */
#include "virt.h"

#include "smp.h"

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	cpu_on	1, secondary, 0
	ldr	x1, =first
1:	ldar	w0, [x1]
	cbz	w0, 1b
	ldr	x1, =routine
	ldr	w0, =0x52800040			/* mov w0, #2 */
	str	w0, [x1]
	dc	cvau, x1
	dsb	ish
#ifdef IALLUIS
	ic	ialluis
#else
	ic	ivau, x1
#endif
	dsb	ish
	isb
	ldr	x1, =rewritten
	mov	w0, #1
	stlr	w0, [x1]
	ldr	x1, =second
2:	ldar	w0, [x1]
	cbz	w0, 2b
	ldr	x1, =first
	ldr	w2, [x1]
	cmp	w2, #1
	ldr	x1, =second
	ldr	w2, [x1]
	ccmp	w2, #2, #0, eq
	b.ne	3f
	say	"T1 Y\n"
	b	4f
3:	say	"T1 N\n"
4:	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret

secondary:
	bl	routine
	ldr	x1, =first
	stlr	w0, [x1]
	ldr	x1, =rewritten
5:	ldar	w0, [x1]
	cbz	w0, 5b
	isb
	bl	routine
	ldr	x1, =second
	stlr	w0, [x1]
6:	wfi
	b	6b
	.ltorg

	.data
	.balign 8
first:		.word 0
second:		.word 0
rewritten:	.word 0
	/* The routine lives in RAM next to the data (the whole image is RAM here). */
	.balign 64
routine:
	mov	w0, #1
	ret

	.text
	virt_lib
