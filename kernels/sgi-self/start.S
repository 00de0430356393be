/* sgi-self: interrupts raised by an MMIO store are taken right after it (GICv2).
 *   T1 Y  an SGI to itself through GICD_SGIR (TargetListFilter 0b10), IRQs unmasked, is taken
 *         within the next 64 polls of its flag (QEMU takes it at the end of the store's
 *         translation block; an emulator that looked only at the end of its slice would not)
 *   T2 Y  an SGI made pending through GICD_SPENDSGIR while IRQs are masked is taken within 64
 *         polls of unmasking them
 *   T3 Y  each handler saw its INTID (1, then 2) with CPU 0 as the source
 * Bounded waits: a missed interrupt prints N, never hangs. */
#include "virt.h"
#include "gic.h"

#define POLLS	64

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	msr	daifset, #3
	use_vectors vectors
	store32	GICD, 1				/* GICD_CTLR: enable */
	store32	GICD + 0x400, 0x00808080	/* IPRIORITYR0: SGIs 0-2 at 0x80 */
	store32	GICD + 0x100, 0x00000006	/* GICD_ISENABLER0: SGIs 1, 2 */
	cpu_interface_on
	mov	x19, #0				/* IAR of the last interrupt taken, 0: none yet */
	mov	x21, #1				/* T3 holds until a handler sees the wrong INTID or source */

	/* T1: IRQs on, then the store; the flag polled at most POLLS times. */
	msr	daifclr, #2
	isb
	store32	GICD + 0xf00, ((2 << 24) | 1)	/* GICD_SGIR: SGI 1 to this CPU only */
	mov	x2, #POLLS
1:	cbnz	x19, 2f
	subs	x2, x2, #1
	b.ne	1b
	say	"T1 N\n"
	b	3f
2:	cmp	w19, #1
	csel	x21, xzr, x21, ne
	say	"T1 Y\n"
3:	msr	daifset, #2
	isb
	mov	x19, #0

	/* T2: pending while masked (GICD_SPENDSGIR2's byte for SGI 2: source CPU 0), then unmask.
	 * A byte store: QEMU 7.2 sets an SGI pending for every byte of a wider write, zero bytes too
	 * (arm_gic.c gic_dist_writeb), and aborts when it acknowledges one with no source. */
	ldr	x1, =(GICD + 0xf22)
	mov	w0, #1
	strb	w0, [x1]
	msr	daifclr, #2
	mov	x2, #POLLS
4:	cbnz	x19, 5f
	subs	x2, x2, #1
	b.ne	4b
	say	"T2 N\n"
	b	6f
5:	cmp	w19, #2
	csel	x21, xzr, x21, ne
	say	"T2 Y\n"
6:	msr	daifset, #2
	cbz	x21, 7f
	say	"T3 Y\n"
	b	8f
7:	say	"T3 N\n"
8:	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	b	poweroff
	.ltorg

/* IRQ: acknowledge (x19 = the INTID, source CPU 0 checked), EOI. */
irq_handler:
	stp	x0, x1, [sp, #-16]!
	ack
	ubfx	w1, w0, #10, #3			/* GICC_IAR.CPUID: the source CPU */
	cbz	w1, 9f
	mov	x21, #0
9:	and	w19, w0, #0x3ff
	eoi
	isb
	ldp	x0, x1, [sp], #16
	eret
	.ltorg

	vector_table vectors, irq_handler, 0x280	/* IRQ, current EL with SP_EL1 */

	virt_lib
