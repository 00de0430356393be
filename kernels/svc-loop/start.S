/* svc-loop: prints T1 Y, then takes SVC #0 in a loop forever; its handler returns at once. QEMU's
 * -d int log gets two lines per exception, millions a second: the runner must keep bounded
 * memory, and judge this a timeout (handled exceptions, progress made), never a fault. */
#include "virt.h"

	kernel_entry main

main:
	use_vectors vectors
	say	"T1 Y\n"
1:	svc	#0
	b	1b

	virt_lib

	vector_table vectors, svc_return
svc_return:
	eret				/* ELR is already past the SVC */
