/* smp: for -smp 2. CPU 0 starts CPU 1 with PSCI CPU_ON (0xc4000003, target MPIDR 1, entry
 * `secondary`), waits for it (bounded), and reports:
 *   T1 Y  CPU_ON returned PSCI_SUCCESS (0)
 *   T2 Y  CPU 1 ran and printed "CPU1: MPIDR=..." from its own stack
 * then powers off. CPU 1 prints only after CPU 0 has printed T1 and set cpu0_waiting, so
 * lines never interleave (QEMU runs the two CPUs on two host threads at once). */
#include "virt.h"

#define PSCI_CPU_ON 0xc4000003

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	say	"CPU0: starting CPU1 with PSCI CPU_ON\n"
	movz	x0, #(PSCI_CPU_ON & 0xffff)
	movk	x0, #(PSCI_CPU_ON >> 16), lsl #16
	mov	x1, #1			/* target: MPIDR Aff0 = 1 */
	adr	x2, secondary
	mov	x3, #0
	hvc	#0
	cmp	x0, #0
	b.ne	1f
	say	"T1 Y\n"
	adr	x1, cpu0_waiting
	mov	w0, #1
	stlr	w0, [x1]
	b	2f
1:	say	"T1 N\n"
	b	4f
2:	adr	x1, cpu1_done
	movz	x2, #0x4000, lsl #16	/* ~1e9 polls: far past any start-up, short of the timeout */
3:	ldar	w0, [x1]
	cbnz	w0, 5f
	subs	x2, x2, #1
	b.ne	3b
4:	say	"T2 N\n"
	b	6f
5:	say	"T2 Y\n"
6:	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret

secondary:
	adr	x0, cpu1_stack_top
	mov	sp, x0
	mov	x0, #CPACR_FPEN
	msr	cpacr_el1, x0
	isb
	adr	x1, cpu0_waiting
8:	ldar	w0, [x1]
	cbz	w0, 8b
	say	"CPU1: MPIDR="
	mrs	x0, mpidr_el1
	bl	puthex32
	say	"\n"
	adr	x1, cpu1_done
	mov	w0, #1
	stlr	w0, [x1]
7:	wfi
	b	7b

	virt_lib

	.data
	.balign 4
cpu1_done:
	.word	0
cpu0_waiting:
	.word	0

	.bss
	.balign 16
	.space	4096
cpu1_stack_top:
