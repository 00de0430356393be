/* cpuid: prints MIDR_EL1 and the current exception level, and checks that the
 * kernel was started at EL1 (as QEMU virt does without virtualization=on).
 *   MIDR=0x%08x     (cortex-a57: 0x411fd070; differs per -cpu and per runner)
 *   CURRENTEL=%d    (CurrentEL >> 2)
 *   T1 Y            if CurrentEL is EL1, else T1 N */
#include "virt.h"

	kernel_entry main

main:
	say	"MIDR=0x"
	mrs	x0, midr_el1
	bl	puthex32
	say	"\nCURRENTEL="
	mrs	x19, CurrentEL
	lsr	x19, x19, #2
	and	x19, x19, #3
	mov	x0, x19
	bl	putdec
	say	"\n"
	cmp	x19, #1
	b.ne	1f
	say	"T1 Y\n"
	b	2f
1:	say	"T1 N\n"
2:	say	"DONE\n"
	b	poweroff

	virt_lib
