/* initrd (raw image): QEMU's boot stub enters it with x0 = the DTB's address. */
#include "virt.h"

	.section .text.boot, "ax"
	.global _start
_start:
	dtb_entry kmain

	virt_lib
