/* semihost-exit: a test that fails and says so through its exit status. It prints T1 Y, then
 * "Global pointer assignment failed!" (read as T2=N by the manifest's result pattern), then
 * ends QEMU with Arm semihosting SYS_EXIT (0x18, HLT #0xf000 on AArch64) with the block
 * { ADP_Stopped_ApplicationExit, 3 }: exit status 3. Needs -semihosting-config (the manifest
 * says "semihosting": true). */
#include "virt.h"

#define SYS_EXIT                    0x18
#define ADP_Stopped_ApplicationExit 0x20026

	kernel_entry main

main:
	say	"T1 Y\n"
	say	"Global pointer assignment failed!\n"
	mov	w0, #SYS_EXIT
	adr	x1, exit_block
	hlt	#0xf000
	say	"semihosting SYS_EXIT returned\n"
	b	.

	virt_lib

	.data
	.balign 8
exit_block:
	.quad	ADP_Stopped_ApplicationExit
	.quad	3
