/* vectors: a kernel with its own vector table that takes three synchronous exceptions on
 * purpose and handles each: SVC #42, an undefined instruction (UDF #0) and BRK #7. The
 * handler records ESR_EL1.EC, steps ELR_EL1 past the instruction and returns (ERET); each
 * check then compares the recorded class: T1 SVC (0x15), T2 undefined (0x00), T3 BRK (0x3c).
 * Such exceptions are handled, not faults: the run completes. (Compare `fault`, whose vectors
 * spin: there the abort is never handled.) */
#include "virt.h"

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	use_vectors vectors
	say	"vectors: own table at VBAR_EL1; taking SVC, UDF, BRK\n"

	svc	#42
	mov	w0, #0x15
	bl	check
	say	" T1 (SVC handled)\n"

	udf	#0
	mov	w0, #0x00
	bl	check
	say	" T2 (undefined instruction handled)\n"

	brk	#7
	mov	w0, #0x3c
	bl	check
	say	" T3 (BRK handled)\n"

	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret

/* check(w0 = expected EC): prints "T? Y" if the handler saw that class, else "T? N";
 * the caller prints the rest of the line. Uses `taken` (EC+1, 0 = nothing taken). */
check:
	stp	x29, x30, [sp, #-16]!
	adr	x1, taken
	ldr	w2, [x1]
	str	wzr, [x1]
	add	w0, w0, #1
	adr	x3, counter
	ldr	w4, [x3]
	add	w4, w4, #1
	str	w4, [x3]
	cmp	w2, w0
	mov	w0, #'T'
	bl	putc
	add	w0, w4, #'0'
	bl	putc
	adr	x0, yes
	adr	x1, no
	csel	x0, x0, x1, eq
	bl	puts
	ldp	x29, x30, [sp], #16
	ret

	virt_lib

	.section .rodata
yes:	.asciz	" Y"
no:	.asciz	" N"

	.data
	.balign 4
taken:	.word	0
counter: .word	0

	.text
	vector_table vectors, sync_handler

sync_handler:
	stp	x0, x1, [sp, #-16]!
	mrs	x0, esr_el1
	lsr	x0, x0, #26
	add	w0, w0, #1
	adr	x1, taken
	str	w0, [x1]
	mrs	x0, elr_el1
	mrs	x1, esr_el1
	lsr	x1, x1, #26
	cmp	x1, #0x15		/* SVC: ELR already points past it */
	b.eq	1f
	add	x0, x0, #4		/* UDF, BRK: ELR is the instruction itself */
	msr	elr_el1, x0
1:	ldp	x0, x1, [sp], #16
	eret
