/* bootargs-image: the bootargs kernel as an arm64 Linux Image (Documentation/arch/arm64/booting.rst):
 * a 64-byte header QEMU reads for text_offset and image_size, then the same entry as bootargs. */
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
	dtb_entry kmain

	virt_lib
