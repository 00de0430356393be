/* dtbwalk's `_start` (virt.h) and helpers. */
#include "virt.h"
	kernel_entry main
	virt_lib
