/* layout.c: the seed write-up's bug in C, for kernels/layout-flash and kernels/layout-ram (the
 * same code, linked in virt's flash or in RAM). A "write barrier" guards pointer stores the way
 * Go's compiler does: if the global flag `wb_enabled` is set, the store goes through
 * wb_store(); otherwise it is a plain store. main() sets the flag first.
 *   in RAM:   the flag is set, every store goes through the barrier: T1..T5 Y;
 *   in flash: QEMU's flash drops the flag's store (so the barrier is never even called) and
 *             drops every slot store too: T1..T4 N, T5 N, while T0 (initialised .data is
 *             readable from flash) stays Y.
 * kernels/layout-ram/variants/seed-barrier.json redirects the barrier call to wb_store_seed, a
 * routine with the wrong register convention: in RAM that flips T1-T3 to N; in flash it changes
 * nothing, because the barrier is never called (its flag's store was dropped).
 * The stored values point into RAM (0x40200100...): their low byte 0x00 is the CFI
 * "read array" command, so each store is simply dropped wherever the linker puts a slot. */
#include "virt.h"

struct pair { unsigned long n; void *p; };

volatile unsigned int wb_enabled;            /* .bss */
void *gp;                                    /* .bss */
struct pair gs = { 1, 0 };                   /* .data */
void *ga[4];                                 /* .bss */
unsigned long counter = 7;                   /* .data */
unsigned long barrier_calls;                 /* .bss */

static void check(const char *id, int ok)
{
	uart_puts(id);
	uart_puts(ok ? " Y\n" : " N\n");
}

__attribute__((noinline)) void wb_store(void **slot, void *value)
{
	barrier_calls++;
	*(void *volatile *)slot = value;
}

/* The seed write-up's mistake in this kernel's terms: the arguments swapped (it stores the
 * slot's address at the value). The seed-barrier variant redirects store()'s call here. */
__asm__(".text\n.balign 4\n.global wb_store_seed\n.type wb_store_seed, %function\n"
	"wb_store_seed:\n\tstr x0, [x1]\n\tret\n.size wb_store_seed, .-wb_store_seed\n");

__attribute__((noinline)) static void store(void **slot, void *value)
{
	if (wb_enabled) {
		wb_store(slot, value);
		__asm__ volatile("" ::: "memory"); /* keeps it a call (bl), which a variant can redirect */
	} else {
		*(void *volatile *)slot = value;
	}
}

__attribute__((noinline)) static void *value(unsigned long n)
{
	return (void *)(0x40200000UL + n * 0x100);
}

__attribute__((noinline)) static void *load(void **slot)
{
	return *(void *volatile *)slot;
}

int main(void)
{
	uart_puts("layout: globals wherever the link map put them\n");
	check("T0", gs.n == 1 && counter == 7);
	wb_enabled = 1;
	store(&gp, value(1));
	check("T1", load(&gp) == value(1));
	store(&gs.p, value(2));
	check("T2", load(&gs.p) == value(2));
	store(&ga[2], value(3));
	check("T3", load(&ga[2]) == value(3));
	*(volatile unsigned long *)&counter = 0x1000;
	check("T4", *(volatile unsigned long *)&counter == 0x1000);
	check("T5", *(volatile unsigned long *)&barrier_calls == 3);
	uart_puts("DONE\n");
	psci_system_off();
}
