/* jitter: output that really varies between runs, for flakiness detection. Reads the virtual
 * counter (CNTVCT_EL0, which ticks with host time on QEMU) after a short busy loop and reports
 * bit 4 of it as a check: T1 Y when the bit is clear, T1 N when set -- a coin toss per run.
 *   COUNT=%08x   low 32 bits of the counter */
#include "virt.h"

	kernel_entry main

main:
	mov	x19, #2000
1:	subs	x19, x19, #1
	b.ne	1b
	isb
	mrs	x19, cntvct_el0
	say	"COUNT="
	mov	w0, w19
	bl	puthex32
	say	"\n"
	tbnz	x19, #4, 2f
	say	"T1 Y\n"
	b	3f
2:	say	"T1 N\n"
3:	say	"DONE\n"
	b	poweroff

	virt_lib
