/* fault: prints T1 Y, then loads from 0x50000000, which is past the end of the
 * 128 MiB of RAM and in no device. QEMU raises a synchronous external abort
 * there (Data Abort, ESR 0x96000010, FAR 0x50000000); wbdiff's emulator
 * reports an unmapped read. "T2 N" is printed only if the load returns.
 *
 * VBAR_EL1 points at a table whose 16 entries spin silently (`b .`): without
 * it, QEMU's reset VBAR of 0 sends the abort to 0x200 in the empty flash,
 * which is an undefined instruction that re-enters itself forever and floods
 * `-d int` logs (~18 MB/s). With it, exactly one exception is taken and the
 * kernel then hangs until the runner stops it. */
#include "virt.h"

	kernel_entry main

main:
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	say	"T1 Y\n"
	mov	x0, #0x50000000
	ldr	x1, [x0]
	say	"T2 N\n"
	say	"DONE\n"
	b	poweroff

	virt_lib

	.balign 2048
vectors:
	.rept 16
	b	.
	.balign 128
	.endr
