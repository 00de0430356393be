/* poll-delay: busy-waits on the virtual counter as kvm-unit-tests' delay() does
 * (yield; isb; mrs cntvct_el0; sub; cmp; b.lo), 20 times 5 ms of counter time, and checks
 * that each wait took at least its length and that the counter only moved forward.
 *   T1 Y: every wait lasted at least 5 ms of counter time (312500 ticks at 62.5 MHz)
 *   T2 Y: the counter read after each wait is past the one that ended it
 *   T3 Y: a virtual timer armed 2 ms ahead (masked: no interrupt) is seen to fire by polling
 *         CNTV_CTL_EL0.ISTATUS, and the counter then is at or past its deadline
 * (How much a wait overshoots depends on the host under QEMU without -icount: not checked.)
 * The emulator's counter-polling rule (harness/emu/interrupts/counter-polling.ts) makes such a
 * wait take milliseconds of host time instead of seconds. */
#include "virt.h"

#define TICKS_5MS 312500

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	say	"poll-delay: 20 waits of 5 ms on CNTVCT_EL0\n"
	mov	w19, #20		/* rounds */
	mov	w20, #1			/* T1: all long enough */
	mov	w21, #1			/* T2: the counter moved on */
	ldr	x22, =TICKS_5MS
1:	isb
	mrs	x2, cntvct_el0		/* start */
	mov	x0, x22
2:	yield
	isb
	mrs	x1, cntvct_el0
	sub	x1, x1, x2
	cmp	x1, x0
	b.lo	2b
	add	x4, x1, x2		/* the read that ended the wait */
	isb
	mrs	x3, cntvct_el0
	cmp	x3, x4
	csel	w21, wzr, w21, lo
	sub	x3, x3, x2		/* how long the wait took */
	cmp	x3, x22
	csel	w20, wzr, w20, lo
	subs	w19, w19, #1
	b.ne	1b

	/* Timer-state polling: CNTV_TVAL = 2 ms, enabled and masked; spin on ISTATUS. */
	ldr	x0, =(TICKS_5MS * 2 / 5)
	isb
	mrs	x2, cntvct_el0
	add	x24, x2, x0		/* the deadline */
	msr	cntv_cval_el0, x24
	mov	x0, #3			/* ENABLE | IMASK */
	msr	cntv_ctl_el0, x0
	isb
3:	mrs	x0, cntv_ctl_el0
	tbz	x0, #2, 3b		/* ISTATUS */
	isb
	mrs	x3, cntvct_el0
	msr	cntv_ctl_el0, xzr
	cmp	x3, x24
	cset	w25, hs

	mov	w0, w20
	mov	w1, #'1'
	bl	verdict
	mov	w0, w21
	mov	w1, #'2'
	bl	verdict
	mov	w0, w25
	mov	w1, #'3'
	bl	verdict
	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret

	.ltorg

	virt_lib
