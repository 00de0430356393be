/* timer-wfi: the generic timers through the GIC without vectors. IRQ and FIQ stay masked in
 * PSTATE (WFI wakes on a pending interrupt all the same), so the kernel runs wherever the GIC,
 * the timers and WFI are modelled. Built with -DGICV3 for gic-version=3.
 *   phase 1: three times, CNTV_TVAL = 100 us, enable, WFI, acknowledge (IAR = 27), check
 *            CNTV_CTL.ISTATUS, disable, EOI
 *   phase 2: once the same with the physical timer (IAR = 30)
 *   phase 3: a timer whose compare value has passed is pending at once; IMASK hides it
 * Lines: T1..T4 Y/N, IRQS=<n>, CNT=<low counter bits> (deterministic only under icount). */
#include "virt.h"

#include "gic.h"

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	msr	daifset, #3
#ifdef GICV3
	store32	GICR0 + 0x14, 0			/* GICR_WAKER: wake CPU 0's redistributor */
	store32	GICD, 3				/* GICD_CTLR: EnableGrp0 | EnableGrp1NS */
	store32	GICR0 + SGI_FRAME + 0x080, 0x48000000	/* GICR_IGROUPR0: PPIs 27 and 30 in Group 1 */
	store32	GICR0 + SGI_FRAME + 0x418, 0x80000000	/* IPRIORITYR6: PPI 27 at 0x80 */
	store32	GICR0 + SGI_FRAME + 0x41c, 0x00800000	/* IPRIORITYR7: PPI 30 at 0x80 */
	store32	GICR0 + SGI_FRAME + 0x100, 0x48000000	/* GICR_ISENABLER0 */
#else
	store32	GICD, 1				/* GICD_CTLR: EnableGrp0 */
	store32	GICD + 0x418, 0x80000000	/* PPI 27 at 0x80 */
	store32	GICD + 0x41c, 0x00800000	/* PPI 30 at 0x80 */
	store32	GICD + 0x100, 0x48000000	/* GICD_ISENABLER0 */
#endif
	cpu_interface_on
	mov	x19, #0				/* interrupts taken */
	mov	x20, #1				/* all checks held */

	/* phase 1: the virtual timer, three times */
1:	ldr	x0, =6250			/* 100 us at 62.5 MHz */
	msr	cntv_tval_el0, x0
	mov	x0, #1
	msr	cntv_ctl_el0, x0
	isb
2:	wfi
	ack
	cmp	w0, #1023
	b.eq	2b				/* woken early (spurious): sleep again */
	cmp	w0, #27
	csel	x20, xzr, x20, ne
	mov	w21, w0
	mrs	x0, cntv_ctl_el0
	tst	x0, #4				/* ISTATUS */
	csel	x20, xzr, x20, eq
	msr	cntv_ctl_el0, xzr
	isb
	mov	w0, w21
	eoi
	add	x19, x19, #1
	cmp	x19, #3
	b.lo	1b
	cbz	x20, 3f
	say	"T1 Y\n"
	b	4f
3:	say	"T1 N\n"
4:
	/* phase 2: the physical timer */
	mov	x20, #1
	ldr	x0, =6250
	msr	cntp_tval_el0, x0
	mov	x0, #1
	msr	cntp_ctl_el0, x0
	isb
5:	wfi
	ack
	cmp	w0, #1023
	b.eq	5b
	cmp	w0, #30
	csel	x20, xzr, x20, ne
	mov	w21, w0
	msr	cntp_ctl_el0, xzr
	isb
	mov	w0, w21
	eoi
	add	x19, x19, #1
	cbz	x20, 6f
	say	"T2 Y\n"
	b	7f
6:	say	"T2 N\n"
7:
	/* phase 3: CVAL in the past is pending at once; IMASK hides it; nothing left pending after */
	mov	x20, #1
	mrs	x0, cntvct_el0
	msr	cntv_cval_el0, x0
	mov	x0, #3				/* ENABLE | IMASK */
	msr	cntv_ctl_el0, x0
	isb
	hppi
	cmp	w0, #1023
	csel	x20, xzr, x20, ne		/* masked: nothing pending */
	mrs	x0, cntv_ctl_el0
	cmp	x0, #7				/* ISTATUS set even while masked */
	csel	x20, xzr, x20, ne
	mov	x0, #1
	msr	cntv_ctl_el0, x0
	isb
	hppi
	cmp	w0, #27
	csel	x20, xzr, x20, ne
	msr	cntv_ctl_el0, xzr
	isb
	hppi
	cmp	w0, #1023
	csel	x20, xzr, x20, ne
	cbz	x20, 8f
	say	"T3 Y\n"
	b	9f
8:	say	"T3 N\n"
9:
	/* T4: the counter moved forward across the run and CNTFRQ is 62.5 MHz */
	mrs	x0, cntfrq_el0
	ldr	x1, =62500000
	cmp	x0, x1
	b.ne	10f
	mrs	x0, cntvct_el0
	ldr	x1, =(6250 * 4)
	cmp	x0, x1
	b.lo	10f
	say	"T4 Y\n"
	b	11f
10:	say	"T4 N\n"
11:	say	"IRQS="
	mov	x0, x19
	bl	putdec
	say	"\nCNT="
	mrs	x0, cntvct_el0
	bl	puthex32
	say	"\nDONE\n"
	ldp	x29, x30, [sp], #16
	ret
	.ltorg

	virt_lib
