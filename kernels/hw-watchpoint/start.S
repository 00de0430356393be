/* hw-watchpoint: hardware watchpoint 0 (DBGWCR0/DBGWVR0, MDSCR_EL1.KDE|MDE) on a doubleword, as
 * kvm-unit-tests' debug-wp arms it: a store to it and then a load from it (LSC = store, then
 * load) each take a watchpoint exception before the access; the handler records ESR, FAR and
 * ELR and returns with SPSR.D set, so the access then runs.
 *   T1 Y: the store's exception: EC 0x35 (watchpoint, current EL) with WnR, FAR = the doubleword, ELR = the store
 *   T2 Y: the value stored is there after the return, and the instruction after the store ran once
 *   T3 Y: the load's exception: EC 0x35 without WnR, ELR = the load, and the load then read the value
 *   T4 Y: two watchpoint exceptions in all */
#include "virt.h"

#define MDSCR_KDE (1 << 13)
#define MDSCR_MDE (1 << 15)
/* BAS = 0xff (all 8 bytes), PAC = EL1, enabled; LSC (bits 4:3) = store 0b10 / load 0b01. */
#define WCR_STORE ((0xff << 5) | (2 << 3) | (1 << 1) | 1)
#define WCR_LOAD ((0xff << 5) | (1 << 3) | (1 << 1) | 1)

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	use_vectors vectors
	say	"hw-watchpoint: DBGWVR0 on a doubleword, a store then a load\n"
	adr	x0, watched
	msr	dbgwvr0_el1, x0
	ldr	x0, =WCR_STORE
	msr	dbgwcr0_el1, x0
	mov	x0, #(MDSCR_KDE | MDSCR_MDE)
	msr	mdscr_el1, x0
	isb
	msr	daifclr, #8

	adr	x6, watched
	mov	x1, #0x1234
	mov	x5, #0
	.global store_at
store_at:
	str	x1, [x6]
	add	x5, x5, #1
	msr	daifclr, #8
	/* T1: the store's exception */
	adr	x7, seen
	ldp	x8, x9, [x7]		/* esr, far */
	ldr	x10, [x7, #16]		/* elr */
	lsr	x11, x8, #26
	cmp	x11, #0x35
	ubfx	x12, x8, #6, #1		/* WnR */
	ccmp	x12, #1, #0, eq
	ccmp	x9, x6, #0, eq
	adr	x13, store_at
	ccmp	x10, x13, #0, eq
	cset	w0, eq
	mov	w1, #'1'
	bl	verdict
	/* T2: the value is there, and the add ran once */
	ldr	x8, [x6]
	mov	x14, #0x1234
	cmp	x8, x14
	ccmp	x5, #1, #0, eq
	cset	w0, eq
	mov	w1, #'2'
	bl	verdict

	/* The same doubleword watched for loads. */
	ldr	x0, =WCR_LOAD
	msr	dbgwcr0_el1, x0
	isb
	msr	daifclr, #8
	.global load_at
load_at:
	ldr	x2, [x6]
	msr	daifclr, #8
	adr	x7, seen
	ldr	x8, [x7]
	ldr	x10, [x7, #16]
	lsr	x11, x8, #26
	cmp	x11, #0x35
	ubfx	x12, x8, #6, #1
	ccmp	x12, #0, #0, eq
	adr	x13, load_at
	ccmp	x10, x13, #0, eq
	mov	x14, #0x1234
	ccmp	x2, x14, #0, eq
	cset	w0, eq
	mov	w1, #'3'
	bl	verdict
	msr	dbgwcr0_el1, xzr
	isb
	adr	x7, hits
	ldr	w8, [x7]
	cmp	w8, #2
	cset	w0, eq
	mov	w1, #'4'
	bl	verdict
	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret
	.ltorg

	virt_lib

	.data
	.balign 8
watched: .quad	0
seen:	.quad	0, 0, 0		/* ESR, FAR, ELR of the last exception */
hits:	.word	0

	.text
	vector_table vectors, sync_handler

sync_handler:
	stp	x0, x1, [sp, #-16]!
	adr	x1, seen
	mrs	x0, esr_el1
	str	x0, [x1]
	mrs	x0, far_el1
	str	x0, [x1, #8]
	mrs	x0, elr_el1
	str	x0, [x1, #16]
	adr	x1, hits
	ldr	w0, [x1]
	add	w0, w0, #1
	str	w0, [x1]
	mrs	x0, spsr_el1
	orr	x0, x0, #(1 << 9)
	msr	spsr_el1, x0
	ldp	x0, x1, [sp], #16
	eret
