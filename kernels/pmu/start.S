/* pmu: what a kernel finds of the PMU (PMUv3), printed as values so the runners can be compared
 * (kvm-unit-tests' pmu tests probe the same; test/kernels/debug.S does the debug architecture).
 * No vectors: a PMU register the CPU lacks would be an unhandled UNDEF, a fault on both runners.
 *   PMCR       PMCR_EL0 (IMP, IDCODE, N = bits 15:11: event counters)
 *   PMCEID0/1  PMCEID0_EL0 / PMCEID1_EL0 (common events implemented)
 *   CYCLES     PMCCNTR_EL0 across 1000 rounds of a 2-instruction loop (0: it does not count)
 *   SWINC      event counter 0 (event 0x00 SW_INCR) after three PMSWINC_EL0 writes (3 on QEMU)
 *   INSTS      event counter 1 (event 0x08 INST_RETIRED) across the same loop
 *   DFR0       ID_AA64DFR0_EL1 bits 31:0 (PMUVer = bits 11:8: 6 is FEAT_PMUv3p5)
 *   DFR0A32    ID_DFR0_EL1 (the AArch32 view: PerfMon = bits 27:24)
 *   LPCR       PMCR_EL0 after writing LP (bit 7: 64-bit event counter overflow) with E
 *   SW64HI/LO  event counter 2 (SW_INCR) preset to 0xffffffff, after one PMSWINC_EL0 write under
 *              PMCR.LP: 0x1_00000000 with PMUv3p5 (counters are 64 bits), 0 without
 *   OVS        PMOVSCLR_EL0 then: bit 2 is 0 with PMUv3p5 (LP: overflow at bit 63), 1 without
 */
#include "virt.h"

#define MDSCR_SS	(1 << 0)
#define MDSCR_KDE	(1 << 13)
#define MDSCR_MDE	(1 << 15)

	kernel_entry main

main:
	stp	x29, x30, [sp, #-16]!

	/* the PMU's identity */
	mov	x19, #0
	mrs	x19, pmcr_el0
	say_hex	PMCR, x19
	mov	x19, #0
	mrs	x19, pmceid0_el0
	say_hex	PMCEID0, x19
	mov	x19, #0
	mrs	x19, pmceid1_el0
	say_hex	PMCEID1, x19

	/* cycle counter, SW_INCR on counter 0, INST_RETIRED on counter 1 */
	mov	x0, #(1 << 2) | (1 << 1) | 1	/* PMCR: C (reset cycles), P (reset events), E */
	msr	pmcr_el0, x0
	mov	x0, #0x00
	msr	pmevtyper0_el0, x0		/* SW_INCR */
	mov	x0, #0x08
	msr	pmevtyper1_el0, x0		/* INST_RETIRED */
	ldr	x0, =0x80000003			/* cycle counter, counters 0 and 1 */
	msr	pmcntenset_el0, x0
	isb
	mov	x19, #0
	mov	x21, #0
	mrs	x19, pmccntr_el0
	mrs	x21, pmevcntr1_el0
	mov	x0, #1000
4:	subs	x0, x0, #1
	b.ne	4b
	mov	x20, #0
	mov	x22, #0
	mrs	x20, pmccntr_el0
	mrs	x22, pmevcntr1_el0
	mov	x0, #1
	msr	pmswinc_el0, x0
	msr	pmswinc_el0, x0
	msr	pmswinc_el0, x0
	isb
	mov	x23, #0
	mrs	x23, pmevcntr0_el0
	sub	x19, x20, x19
	say_hex	CYCLES, x19
	say_hex	SWINC, x23
	sub	x21, x22, x21
	say_hex	INSTS, x21

	/* PMUv3p5: 64-bit event counters, PMCR.LP */
	mov	x19, #0
	mrs	x19, id_aa64dfr0_el1
	say_hex	DFR0, x19
	mov	x19, #0
	mrs	x19, id_dfr0_el1
	say_hex	DFR0A32, x19
	mov	x0, #(1 << 7) | 1		/* PMCR: LP, E */
	msr	pmcr_el0, x0
	isb
	mov	x19, #0
	mrs	x19, pmcr_el0
	say_hex	LPCR, x19
	mov	x0, #0x00
	msr	pmevtyper2_el0, x0		/* SW_INCR */
	mov	x0, #0x4
	msr	pmcntenset_el0, x0
	mvn	x0, xzr
	msr	pmovsclr_el0, x0
	mov	x0, #0xffffffff
	msr	pmevcntr2_el0, x0
	isb
	mov	x0, #0x4
	msr	pmswinc_el0, x0
	isb
	mov	x19, #0
	mrs	x19, pmevcntr2_el0
	mov	x20, #0
	mrs	x20, pmovsclr_el0
	lsr	x21, x19, #32
	say_hex	SW64HI, x21
	say_hex	SW64LO, x19
	say_hex	OVS, x20

	say	"DONE\n"
	ldp	x29, x30, [sp], #16
	ret
	.ltorg

	virt_lib
