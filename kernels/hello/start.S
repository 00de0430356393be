/* hello: the smallest well-behaved kernel: banner, one passing check, DONE, power off. */
#include "virt.h"

	kernel_entry main

main:
	say	"hello from wbdiff\n"
	say	"T1 Y\n"
	say	"DONE\n"
	b	poweroff

	virt_lib
