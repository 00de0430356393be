/* bootargs-image: the bootargs kernel as an arm64 Linux Image (Documentation/arch/arm64/booting.rst):
 * a 64-byte header QEMU reads for text_offset and image_size, then the same start as bootargs. */
#include "virt.h"

	.section .text.boot, "ax"
	.global _start
_start:
	b	entry				/* code0 */
	.long	0				/* code1 */
	.quad	0x80000				/* text_offset: loaded at RAM base + 0x80000 */
	.quad	__stack_top - 0x40080000	/* image_size, with .bss and the stack */
	.quad	0x2				/* flags: little-endian, 4K pages */
	.quad	0, 0, 0				/* res2-res4 */
	.ascii	"ARM\x64"			/* magic */
	.long	0				/* res5 (PE header offset) */
entry:
	mov	x19, x0
	adr	x20, _start
	mov	x0, #CPACR_FPEN
	msr	cpacr_el1, x0
	isb
	ldr	x0, =__stack_top
	mov	sp, x0
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	strb	wzr, [x0], #1
	b	1b
2:	mov	x0, x19
	mov	x1, x20
	bl	kmain
	b	.
	.ltorg
