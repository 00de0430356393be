/* svc-loop: prints T1 Y, then takes SVC #0 in a loop forever; its handler returns at once. QEMU's
 * -d int log gets two lines per exception, millions a second: the runner must keep bounded
 * memory, and judge this a timeout (handled exceptions, progress made), never a fault. */
#include "virt.h"

	kernel_entry main

main:
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	say	"T1 Y\n"
1:	svc	#0
	b	1b

	virt_lib

	.balign 2048
vectors:
	.rept 4
	b	.
	.balign 128
	.endr
	eret				/* 0x200: current EL, SP_ELx, synchronous: ELR is past the SVC */
	.balign 128
	.rept 11
	b	.
	.balign 128
	.endr
