/* `_start` (virt.h kernel_entry: calls main) and the virt.h helpers, for kernels written in C. */
#include "virt.h"
	kernel_entry main
	virt_lib
