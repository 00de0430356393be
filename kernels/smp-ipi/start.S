/* smp-ipi (kernels/common/smp-ipi.S) on a GICv2: GICD_SGIR, GICC_IAR/EOIR. */
#include "smp-ipi.S"
