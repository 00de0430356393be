/* smp-ipi: -smp 2. CPU 0 starts CPU 1 with PSCI CPU_ON (context id in x0), the two ping-pong
 * SGIs taken as IRQs through their own vector tables, share an LDAXR/STXR spinlock and an
 * LDXR/STXR atomic counter, and CPU 1 leaves with CPU_OFF. Only CPU 0 prints.
 *   T1  AFFINITY_INFO(1) is OFF (1) before CPU_ON; CPU_ON returns SUCCESS
 *   T2  CPU 1 started with x0 = the context id, MPIDR_EL1 = 0x80000001, IRQs masked
 *   T3  a second CPU_ON of the running CPU 1 is ALREADY_ON (-4); AFFINITY_INFO(1) is ON (0)
 *   T4  every IRQ on CPU 0 was SGI 2 from CPU 1, every IRQ on CPU 1 SGI 1 from CPU 0
 *   T5  the locked counter and the atomic counter are both 2 x ROUNDS
 *   T6  after CPU 1's CPU_OFF, AFFINITY_INFO(1) is OFF again
 *   PONGS=<n>  SGI round trips (5)
 * kernels/smp-ipi builds it as is, kernels/smp-ipi-gicv3 with GICV3 for -machine gic-version=3
 * (here in common/, since the build cache hashes common/ and a kernel's own sources). Every wait is bounded,
 * so a broken machine prints N instead of hanging. */
#include "virt.h"

#include "gic.h"
#include "smp.h"

#define CONTEXT_ID		0x5eed
#define PINGS			5
#define ROUNDS			1000
#define PATIENCE		0x4000000	/* polls before a wait gives up */

/* Spins until the word at \label is at least \value, at most PATIENCE times; leaves the flags
 * HS when it got there. Clobbers x0-x2. */
.macro await label, value
	ldr	x1, =\label
	ldr	x2, =PATIENCE
.Lawait\@:
	ldar	w0, [x1]
	cmp	w0, #\value
	b.hs	.Lawait_done\@
	subs	x2, x2, #1
	b.ne	.Lawait\@
	cmp	x2, #1			/* x2 is 0 here: LO, gave up */
.Lawait_done\@:
.endm

	kernel_entry main

/* ROUNDS increments of both shared counters: one under the spinlock, one atomically. Clobbers x0-x5. */
work:
	shared_counting ROUNDS
	ret

main:
	stp	x29, x30, [sp, #-16]!
	msr	daifset, #3
	use_vectors vectors0
#ifdef GICV3
	store32	GICD, 3
	store32	GICR0 + 0x14, 0				/* GICR_WAKER: both redistributors awake */
	store32	GICR1 + 0x14, 0
	store32	GICR0 + SGI_FRAME + 0x80, 0xffff	/* SGIs in Group 1, enabled, on both CPUs */
	store32	GICR1 + SGI_FRAME + 0x80, 0xffff
	store32	GICR0 + SGI_FRAME + 0x100, 0xffff
	store32	GICR1 + SGI_FRAME + 0x100, 0xffff
#else
	store32	GICD, 1
#endif
	cpu_interface_on
	mov	x19, #1					/* T1 holds */
	affinity_info 1
	cmp	x0, #1
	csel	x19, xzr, x19, ne
	cpu_on	1, secondary, CONTEXT_ID
	cmp	x0, #0
	csel	x19, xzr, x19, ne
	await	cpu1_ready, 1
	csel	x19, xzr, x19, lo
	cbz	x19, 1f
	say	"T1 Y\n"
	b	2f
1:	say	"T1 N\n"
2:	ldr	x1, =cpu1_checks
	ldr	w0, [x1]
	cmp	w0, #1
	b.ne	3f
	say	"T2 Y\n"
	b	4f
3:	say	"T2 N\n"
4:	cpu_on	1, secondary, 0
	cmn	x0, #4
	cset	x19, eq
	affinity_info 1
	cmp	x0, #0
	csel	x19, xzr, x19, ne
	cbz	x19, 5f
	say	"T3 Y\n"
	b	6f
5:	say	"T3 N\n"

	/* SGI ping-pong: SGI 1 to CPU 1, which answers SGI 2; the IRQ handler counts pongs in x20. */
	/* Waits check with IRQs masked, sleep in WFI (which a pending IRQ ends even masked), and
	 * take the IRQ in a short unmasked window: no wake-up is lost between check and WFI. */
6:	mov	x20, #0
	mov	x21, #1					/* every INTID right (cleared by the handler) */
7:	mov	x22, x20
	send_sgi 1, 1
	ldr	x23, =PATIENCE
8:	cmp	x20, x22
	b.ne	9f
	wfi
	msr	daifclr, #2
	isb
	msr	daifset, #2
	subs	x23, x23, #1
	b.ne	8b
	b	10f					/* no pong: give up */
9:	cmp	x20, #PINGS
	b.lo	7b
10:
	ldr	x1, =cpu1_bad
	ldr	w0, [x1]
	cmp	w0, #0
	csel	x21, xzr, x21, ne
	cmp	x20, #PINGS
	csel	x21, xzr, x21, ne
	cbz	x21, 11f
	say	"T4 Y\n"
	b	12f
11:	say	"T4 N\n"

	/* Both CPUs share the lock: CPU 1 starts when go is set. */
12:	ldr	x1, =go
	mov	w0, #1
	stlr	w0, [x1]
	send_sgi 3, 1					/* wake CPU 1 from its WFI */
	bl	work
	await	cpu1_worked, 1
	mov	x19, #1
	csel	x19, xzr, x19, lo
	ldr	x1, =locked_count
	ldr	w0, [x1]
	cmp	w0, #(2 * ROUNDS)
	csel	x19, xzr, x19, ne
	ldr	x1, =atomic_count
	ldr	w0, [x1]
	cmp	w0, #(2 * ROUNDS)
	csel	x19, xzr, x19, ne
	cbz	x19, 13f
	say	"T5 Y\n"
	b	14f
13:	say	"T5 N\n"

	/* CPU 1 turns itself off once it worked; AFFINITY_INFO says OFF soon after. */
14:	ldr	x24, =PATIENCE
15:	affinity_info 1
	cmp	x0, #1
	b.eq	16f
	subs	x24, x24, #1
	b.ne	15b
	say	"T6 N\n"
	b	17f
16:	say	"T6 Y\n"
17:	say	"PONGS="
	mov	x0, x20
	bl	putdec
	say	"\nDONE\n"
	ldp	x29, x30, [sp], #16
	ret
	.ltorg

/* CPU 1: x0 = the context id. Checks how it started, then answers pings until go (and SGI 3), works, and leaves. */
secondary:
	mov	x19, #1
	ldr	x1, =CONTEXT_ID
	cmp	x0, x1
	csel	x19, xzr, x19, ne
	mrs	x0, mpidr_el1
	ldr	x1, =0x80000001
	cmp	x0, x1
	csel	x19, xzr, x19, ne
	mrs	x0, daif
	cmp	x0, #0x3c0				/* D, A, I, F masked */
	csel	x19, xzr, x19, ne
	ldr	x0, =stack1_top
	mov	sp, x0
	use_vectors vectors1
	cpu_interface_on
	ldr	x1, =cpu1_checks
	str	w19, [x1]
	ldr	x1, =cpu1_ready
	mov	w0, #1
	stlr	w0, [x1]
18:	ldr	x1, =go
	ldar	w0, [x1]
	cbnz	w0, 19f
	wfi
	msr	daifclr, #2
	isb
	msr	daifset, #2
	b	18b
19:	bl	work
	ldr	x1, =cpu1_worked
	mov	w0, #1
	stlr	w0, [x1]
	psci	PSCI_CPU_OFF
	b	.					/* CPU_OFF never returns */
	.ltorg

/* CPU 0's IRQ: SGI 2 from CPU 1 is a pong (x20 += 1); anything else clears x21. */
irq0:
	stp	x0, x1, [sp, #-16]!
	ack
	and	w1, w0, #0x3ff
	cmp	w1, #1023
	b.eq	19f
#ifdef GICV3
	cmp	w0, #2
#else
	ldr	w1, =(2 | (1 << 10))			/* SGI 2, source CPU 1 */
	cmp	w0, w1
#endif
	csel	x21, xzr, x21, ne
	add	x20, x20, #1
	eoi
19:	ldp	x0, x1, [sp], #16
	eret

/* CPU 1's IRQ: SGI 1 from CPU 0 is a ping, answered with SGI 2; SGI 3 a kick; anything else counts in cpu1_bad. */
irq1:
	stp	x0, x1, [sp, #-32]!
	stp	x2, x3, [sp, #16]
	ack
	and	w1, w0, #0x3ff
	cmp	w1, #1023
	b.eq	21f
	cmp	w0, #3					/* SGI 3: the kick to go on, not answered */
	b.eq	22f
	cmp	w0, #1					/* SGI 1, source CPU 0 on GICv2 too */
	b.eq	20f
	ldr	x2, =cpu1_bad
	ldr	w3, [x2]
	add	w3, w3, #1
	str	w3, [x2]
20:	eoi
	send_sgi 2, 0
	b	21f
22:	eoi
21:	ldp	x2, x3, [sp, #16]
	ldp	x0, x1, [sp], #32
	eret
	.ltorg

/* IRQ from the current EL with SP_EL1 (0x280) goes to the CPU's handler; every other vector spins. */
	vector_table vectors0, irq0, 0x280
	vector_table vectors1, irq1, 0x280

	.data
	.balign 8
lock:		.word 0
locked_count:	.word 0
atomic_count:	.word 0
cpu1_ready:	.word 0
cpu1_checks:	.word 0
cpu1_bad:	.word 0
cpu1_worked:	.word 0
go:		.word 0
	.bss
	.balign 16
stack1:	.space 4096
stack1_top:

	virt_lib
