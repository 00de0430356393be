/* The `_start` of the layout kernels (common/layout.c) and the virt.h helpers it links with. */
#include "virt.h"
	kernel_entry main
	virt_lib
