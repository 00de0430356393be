/* hw-breakpoint: a hardware breakpoint (DBGBCR0/DBGBVR0, MDSCR_EL1.KDE|MDE) re-armed 6 times,
 * as kvm-unit-tests' debug-bp does it: each round writes DBGBVR0 and DBGBCR0 (QEMU flushes its
 * translated code on every such write), unmasks debug exceptions (PSTATE.D) and runs into the
 * breakpoint; the handler records ELR and ESR.EC and returns with SPSR.D set, so the
 * instruction then runs. Each write lands in the middle of translated code.
 *   T1 Y: 6 breakpoint exceptions taken
 *   T2 Y: every one with EC 0x31 (breakpoint, current EL) at the breakpoint's address */
#include "virt.h"

#define MDSCR_KDE (1 << 13)
#define MDSCR_MDE (1 << 15)
/* BAS = 0b1111 (the whole A64 instruction), PMC = EL1, enabled. */
#define BCR_EL1_EXEC 0x1e3

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	use_vectors vectors
	say	"hw-breakpoint: DBGBVR0 at bp0, 6 rounds\n"
	mov	x0, #(MDSCR_KDE | MDSCR_MDE)
	msr	mdscr_el1, x0
	isb
	mov	x19, #6
1:	msr	dbgbcr0_el1, xzr
	adr	x0, bp0
	msr	dbgbvr0_el1, x0
	mov	x0, #BCR_EL1_EXEC
	msr	dbgbcr0_el1, x0
	isb
	msr	daifclr, #8
	.global bp0
bp0:	msr	daifclr, #8
	msr	daifset, #8
	subs	x19, x19, #1
	b.ne	1b
	msr	dbgbcr0_el1, xzr
	isb

	say	"HITS="
	adr	x1, hits
	ldr	w0, [x1]
	add	w0, w0, #'0'
	bl	putc
	say	"\n"
	adr	x1, hits
	ldr	w2, [x1]
	cmp	w2, #6
	cset	w0, eq
	mov	w1, #'1'
	bl	verdict
	adr	x1, bad
	ldr	w2, [x1]
	cmp	w2, #0
	cset	w0, eq
	mov	w1, #'2'
	bl	verdict
	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret

	virt_lib

	.data
	.balign 4
hits:	.word	0
bad:	.word	0

	.text
	vector_table vectors, sync_handler

/* Counts the exception, notes one that is not a breakpoint at bp0, returns with PSTATE.D set. */
sync_handler:
	stp	x0, x1, [sp, #-16]!
	stp	x2, x3, [sp, #-16]!
	adr	x1, hits
	ldr	w0, [x1]
	add	w0, w0, #1
	str	w0, [x1]
	mrs	x0, esr_el1
	lsr	x0, x0, #26
	mrs	x2, elr_el1
	adr	x3, bp0
	cmp	x0, #0x31
	ccmp	x2, x3, #0, eq
	b.eq	1f
	adr	x1, bad
	ldr	w0, [x1]
	add	w0, w0, #1
	str	w0, [x1]
1:	mrs	x0, spsr_el1
	orr	x0, x0, #(1 << 9)
	msr	spsr_el1, x0
	ldp	x2, x3, [sp], #16
	ldp	x0, x1, [sp], #16
	eret
