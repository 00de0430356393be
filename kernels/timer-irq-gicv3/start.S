/* timer-irq for -machine gic-version=3: the ICC_* system registers and a redistributor. */
#define GICV3
#include "../timer-irq/start.S"
