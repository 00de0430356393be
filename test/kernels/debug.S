/* debug: what a kernel finds of the self-hosted debug architecture, printed as values so the
 * runners can be compared (kvm-unit-tests' debug tests probe the same; kernels/pmu does the PMU).
 * Every probe runs through one synchronous-exception handler that records the exception class
 * (x28) and counts exceptions (x27): an UNDEF shows as EC=00, a debug event as its own class; a
 * software step also records its ESR (x26) and ELR (x24).
 *   BP         EC of the exception a hardware breakpoint (DBGBVR0/DBGBCR0, EL1) raised (31 = breakpoint)
 *   WP         EC of a store watchpoint's exception (DBGWVR0/DBGWCR0) (35 = watchpoint)
 *   SS         EC after one software step (MDSCR_EL1.SS, SPSR.SS via ERET) (33 = software step)
 *   SSESR      its ESR (ISV set: the step completed), SSELR its ELR - ss_here (4: one nop ran)
 *   SSP        EC of a step pending when MSR DAIFClr unmasks debug exceptions with MDSCR.SS set
 *              (kvm-unit-tests' debug-sstep), SSPESR its ESR (ISV clear), SSPELR its ELR - ssp_here (0)
 *   EXC        exceptions taken in all */
#include "virt.h"

#define MDSCR_SS	(1 << 0)
#define MDSCR_KDE	(1 << 13)
#define MDSCR_MDE	(1 << 15)

	kernel_entry main

	vector_table vectors, sync_handler

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
	mrs	x26, esr_el1
	mrs	x24, elr_el1
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
	use_vectors vectors
	mov	x27, #0



	/* self-hosted debug: OS lock off, MDE + KDE, PSTATE.D clear */
	msr	oslar_el1, xzr
	mov	x0, #(MDSCR_MDE | MDSCR_KDE)
	msr	mdscr_el1, x0
	isb
	msr	daifclr, #8

	/* a breakpoint on bp_here: E, PMC = EL1, BAS = 0b1111 */
	mov	x28, #0xff
	adr	x0, bp_here
	msr	dbgbvr0_el1, x0
	mov	x0, #((0xf << 5) | (1 << 1) | 1)
	msr	dbgbcr0_el1, x0
	isb
bp_here:
	nop
	say_hex	BP, x28

	/* a watchpoint on stores to watched: E, PAC = EL1, LSC = store, BAS = 8 bytes */
	mov	x28, #0xff
	adr	x0, watched
	msr	dbgwvr0_el1, x0
	ldr	x0, =((0xff << 5) | (2 << 3) | (1 << 1) | 1)
	msr	dbgwcr0_el1, x0
	isb
	adr	x1, watched
	str	x1, [x1]
	say_hex	WP, x28

	/* one software step: ERET to ss_here with SPSR.SS set (EL1h, D clear), armed with PSTATE.D set
	 * (with D clear, MDSCR.SS would make a step pending at once: PSTATE.SS is clear) */
	mov	x28, #0xff
	msr	daifset, #8
	mov	x0, #(MDSCR_MDE | MDSCR_KDE | MDSCR_SS)
	msr	mdscr_el1, x0
	adr	x0, ss_here
	msr	elr_el1, x0
	ldr	x0, =((1 << 21) | (0x7 << 6) | 0x5)	/* SS, A I F masked, EL1h */
	msr	spsr_el1, x0
	isb
	eret
ss_here:
	nop
	nop
	msr	daifset, #8
	mov	x0, #0
	msr	mdscr_el1, x0
	isb
	say_hex	SS, x28
	say_hex	SSESR, x26
	adr	x0, ss_here
	sub	x23, x24, x0
	say_hex	SSELR, x23

	/* a step pending at the unmask: MDSCR.SS set with PSTATE.D set, then DAIFClr of D */
	mov	x28, #0xff
	mov	x26, #0
	msr	daifset, #8
	mov	x0, #(MDSCR_MDE | MDSCR_KDE | MDSCR_SS)
	msr	mdscr_el1, x0
	isb
	msr	daifclr, #8
ssp_here:
	nop
	msr	daifset, #8
	mov	x0, #0
	msr	mdscr_el1, x0
	isb
	say_hex	SSP, x28
	say_hex	SSPESR, x26
	adr	x0, ssp_here
	sub	x23, x24, x0
	say_hex	SSPELR, x23
	say_hex	EXC, x27
	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret
	.ltorg

	.data
	.balign 8
watched:
	.quad	0

	virt_lib
