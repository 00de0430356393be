/* smp-delay: two CPUs waiting on the generic counter, as kvm-unit-tests' mdelay does.
 * CPU 0 starts CPU 1, which waits 20 ms in a CNTVCT loop and then sets `done`; CPU 0 polls
 * `done` in a loop that also reads the counter, giving up after 200 ms.
 *   T1 Y  CPU 0 saw `done` before its deadline
 *   T2 Y  by then at least 20 ms had passed on CPU 0's counter
 * (The emulator's polling rule skips time inside each CPU's turn only: nothing else runs then.) */
#include "virt.h"
#include "smp.h"

#define MS	62500		/* counter ticks per ms at 62.5 MHz */

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!
	mrs	x19, cntvct_el0
	cpu_on	1, secondary, 0
	ldr	x20, =(200 * MS)
	adr	x21, done
1:	ldar	w0, [x21]
	cbnz	w0, 2f
	mrs	x1, cntvct_el0
	sub	x1, x1, x19
	cmp	x1, x20
	b.lo	1b
	say	"T1 N\n"
	b	3f
2:	say	"T1 Y\n"
3:	mrs	x1, cntvct_el0
	sub	x1, x1, x19
	ldr	x2, =(20 * MS)
	cmp	x1, x2
	b.hs	4f
	say	"T2 N\n"
	b	5f
4:	say	"T2 Y\n"
5:	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	b	poweroff
	.ltorg

secondary:
	mrs	x19, cntvct_el0
	ldr	x20, =(20 * MS)
6:	isb
	mrs	x1, cntvct_el0
	sub	x1, x1, x19
	cmp	x1, x20
	b.lo	6b
	adr	x21, done
	mov	w0, #1
	stlr	w0, [x21]
7:	wfi
	b	7b
	.ltorg

	.data
	.balign 4
done:	.word	0

	virt_lib
