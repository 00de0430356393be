/* noisy: entry stub; the output is produced by kmain() in noisy.c. */
#include "virt.h"

	kernel_entry kmain

	virt_lib
