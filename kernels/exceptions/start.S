/* exceptions: entry stub, a vector table and the instructions that trap; the checks are in
 * exceptions.c. Every synchronous vector records the exception in `exc` (ESR, ELR, FAR, SPSR,
 * which vector, SP, DAIF and SPSel inside the handler, a count) and returns with ERET: to
 * ELR for SVC (the next instruction), to ELR + 4 for the others (skipping the instruction).
 * The handler uses only x9-x17, which the C callers treat as clobbered. Any other vector
 * (IRQ, FIQ, SError, lower EL) prints what it was and powers off. */
#include "virt.h"

	kernel_entry kmain

	.text
/* unsigned long trap_svc(void): returns the address of its svc */
	.global trap_svc
trap_svc:
	adr	x0, 1f
1:	svc	#0x42
	ret

	.global trap_udf
trap_udf:
	adr	x0, 1f
1:	udf	#0x17
	ret

	.global trap_brk
trap_brk:
	adr	x0, 1f
1:	brk	#0x99
	ret

/* unsigned long trap_load(unsigned long addr) */
	.global trap_load
trap_load:
	mov	x1, x0
	adr	x0, 1f
1:	ldr	x2, [x1]
	ret

	.global trap_store
trap_store:
	mov	x1, x0
	adr	x0, 1f
1:	str	x1, [x1]
	ret

/* unsigned long trap_svc_on_sp0(unsigned long sp0): an svc from EL1t (SPSel = 0) */
	.global trap_svc_on_sp0
trap_svc_on_sp0:
	msr	sp_el0, x0
	msr	spsel, #0
	adr	x0, 1f
1:	svc	#0x7
	msr	spsel, #1
	ret

/* unsigned long trap_svc_flags(void): svc with Z and C set; returns NZCV after the return */
	.global trap_svc_flags
trap_svc_flags:
	mov	x1, #0
	cmp	x1, #0
	svc	#0x8
	mrs	x0, nzcv
	ret

	.global install_vectors
install_vectors:
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	ret

sync_common:			/* x9 = vector offset */
	mrs	x10, esr_el1
	mrs	x11, elr_el1
	mrs	x12, far_el1
	mrs	x13, spsr_el1
	adr	x15, exc
	stp	x10, x11, [x15]
	stp	x12, x13, [x15, #16]
	mov	x14, sp
	stp	x9, x14, [x15, #32]
	mrs	x16, daif
	mrs	x17, spsel
	stp	x16, x17, [x15, #48]
	ldr	x16, [x15, #64]
	add	x16, x16, #1
	str	x16, [x15, #64]
	lsr	x10, x10, #26
	cmp	x10, #0x15		/* SVC: ELR is already the next instruction */
	b.eq	1f
	add	x11, x11, #4
	msr	elr_el1, x11
1:	eret

unexpected:			/* x9 = vector offset */
	mov	x0, x9
	bl	unexpected_vector	/* prints and powers off */

	.balign 2048
vectors:
	.irp off, 0x000, 0x080, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380, 0x400, 0x480, 0x500, 0x580, 0x600, 0x680, 0x700, 0x780
	.balign 128
	mov	x9, #\off
	.if \off == 0x000 || \off == 0x200
	b	sync_common
	.else
	b	unexpected
	.endif
	.endr

	virt_lib
