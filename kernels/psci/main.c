/* psci: asks PSCI what QEMU 7.2's virt answers for one CPU (target/arm/psci.c) and prints each
 * answer, so the emulator's PSCI can be compared with QEMU's byte for byte.
 *   T1  PSCI_VERSION is 1.1 (0x00010001)
 *   T2  PSCI_FEATURES: CPU_ON and SYSTEM_OFF supported (0), MIGRATE and unknown ids not (-1)
 *   T3  AFFINITY_INFO: this CPU (0) is ON (0); MPIDR 1 does not exist (-2, INVALID_PARAMETERS)
 *   T4  CPU_ON: of this CPU ALREADY_ON (-4), of MPIDR 1 INVALID_PARAMETERS (-2)
 *   T5  MIGRATE_INFO_TYPE is 2 (no Trusted OS); an unknown function is NOT_SUPPORTED (-1) */
#include "virt.h"

typedef unsigned long u64;

static u64 psci(u64 fn, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 __asm__("x0") = fn;
	register u64 x1 __asm__("x1") = a1;
	register u64 x2 __asm__("x2") = a2;
	register u64 x3 __asm__("x3") = a3;
	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return x0;
}

static void hex(u64 v)
{
	for (int i = 15; i >= 0; i--) {
		int d = (v >> (i * 4)) & 15;
		uart_putc(d < 10 ? '0' + d : 'a' + d - 10);
	}
}

static u64 show(const char *what, u64 value)
{
	uart_puts(what);
	uart_putc('=');
	hex(value);
	uart_putc('\n');
	return value;
}

static void check(const char *id, int ok) { uart_puts(id); uart_puts(ok ? " Y\n" : " N\n"); }

#define NOT_SUPPORTED ((u64)-1)
#define INVALID_PARAMETERS ((u64)-2)
#define ALREADY_ON ((u64)-4)

int main(void)
{
	uart_puts("psci: what PSCI answers\n");
	check("T1", show("VERSION", psci(0x84000000, 0, 0, 0)) == 0x10001);
	int features = show("FEATURES(CPU_ON_64)", psci(0x8400000a, 0xc4000003, 0, 0)) == 0;
	features &= show("FEATURES(SYSTEM_OFF)", psci(0x8400000a, 0x84000008, 0, 0)) == 0;
	features &= show("FEATURES(MIGRATE)", psci(0x8400000a, 0x84000005, 0, 0)) == NOT_SUPPORTED;
	features &= show("FEATURES(0x12345)", psci(0x8400000a, 0x12345, 0, 0)) == NOT_SUPPORTED;
	check("T2", features);
	int affinity = show("AFFINITY_INFO_64(0)", psci(0xc4000004, 0, 0, 0)) == 0;
	affinity &= show("AFFINITY_INFO_64(1)", psci(0xc4000004, 1, 0, 0)) == INVALID_PARAMETERS;
	check("T3", affinity);
	int cpu_on = show("CPU_ON_64(0)", psci(0xc4000003, 0, 0x40080000, 0)) == ALREADY_ON;
	cpu_on &= show("CPU_ON_64(1)", psci(0xc4000003, 1, 0x40080000, 0)) == INVALID_PARAMETERS;
	check("T4", cpu_on);
	int other = show("MIGRATE_INFO_TYPE", psci(0x84000006, 0, 0, 0)) == 2;
	other &= show("0x84000050", psci(0x84000050, 0, 0, 0)) == NOT_SUPPORTED;
	check("T5", other);
	uart_puts("DONE\n");
	return 0;
}
