/* mmu: turns the MMU on with a 4 KiB-granule, 4-level identity map (48-bit VA,
 * TTBR0 only, TTBR1 walks disabled with EPD1) and keeps printing.
 *
 *   L0[0] -> L1;  L1[0]: 1 GiB Device-nGnRnE block at 0 (the UART lives there)
 *                 L1[1] -> L2 for RAM at 0x40000000:
 *                   L2[0] -> L3: 512 4 KiB Normal pages (0x40000000-0x401fffff;
 *                                the kernel is at 0x40080000, so it runs from pages)
 *                   L2[1..63]: 2 MiB Normal blocks (the rest of 128 MiB)
 *                 L1[2]: 1 GiB block at VA 0x80000000 -> PA 0x40000000, an alias
 *
 * TCR/MAIR as a Linux-like kernel sets them: T0SZ=16, TG0=4K, IRGN/ORGN WBWA,
 * inner shareable, EPD1, IPS = ID_AA64MMFR0_EL1.PARange; MAIR attr0 =
 * Device-nGnRnE (0x00), attr1 = Normal WB (0xff).
 *   T1 Y   before the MMU: printing works
 *   MMU ON printed right after SCTLR_EL1.M=1 (the first fetches and the UART
 *          store go through the tables)
 *   T2 Y   SCTLR_EL1.M reads back 1
 *   T3 Y   a value stored to RAM through the identity map reads back
 *   T4 Y   the same value reads back through the alias VA 0x80000000 + offset (a mapping
 *          that is not the identity: Unicorn 2.0.1 needs harness/emu/virtual-alias.ts for it)
 *   T5 Y   the MMU turned off again, printing still works */
#include "virt.h"

#define PTE_VALID	(1 << 0)
#define PTE_TABLE	(1 << 1)	/* level 0-2: next-level table; level 3: page */
#define PTE_AF		(1 << 10)
#define PTE_SH_INNER	(3 << 8)
#define ATTR_DEVICE	(0 << 2)
#define ATTR_NORMAL	(1 << 2)
#define BLOCK_NORMAL	(PTE_VALID | PTE_AF | PTE_SH_INNER | ATTR_NORMAL)
#define BLOCK_DEVICE	(PTE_VALID | PTE_AF | ATTR_DEVICE)
#define PAGE_NORMAL	(PTE_VALID | PTE_TABLE | PTE_AF | PTE_SH_INNER | ATTR_NORMAL)
#define TABLE		(PTE_VALID | PTE_TABLE)

/* T0SZ=16 | IRGN0=WBWA | ORGN0=WBWA | SH0=inner | TG0=4K | EPD1 */
#define TCR_VALUE	((16 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (0 << 14) | (1 << 23))
#define MAIR_VALUE	0xff00

	kernel_entry main

main:
	say	"T1 Y\n"

	/* L0[0] -> L1 */
	adr	x0, l0_table
	adr	x1, l1_table
	orr	x2, x1, #TABLE
	str	x2, [x0]
	/* L1[0]: device block at 0 */
	mov	x2, #BLOCK_DEVICE
	str	x2, [x1]
	/* L1[1] -> L2 */
	adr	x3, l2_table
	orr	x2, x3, #TABLE
	str	x2, [x1, #8]
	/* L1[2]: alias of RAM, 1 GiB normal block at VA 0x80000000 -> PA 0x40000000 */
	mov	x2, #RAM_BASE
	mov	x4, #BLOCK_NORMAL
	orr	x2, x2, x4
	str	x2, [x1, #16]
	/* L2[0] -> L3 */
	adr	x4, l3_table
	orr	x2, x4, #TABLE
	str	x2, [x3]
	/* L2[1..63]: 2 MiB blocks */
	mov	x5, #1
	mov	x7, #RAM_BASE
1:	lsl	x2, x5, #21
	add	x2, x2, x7
	mov	x6, #BLOCK_NORMAL
	orr	x2, x2, x6
	str	x2, [x3, x5, lsl #3]
	add	x5, x5, #1
	cmp	x5, #64
	b.lo	1b
	/* L3[0..511]: 4 KiB pages of 0x40000000-0x401fffff */
	mov	x5, #0
2:	lsl	x2, x5, #12
	add	x2, x2, x7
	mov	x6, #PAGE_NORMAL
	orr	x2, x2, x6
	str	x2, [x4, x5, lsl #3]
	add	x5, x5, #1
	cmp	x5, #512
	b.lo	2b
	dsb	ishst

	tlbi	vmalle1
	dsb	nsh
	ldr	x1, =TCR_VALUE
	mrs	x2, id_aa64mmfr0_el1
	bfi	x1, x2, #32, #3		/* IPS = PARange */
	msr	tcr_el1, x1
	ldr	x1, =MAIR_VALUE
	msr	mair_el1, x1
	adr	x0, l0_table
	msr	ttbr0_el1, x0
	isb
	mrs	x1, sctlr_el1
	orr	x1, x1, #(1 << 0)	/* M */
	orr	x1, x1, #(1 << 2)	/* C */
	orr	x1, x1, #(1 << 12)	/* I */
	msr	sctlr_el1, x1
	isb
	say	"MMU ON\n"

	mrs	x1, sctlr_el1
	tbz	x1, #0, 3f
	say	"T2 Y\n"
	b	4f
3:	say	"T2 N\n"
4:
	adr	x19, probe
	ldr	x20, =0x1234abcd5678ef09
	str	x20, [x19]
	ldr	x21, [x19]
	cmp	x21, x20
	b.ne	5f
	say	"T3 Y\n"
	b	6f
5:	say	"T3 N\n"
6:
	/* the alias: VA = PA - RAM_BASE + 0x80000000 */
	mov	x22, #(0x80000000 - RAM_BASE)
	add	x22, x19, x22
	ldr	x21, [x22]
	cmp	x21, x20
	b.ne	7f
	say	"T4 Y\n"
	b	8f
7:	say	"T4 N\n"
8:
	mrs	x1, sctlr_el1
	bic	x1, x1, #1
	msr	sctlr_el1, x1
	isb
	say	"T5 Y\n"
	say	"DONE\n"
	b	poweroff

	.ltorg
	virt_lib

	.bss
	.balign 4096
l0_table:	.space 4096
l1_table:	.space 4096
l2_table:	.space 4096
l3_table:	.space 4096
probe:		.space 16
