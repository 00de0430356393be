/* timer-irq: the generic timers' interrupts taken through the guest's own vector table.
 * The virtual timer fires five times 100 us apart (the IRQ handler re-arms CNTV_TVAL), the
 * CPU sleeping in WFI between ticks (IRQs masked while it checks and sleeps, unmasked to take
 * each one: no tick can slip in between the check and the WFI); then the physical timer once.
 *   T1: five virtual-timer IRQs (INTID 27), each taken to the IRQ vector (current EL, SP_EL1)
 *   T2: one physical-timer IRQ (INTID 30)
 *   T3: inside the handler DAIF.I was set (IRQs masked on entry) and ISTATUS was set
 *   IRQS=<n>: interrupts the handler acknowledged (spurious 1023 not counted)
 * Built with -DGICV3 (kernels/timer-irq-gicv3) for -machine gic-version=3. */
#include "virt.h"

#define GICD		0x08000000
#define GICC		0x08010000
#define GICR0		0x080a0000
#define SGI_FRAME	0x10000
#define TICK		6250		/* 100 us at CNTFRQ 62.5 MHz */
#define VIRT_TICKS	5

/* *(u32 *)addr = value. Clobbers x0, x1. */
.macro store32 addr, value
	ldr	x1, =\addr
	ldr	w0, =\value
	str	w0, [x1]
.endm

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	msr	daifset, #3
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
#ifdef GICV3
	store32	GICR0 + 0x14, 0				/* GICR_WAKER: wake CPU 0's redistributor */
	store32	GICD, 0x12				/* GICD_CTLR: ARE_NS | EnableGrp1NS */
	store32	GICR0 + SGI_FRAME + 0x080, 0x48000000	/* GICR_IGROUPR0: PPIs 27, 30 in Group 1 */
	store32	GICR0 + SGI_FRAME + 0x418, 0x80000000	/* IPRIORITYR6: PPI 27 at 0x80 */
	store32	GICR0 + SGI_FRAME + 0x41c, 0x00800000	/* IPRIORITYR7: PPI 30 at 0x80 */
	store32	GICR0 + SGI_FRAME + 0x100, 0x48000000	/* GICR_ISENABLER0 */
	mov	x0, #0xf0
	msr	S3_0_C4_C6_0, x0			/* ICC_PMR_EL1 */
	mov	x0, #1
	msr	S3_0_C12_C12_7, x0			/* ICC_IGRPEN1_EL1 */
	isb
#else
	store32	GICD, 1					/* GICD_CTLR: enable */
	store32	GICD + 0x418, 0x80000000		/* PPI 27 at 0x80 */
	store32	GICD + 0x41c, 0x00800000		/* PPI 30 at 0x80 */
	store32	GICD + 0x100, 0x48000000		/* GICD_ISENABLER0 */
	store32	GICC + 0x04, 0xf0			/* GICC_PMR */
	store32	GICC + 0x00, 1				/* GICC_CTLR: enable */
#endif
	say	"timer-irq: virtual timer x5, physical timer x1, IRQs through VBAR_EL1\n"
	/* x19 = virtual ticks, x20 = physical ticks, x21 = checks held (cleared by the handler) */
	mov	x19, #0
	mov	x20, #0
	mov	x21, #1
	ldr	x0, =TICK
	msr	cntv_tval_el0, x0
	mov	x0, #1
	msr	cntv_ctl_el0, x0
	isb
	/* Check, then sleep, with IRQs masked: an IRQ taken between the check and the WFI would leave
	 * the WFI waiting for a tick that never comes (seen on QEMU without -icount under host load).
	 * WFI wakes on the pending IRQ while masked; unmasking takes it. */
1:	cmp	x19, #VIRT_TICKS
	b.hs	20f
	wfi
	msr	daifclr, #2
	isb
	msr	daifset, #2
	b	1b
20:
	cmp	x19, #VIRT_TICKS
	b.ne	2f
	say	"T1 Y\n"
	b	3f
2:	say	"T1 N\n"
3:	ldr	x0, =TICK
	msr	cntp_tval_el0, x0
	mov	x0, #1
	msr	cntp_ctl_el0, x0
	isb
4:	cbnz	x20, 21f
	wfi
	msr	daifclr, #2
	isb
	msr	daifset, #2
	b	4b
21:
	cmp	x20, #1
	b.ne	5f
	say	"T2 Y\n"
	b	6f
5:	say	"T2 N\n"
6:	cbz	x21, 7f
	say	"T3 Y\n"
	b	8f
7:	say	"T3 N\n"
8:	say	"IRQS="
	add	x0, x19, x20
	bl	putdec
	say	"\nDONE\n"
	ldp	x29, x30, [sp], #16
	ret
	.ltorg

/* IRQ handler (x0-x2 saved): acknowledge, count, re-arm or stop the timer, EOI. */
irq_handler:
	stp	x0, x1, [sp, #-32]!
	str	x2, [sp, #16]
	mrs	x0, daif
	tst	x0, #(1 << 7)				/* PSTATE.I masked on entry */
	csel	x21, xzr, x21, eq
#ifdef GICV3
	mrs	x0, S3_0_C12_C12_0			/* ICC_IAR1_EL1 */
#else
	ldr	x1, =GICC
	ldr	w0, [x1, #0x0c]				/* GICC_IAR */
#endif
	and	w0, w0, #0x3ff
	cmp	w0, #1023
	b.eq	9f					/* spurious: no EOI */
	cmp	w0, #27
	b.ne	10f
	mrs	x1, cntv_ctl_el0
	tst	x1, #4					/* ISTATUS */
	csel	x21, xzr, x21, eq
	add	x19, x19, #1
	cmp	x19, #VIRT_TICKS
	b.hs	11f
	ldr	x1, =TICK
	msr	cntv_tval_el0, x1			/* next tick */
	b	12f
11:	msr	cntv_ctl_el0, xzr
	b	12f
10:	cmp	w0, #30
	csel	x21, xzr, x21, ne			/* an unexpected INTID */
	b.ne	12f
	mrs	x1, cntp_ctl_el0
	tst	x1, #4
	csel	x21, xzr, x21, eq
	add	x20, x20, #1
	msr	cntp_ctl_el0, xzr
12:	isb
#ifdef GICV3
	msr	S3_0_C12_C12_1, x0			/* ICC_EOIR1_EL1 */
#else
	ldr	x1, =GICC
	str	w0, [x1, #0x10]				/* GICC_EOIR */
#endif
	isb
9:	ldr	x2, [sp, #16]
	ldp	x0, x1, [sp], #32
	eret
	.ltorg

/* Every vector spins except IRQ from the current EL with SP_EL1 (offset 0x280). */
	.balign 2048
vectors:
	.rept 5
	b	.
	.balign 128
	.endr
	.org vectors + 0x280
	b	irq_handler
	.balign 128
	.rept 11
	b	.
	.balign 128
	.endr

	virt_lib
