/* exceptions: takes an SVC, an undefined instruction, a BRK, a data abort on a load and on a
 * store, an SVC from EL1t and an SVC with flags set, each handled by its own vector table
 * (start.S), and checks what the architecture says the handler sees:
 *   T1 SVC #0x42: ESR 0x56000042, ELR = the next instruction, vector +0x200, SPSR = EL1h,
 *      DAIF all masked and SPSel = 1 in the handler
 *   T2 UDF: ESR 0x02000000 (unknown reason, IL), ELR = the udf
 *   T3 BRK #0x99: ESR 0xf2000099, ELR = the brk
 *   T4 load from unassigned 0x50000000: ESR 0x96000010 (sync external abort), FAR, ELR = the ldr
 *   T5 store to unassigned 0x50000008: ESR 0x96000050 (WnR), FAR
 *   T6 SVC #7 from EL1t: vector +0x000, SPSR = EL1t, handler on SP_EL1 (not the SP_EL0 given)
 *   T7 SVC with Z and C set: SPSR.NZCV = 0b0110, and ERET restores them
 *   T8 seven exceptions counted, each returned (the kernel got here)
 * Each check also prints the values, so two runners can be compared line by line. */
#include "virt.h"

struct exc_record {
	unsigned long esr, elr, far, spsr, vector, sp, daif, spsel, count;
};
volatile struct exc_record exc;

unsigned long trap_svc(void), trap_udf(void), trap_brk(void), trap_svc_flags(void);
unsigned long trap_load(unsigned long), trap_store(unsigned long), trap_svc_on_sp0(unsigned long);
void install_vectors(void);
void puthex32(unsigned int);
void poweroff(void) __attribute__((noreturn));

static unsigned long sp0_stack[64] __attribute__((aligned(16)));

static void puthex64(unsigned long v)
{
	uart_puts("0x");
	puthex32((unsigned int)(v >> 32));
	puthex32((unsigned int)v);
}

static void show(const char *what)
{
	uart_puts(what);
	uart_puts(": ESR=");
	puthex64(exc.esr);
	uart_puts(" SPSR=");
	puthex64(exc.spsr);
	uart_puts(" vector=");
	puthex64(exc.vector);
	uart_puts("\n");
}

static void check(int n, int ok)
{
	uart_puts(ok ? "T" : "T");
	uart_putc((char)('0' + n));
	uart_puts(ok ? " Y\n" : " N\n");
}

void unexpected_vector(unsigned long offset)
{
	uart_puts("unexpected exception at vector offset ");
	puthex64(offset);
	uart_puts("\n");
	poweroff();
}

void kmain(void)
{
	unsigned long at, sp0, nzcv;

	install_vectors();
	uart_puts("exceptions: own vector table at VBAR_EL1\n");

	at = trap_svc();
	show("svc");
	check(1, exc.esr == 0x56000042 && exc.elr == at + 4 && exc.vector == 0x200 &&
		 (exc.spsr & 0x1f) == 0x5 && exc.daif == 0x3c0 && exc.spsel == 1);

	at = trap_udf();
	show("udf");
	check(2, exc.esr == 0x02000000 && exc.elr == at);

	at = trap_brk();
	show("brk");
	check(3, exc.esr == 0xf2000099 && exc.elr == at);

	at = trap_load(0x50000000);
	show("load");
	check(4, exc.esr == 0x96000010 && exc.far == 0x50000000 && exc.elr == at);

	at = trap_store(0x50000008);
	show("store");
	check(5, exc.esr == 0x96000050 && exc.far == 0x50000008 && exc.elr == at);

	sp0 = (unsigned long)&sp0_stack[64];
	at = trap_svc_on_sp0(sp0);
	show("svc from EL1t");
	check(6, exc.esr == 0x56000007 && exc.elr == at + 4 && exc.vector == 0x000 &&
		 (exc.spsr & 0x1f) == 0x4 && exc.sp != sp0 && exc.spsel == 1);

	nzcv = trap_svc_flags();
	show("svc with flags");
	check(7, (exc.spsr >> 28) == 0x6 && nzcv == 0x60000000);

	check(8, exc.count == 7);
	uart_puts("DONE\n");
	poweroff();
}
