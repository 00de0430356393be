/* flood: prints T1 Y, then floods the console forever; the runner must stop it at the
   serial cap with verdict output-limit, keeping memory bounded. */
#include "virt.h"

	kernel_entry main

main:
	say	"T1 Y\n"
1:	say	"flood flood flood flood flood flood flood flood flood flood flood flood\n"
	b	1b

	virt_lib
