/* spinlock: CPU 0 starts CPU 1 with PSCI CPU_ON; both add 1 to two shared counters 2000 times
 * each: one under an LDAXR/STXR spinlock with plain loads and stores inside, one with an
 * LDXR/STXR atomic add. Run with -smp 2.
 *   T1 the locked counter is 4000    T2 the atomic counter is 4000                      */
#include "virt.h"

#include "smp.h"

#define ROUNDS		2000

	kernel_entry main

/* work: ROUNDS increments of both counters. Clobbers x0-x5. */
work:
	shared_counting ROUNDS
	ret

main:
	stp	x29, x30, [sp, #-16]!
	cpu_on	1, secondary, 0
	bl	work
	ldr	x1, =done
5:	ldar	w0, [x1]
	cbz	w0, 5b
	ldr	x1, =locked_count
	ldr	w0, [x1]
	cmp	w0, #(2 * ROUNDS)
	b.ne	6f
	say	"T1 Y\n"
	b	7f
6:	say	"T1 N\n"
7:	ldr	x1, =atomic_count
	ldr	w0, [x1]
	cmp	w0, #(2 * ROUNDS)
	b.ne	8f
	say	"T2 Y\n"
	b	9f
8:	say	"T2 N\n"
9:	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret

secondary:
	ldr	x0, =stack1_top
	mov	sp, x0
	bl	work
	ldr	x1, =done
	mov	w0, #1
	stlr	w0, [x1]
10:	wfi
	b	10b
	.ltorg

	.data
	.balign 8
lock:		.word 0
locked_count:	.word 0
atomic_count:	.word 0
done:		.word 0
	.bss
	.balign 16
stack1:	.space 1024
stack1_top:

	virt_lib
