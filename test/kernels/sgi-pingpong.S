/* sgi-pingpong: CPU 0 starts CPU 1 with PSCI CPU_ON, then they ping-pong SGIs three times:
 * CPU 0 sends SGI 1 to CPU 1, CPU 1 acknowledges it, counts it in shared RAM and answers with
 * SGI 2 to CPU 0. IRQs stay masked (WFI wakes on a pending interrupt), so no vectors are needed.
 * Run with -smp 2; built with -DGICV3 for gic-version=3.
 *   T1 CPU_ON returned SUCCESS   T2 every IAR on CPU 0 was SGI 2 from CPU 1
 *   T3 CPU 1 counted 3 SGIs      T4 CPU 1 saw SGI 1 from CPU 0 each time          */
#include "virt.h"

#include "gic.h"

#define PSCI_CPU_ON	0xc4000003

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	msr	daifset, #3
#ifdef GICV3
	store32	GICD, 3
	store32	GICR0 + 0x14, 0
	store32	GICR1 + 0x14, 0
	store32	GICR0 + SGI_FRAME + 0x80, 0xffff	/* SGIs in Group 1 on both CPUs */
	store32	GICR1 + SGI_FRAME + 0x80, 0xffff
	store32	GICR0 + SGI_FRAME + 0x100, 0xffff
	store32	GICR1 + SGI_FRAME + 0x100, 0xffff
#else
	store32	GICD, 1
#endif
	cpu_interface_on
	ldr	x0, =PSCI_CPU_ON
	mov	x1, #1
	adr	x2, secondary
	mov	x3, #0
	hvc	#0
	cbnz	x0, 1f
	say	"T1 Y\n"
	b	2f
1:	say	"T1 N\n"
2:	mov	x19, #0			/* pongs */
	mov	x20, #1			/* all IARs right */
3:	send_sgi 1, 1
4:	wfi
	ack
	cmp	w0, #1023
	b.eq	4b
#ifdef GICV3
	cmp	w0, #2
#else
	ldr	w1, =(2 | (1 << 10))	/* SGI 2, source CPU 1 */
	cmp	w0, w1
#endif
	csel	x20, xzr, x20, ne
	eoi
	add	x19, x19, #1
	cmp	x19, #3
	b.lo	3b
	cbz	x20, 5f
	say	"T2 Y\n"
	b	6f
5:	say	"T2 N\n"
6:	dsb	sy
	ldr	x1, =pings
	ldr	w0, [x1]
	cmp	w0, #3
	b.ne	7f
	say	"T3 Y\n"
	b	8f
7:	say	"T3 N\n"
8:	ldr	x1, =bad_pings
	ldr	w0, [x1]
	cbnz	w0, 9f
	say	"T4 Y\n"
	b	10f
9:	say	"T4 N\n"
10:	say	"PONGS="
	mov	x0, x19
	bl	putdec
	say	"\nDONE\n"
	ldp	x29, x30, [sp], #16
	ret

secondary:
	ldr	x0, =stack1_top
	mov	sp, x0
	msr	daifset, #3
	cpu_interface_on
11:	wfi
	ack
	cmp	w0, #1023
	b.eq	11b
	mov	w21, w0
	cmp	w0, #1			/* SGI 1 from CPU 0 (source 0 on GICv2 too) */
	b.eq	12f
	ldr	x1, =bad_pings
	ldr	w2, [x1]
	add	w2, w2, #1
	str	w2, [x1]
12:	ldr	x1, =pings
	ldr	w2, [x1]
	add	w2, w2, #1
	str	w2, [x1]
	dsb	sy
	mov	w0, w21
	eoi
	send_sgi 2, 0
	b	11b
	.ltorg

	.data
	.balign 4
pings:	.word 0
bad_pings: .word 0
	.bss
	.balign 16
stack1:	.space 4096
stack1_top:

	virt_lib
