/* cpu-reon: -smp 2. CPU 0 starts CPU 1 twice: the first time CPU 1 sets VBAR_EL1, TPIDR_EL1,
 * CNTV_CTL_EL0 (enabled, masked) and with -DGICV3 ICC_PMR_EL1 / ICC_IGRPEN1_EL1, reports and
 * turns itself off with CPU_OFF; the second time (another context id) it must come up reset, as
 * QEMU's cpu_reset leaves it: all of them zero again.
 *   T1 both CPU_ONs returned SUCCESS, AFFINITY_INFO(1) was OFF between them
 *   T2 CPU 1 got each context id in x0
 *   T3 the second time they were all 0                                                        */
#include "virt.h"

#include "smp.h"

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	mov	x19, #1
	cpu_on	1, secondary, 0x11
	cmp	x0, #0
	csel	x19, xzr, x19, ne
	ldr	x1, =lives
1:	ldar	w0, [x1]
	cmp	w0, #1
	b.lo	1b
2:	affinity_info 1
	cmp	x0, #1
	b.ne	2b
	cpu_on	1, secondary, 0x22
	cmp	x0, #0
	csel	x19, xzr, x19, ne
	ldr	x1, =lives
3:	ldar	w0, [x1]
	cmp	w0, #2
	b.lo	3b
	cbz	x19, 4f
	say	"T1 Y\n"
	b	5f
4:	say	"T1 N\n"
5:	ldr	x1, =contexts
	ldr	x0, [x1]
	ldr	x2, =0x2211
	cmp	x0, x2
	b.ne	6f
	say	"T2 Y\n"
	b	7f
6:	say	"T2 N\n"
7:	ldr	x1, =leftover
	ldr	x0, [x1]
	cbnz	x0, 8f
	say	"T3 Y\n"
	b	9f
8:	say	"T3 N\n"
9:	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret

/* x0 = context id: 0x11 the first time, 0x22 the second. */
secondary:
	ldr	x1, =contexts
	ldr	x2, [x1]
	ldr	x3, =lives
	ldr	w4, [x3]
	lsl	w5, w4, #3
	lsl	x0, x0, x5			/* byte `lives` of contexts = this context id */
	orr	x2, x2, x0
	str	x2, [x1]
	cbz	w4, 10f
	mrs	x0, vbar_el1			/* second life: what survived the reset */
	mrs	x2, tpidr_el1
	orr	x0, x0, x2
	mrs	x2, cntv_ctl_el0
	orr	x0, x0, x2
#ifdef GICV3
	mrs	x2, S3_0_C4_C6_0		/* ICC_PMR_EL1 */
	orr	x0, x0, x2
	mrs	x2, S3_0_C12_C12_7		/* ICC_IGRPEN1_EL1 */
	orr	x0, x0, x2
#endif
	ldr	x1, =leftover
	str	x0, [x1]
	b	11f
10:	adr	x0, secondary
	and	x0, x0, #~0x7ff
	msr	vbar_el1, x0
	mov	x0, #0x77
	msr	tpidr_el1, x0
	mov	x0, #3				/* ENABLE | IMASK: armed, never an interrupt */
	msr	cntv_ctl_el0, x0
#ifdef GICV3
	mov	x0, #0xf0
	msr	S3_0_C4_C6_0, x0
	mov	x0, #1
	msr	S3_0_C12_C12_7, x0
#endif
11:	add	w4, w4, #1
	stlr	w4, [x3]
	psci	PSCI_CPU_OFF
	b	.
	.ltorg

	.data
	.balign 8
contexts:	.quad 0
leftover:	.quad 0
lives:		.word 0

	virt_lib
