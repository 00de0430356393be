/* pmu: what a kernel finds of the PMU (PMUv3), printed as values so the runners can be compared
 * (kvm-unit-tests' pmu tests probe the same; kernels/debug does the debug architecture).
 * Every probe runs through one synchronous-exception handler that records the exception class
 * (x28) and counts exceptions (x27): an UNDEF shows as EC=00, a debug event as its own class.
 *   PMCR       PMCR_EL0 (IMP, IDCODE, N = bits 15:11: event counters)
 *   PMCEID0/1  PMCEID0_EL0 / PMCEID1_EL0 (common events implemented)
 *   CYCLES     PMCCNTR_EL0 across 1000 rounds of a 2-instruction loop (0: it does not count)
 *   SWINC      event counter 0 (event 0x00 SW_INCR) after three PMSWINC_EL0 writes (3 on QEMU)
 *   INSTS      event counter 1 (event 0x08 INST_RETIRED) across the same loop
 *   EXC        exceptions taken in all */
#include "virt.h"

/* print "label=%08x\n" of reg. Clobbers x0-x4, x25. */
.macro show label, reg
	mov	x25, \reg
	say	"\label="
	mov	w0, w25
	bl	puthex32
	say	"\n"
.endm

#define MDSCR_SS	(1 << 0)
#define MDSCR_KDE	(1 << 13)
#define MDSCR_MDE	(1 << 15)

	kernel_entry main

	.balign 2048
vectors:
	.rept 4
	b	.
	.balign 128
	.endr
	b	sync_handler			/* current EL with SP_ELx, synchronous */
	.balign 128
	.rept 11
	b	.
	.balign 128
	.endr

/* Records the class; disarms what raised a debug event so the instruction runs when retried. */
sync_handler:
	mrs	x9, esr_el1
	lsr	x28, x9, #26
	add	x27, x27, #1
	cmp	x28, #0x31			/* breakpoint, same EL */
	b.ne	1f
	msr	dbgbcr0_el1, xzr
	isb
	eret
1:	cmp	x28, #0x35			/* watchpoint, same EL */
	b.ne	2f
	msr	dbgwcr0_el1, xzr
	isb
	eret
2:	cmp	x28, #0x33			/* software step, same EL */
	b.ne	3f
	mrs	x9, mdscr_el1
	bic	x9, x9, #MDSCR_SS
	msr	mdscr_el1, x9
	isb
	eret
3:	mrs	x9, elr_el1			/* anything else (an UNDEF): skip it */
	add	x9, x9, #4
	msr	elr_el1, x9
	eret

main:
	stp	x29, x30, [sp, #-16]!
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	mov	x27, #0

	/* the PMU's identity */
	mov	x28, #0xff
	mov	x19, #0
	mrs	x19, pmcr_el0
	show	PMCR, x19
	mov	x19, #0
	mrs	x19, pmceid0_el0
	show	PMCEID0, x19
	mov	x19, #0
	mrs	x19, pmceid1_el0
	show	PMCEID1, x19

	/* cycle counter, SW_INCR on counter 0, INST_RETIRED on counter 1 */
	mov	x0, #(1 << 2) | (1 << 1) | 1	/* PMCR: C (reset cycles), P (reset events), E */
	msr	pmcr_el0, x0
	mov	x0, #0x00
	msr	pmevtyper0_el0, x0		/* SW_INCR */
	mov	x0, #0x08
	msr	pmevtyper1_el0, x0		/* INST_RETIRED */
	ldr	x0, =0x80000003			/* cycle counter, counters 0 and 1 */
	msr	pmcntenset_el0, x0
	isb
	mov	x19, #0
	mov	x21, #0
	mrs	x19, pmccntr_el0
	mrs	x21, pmevcntr1_el0
	mov	x0, #1000
4:	subs	x0, x0, #1
	b.ne	4b
	mov	x20, #0
	mov	x22, #0
	mrs	x20, pmccntr_el0
	mrs	x22, pmevcntr1_el0
	mov	x0, #1
	msr	pmswinc_el0, x0
	msr	pmswinc_el0, x0
	msr	pmswinc_el0, x0
	isb
	mov	x23, #0
	mrs	x23, pmevcntr0_el0
	sub	x19, x20, x19
	show	CYCLES, x19
	show	SWINC, x23
	sub	x21, x22, x21
	show	INSTS, x21

	show	EXC, x27
	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret
	.ltorg

	virt_lib
