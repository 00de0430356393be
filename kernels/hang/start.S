/* hang: prints T1 Y, then spins forever; the runner must report a timeout. */
#include "virt.h"

	kernel_entry main

main:
	say	"T1 Y\n"
1:	b	1b

	virt_lib
