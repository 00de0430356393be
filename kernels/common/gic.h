/* gic.h - GIC helpers for the interrupt kernels (kernels/ and test/kernels/; GICv2 MMIO, or GICv3 ICC registers with
 * -DGICV3), for .S files after virt.h. */
#ifndef WBDIFF_TEST_GIC_H
#define WBDIFF_TEST_GIC_H

#define GICD		0x08000000
#define GICC		0x08010000
#define GICR0		0x080a0000
#define GICR1		0x080c0000
#define SGI_FRAME	0x10000

/* *(u32 *)addr = value. Clobbers x0, x1. */
.macro store32 addr, value
	ldr	x1, =\addr
	ldr	w0, =\value
	str	w0, [x1]
.endm

/* w0 = acknowledged INTID (IAR). Clobbers x1. */
.macro ack
#ifdef GICV3
	mrs	x0, S3_0_C12_C12_0	/* ICC_IAR1_EL1 */
#else
	ldr	x1, =GICC
	ldr	w0, [x1, #0x0c]
#endif
.endm

/* EOI the INTID in w0. Clobbers x1. */
.macro eoi
#ifdef GICV3
	msr	S3_0_C12_C12_1, x0	/* ICC_EOIR1_EL1 */
	isb
#else
	ldr	x1, =GICC
	str	w0, [x1, #0x10]
#endif
.endm

/* w0 = highest pending INTID. Clobbers x1. */
.macro hppi
#ifdef GICV3
	mrs	x0, S3_0_C12_C12_2	/* ICC_HPPIR1_EL1 */
#else
	ldr	x1, =GICC
	ldr	w0, [x1, #0x18]
#endif
.endm

/* SGI \id to the CPU with Aff0 \cpu. Clobbers x0, x1. */
.macro send_sgi id, cpu
#ifdef GICV3
	ldr	x0, =((\id << 24) | (1 << \cpu))
	msr	S3_0_C12_C11_5, x0	/* ICC_SGI1R_EL1 */
	isb
#else
	store32	GICD + 0xf00, ((1 << (16 + \cpu)) | \id)
#endif
.endm

/* This CPU's interface on, priority mask 0xf0. Clobbers x0, x1. */
.macro cpu_interface_on
#ifdef GICV3
	mov	x0, #0xf0
	msr	S3_0_C4_C6_0, x0	/* ICC_PMR_EL1 */
	mov	x0, #1
	msr	S3_0_C12_C12_7, x0	/* ICC_IGRPEN1_EL1 */
	isb
#else
	store32	GICC + 0x04, 0xf0
	store32	GICC + 0x00, 1
#endif
.endm

#endif
