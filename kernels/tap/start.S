/* tap: a TAP 13 stream with a pass, a TODO failure, a SKIP and a pass.
 * wbdiff turns test points into markers tap1..tap4 valued Y, N, SKIP or TODO
 * (a directive wins over ok/not ok). */
#include "virt.h"

	kernel_entry main

main:
	say	"TAP version 13\n"
	say	"1..4\n"
	say	"ok 1 - uart works\n"
	say	"not ok 2 - known bug # TODO fix later\n"
	say	"ok 3 - skipped on virt # SKIP no hardware\n"
	say	"ok 4 - last\n"
	say	"DONE\n"
	b	poweroff

	virt_lib
