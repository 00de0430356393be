/* self-sgi: a CPU sends itself SGI 1 (ICC_SGI1R_EL1 on GICv3, GICD_SGIR on GICv2) with IRQs
 * unmasked. QEMU takes it right after the write (every system register write ends its block;
 * GICv2's MMIO store: see harness/emu/README.md); the handler records where (ELR - main) and when
 * (CNTVCT - the read just before the write).
 *   ELR=<offset of the interrupted instruction from main>  SENT=<offset after the send's ISB>
 *   DELAY=<ticks>  ENTRIES=<interrupts taken> */
#include "virt.h"
#include "gic.h"

	kernel_entry main

	vector_table vectors, irq_handler, 0x280	/* current EL with SP_ELx, IRQ */

irq_handler:
	mrs	x22, cntvct_el0
	mrs	x23, elr_el1
	add	x24, x24, #1
	ack
	eoi
	eret

main:
	stp	x29, x30, [sp, #-16]!
	use_vectors vectors
#ifdef GICV3
	store32	GICR0 + 0x14, 0				/* GICR_WAKER */
	store32	GICD, 0x12				/* ARE_NS | EnableGrp1NS */
	store32	GICR0 + SGI_FRAME + 0x080, 0xffffffff	/* SGIs/PPIs in Group 1 */
	store32	GICR0 + SGI_FRAME + 0x100, 0x00000002	/* enable SGI 1 */
#else
	store32	GICD, 1
	store32	GICD + 0x100, 0x00000002
#endif
	cpu_interface_on
	mov	x22, #0
	mov	x23, #0
	mov	x24, #0
	msr	daifclr, #2
	isb
	mrs	x19, cntvct_el0
	send_sgi 1, 0
sent:
	.rept 64
	nop
	.endr
	msr	daifset, #2
	say_hex	ENTRIES, x24
	adr	x21, main
	sub	x2, x23, x21
	say_hex	ELR, x2
	adr	x1, sent
	sub	x2, x1, x21
	say_hex	SENT, x2
	sub	x2, x22, x19
	say_hex	DELAY, x2
	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret
	.ltorg

	virt_lib
