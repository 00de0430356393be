/* codecopy: runs code it wrote itself, outside its image (RAM + 64 MiB), as a kernel that
 * relocates or generates code does: copies a routine there, makes it visible to instruction
 * fetch (DC CVAU, DSB ISH, IC IVAU, DSB ISH, ISB: what the architecture asks), calls it, then
 * patches it in place and calls it again.
 *   T1 Y  the copy returns 0x5a
 *   T2 Y  patched to return 0xa5 (and made visible again), the copy returns 0xa5: no stale code
 * (The emulator's engine pool must not reuse an engine that translated code there.) */
#include "virt.h"

#define COPY_AT 0x44000000

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	movz	x19, #(COPY_AT >> 16), lsl #16
	adr	x0, routine
	ldp	w1, w2, [x0]
	stp	w1, w2, [x19]
	bl	sync_copy
	blr	x19
	cmp	w0, #0x5a
	b.ne	1f
	say	"T1 Y\n"
	b	2f
1:	say	"T1 N\n"
2:	adr	x0, patched
	ldr	w1, [x0]
	str	w1, [x19]
	bl	sync_copy
	blr	x19
	cmp	w0, #0xa5
	b.ne	3f
	say	"T2 Y\n"
	b	4f
3:	say	"T2 N\n"
4:	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	b	poweroff

/* The copy's cache line, cleaned to the point of unification and invalidated for fetch. */
sync_copy:
	dc	cvau, x19
	dsb	ish
	ic	ivau, x19
	dsb	ish
	isb
	ret

routine:
	mov	w0, #0x5a
	ret
patched:
	mov	w0, #0xa5

	virt_lib
