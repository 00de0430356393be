/* clock: what a kernel sees of guest time, as values both runners must print alike under
 * --deterministic (QEMU -icount shift=3,sleep=off: 8 ns per instruction, the 62.5 MHz counter
 * ticks every 2 instructions; the emulator's instruction clock). IRQs stay masked in PSTATE;
 * the GICv2 is set up only so that WFI wakes on the virtual timer's PPI 27.
 *   BOOT     CNTVCT at the first instruction of main (instructions since reset / 2)
 *   STEP1..3 three back-to-back CNTVCT reads, relative to BOOT (0 or 1 each: half a tick apart)
 *   LOOP     after 1000 rounds of a 2-instruction loop, relative to BOOT (~1000)
 *   ARM      CVAL - CNTVCT after CNTV_TVAL = 1000 (the MSR reads the counter itself)
 *   WAKE     CNTVCT - CVAL right after the WFI the timer ends (sleep=off: the clock jumps to it)
 *   POLLS    rounds of a 3-instruction ISTATUS poll until a CVAL 500 ticks ahead is reached
 *   TVAL     CNTV_TVAL read back 100 loop rounds after TVAL = 2000
 *   END      CNTVCT at the end
 *   RTC      the PL031's date (QEMU -rtc base=2000-01-01T00:00:00,clock=vm: 0x386d4380 + guest seconds)
 *   T1 Y     WAKE is 0 and ARM is 1000 or 1001; T2 Y: POLLS is within 500 ticks' worth of rounds */
#include "virt.h"

#define GICD		0x08000000
#define GICC		0x08010000

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	msr	daifset, #3
	mrs	x19, cntvct_el0
	mrs	x20, cntvct_el0
	mrs	x21, cntvct_el0
	mrs	x22, cntvct_el0
	mov	x0, #1000
1:	subs	x0, x0, #1
	b.ne	1b
	mrs	x23, cntvct_el0
	say_hex	BOOT, x19
	sub	x20, x20, x19
	say_hex	STEP1, x20
	sub	x21, x21, x19
	say_hex	STEP2, x21
	sub	x22, x22, x19
	say_hex	STEP3, x22
	sub	x23, x23, x19
	say_hex	LOOP, x23

	adr	x2, gic_setup			/* (address, value) pairs, then 0 */
9:	ldp	w1, w0, [x2], #8
	cbz	w1, 10f
	str	w0, [x1]
	b	9b
10:
	/* the virtual timer 1000 ticks ahead, then sleep until it fires */
	mrs	x19, cntvct_el0
	mov	x0, #1000
	msr	cntv_tval_el0, x0
	mrs	x20, cntv_cval_el0
	mov	x0, #1				/* ENABLE */
	msr	cntv_ctl_el0, x0
	isb
2:	wfi
	mrs	x21, cntvct_el0
	ldr	x1, =GICC
	ldr	w0, [x1, #0x0c]			/* GICC_IAR */
	cmp	w0, #1023
	b.eq	2b				/* spurious: sleep again */
	msr	cntv_ctl_el0, xzr
	isb
	str	w0, [x1, #0x10]			/* GICC_EOIR */
	sub	x22, x20, x19			/* ARM */
	sub	x23, x21, x20			/* WAKE */
	mov	x24, #1
	cmp	x23, #0
	csel	x24, xzr, x24, ne
	sub	x0, x22, #1000
	cmp	x0, #1
	csel	x24, xzr, x24, hi
	say_hex	ARM, x22
	say_hex	WAKE, x23

	/* poll ISTATUS (masked timer: no interrupt) until a CVAL 500 ticks ahead */
	mrs	x19, cntvct_el0
	add	x0, x19, #500
	msr	cntv_cval_el0, x0
	mov	x0, #3				/* ENABLE | IMASK */
	msr	cntv_ctl_el0, x0
	isb
	mov	x21, #0
3:	add	x21, x21, #1
	mrs	x0, cntv_ctl_el0
	tbz	x0, #2, 3b			/* ISTATUS */
	msr	cntv_ctl_el0, xzr
	say_hex	POLLS, x21

	/* TVAL counts down */
	mov	x0, #2000
	msr	cntv_tval_el0, x0
	mov	x0, #100
4:	subs	x0, x0, #1
	b.ne	4b
	mrs	x19, cntv_tval_el0
	say_hex	TVAL, x19
	mrs	x19, cntvct_el0
	say_hex	END, x19
	ldr	x1, =0x09010000			/* PL031 RTCDR */
	ldr	w19, [x1]
	say_hex	RTC, x19

	cbz	x24, 5f
	say	"T1 Y\n"
	b	6f
5:	say	"T1 N\n"
6:	/* 500 ticks = 1000 instructions = 333 polls of 3, give or take one */
	sub	x0, x21, #332
	cmp	x0, #2
	b.hi	7f
	say	"T2 Y\n"
	b	8f
7:	say	"T2 N\n"
8:	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret
	.ltorg

	.section .rodata
	.balign 8
gic_setup:
	.word	GICD + 0x000, 1			/* GICD_CTLR: EnableGrp0 */
	.word	GICD + 0x418, 0x80000000	/* PPI 27 at priority 0x80 */
	.word	GICD + 0x100, 0x08000000	/* GICD_ISENABLER0: PPI 27 */
	.word	GICC + 0x004, 0xf0		/* GICC_PMR */
	.word	GICC + 0x000, 1			/* GICC_CTLR */
	.word	0, 0
	.text

	virt_lib
