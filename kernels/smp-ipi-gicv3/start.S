/* smp-ipi (kernels/common/smp-ipi.S) for -machine gic-version=3: ICC_SGI1R_EL1 target lists, ICC_IAR1/EOIR1, two redistributors. */
#define GICV3
#include "smp-ipi.S"
