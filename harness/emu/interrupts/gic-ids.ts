// Numbers both GIC generations share (Arm IHI 0048 / 0069) and QEMU 7.2's identification values.

/** SGIs + PPIs: the interrupts private to each CPU. */
export const GIC_INTERNAL = 32;
export const NR_SGIS = 16;
/** The INTID an acknowledge returns when nothing can be taken. */
export const SPURIOUS = 1023;
/** Arm's JEP106 code in IIDR[11:0], as QEMU reports it in GICD_IIDR, GICC_IIDR and GICR_IIDR (measured 0x43b). */
export const IIDR_ARM = 0x43b;

/** An ID register (PIDR4..7, PIDR0..3, CIDR0..3 at 0xfd0..0xffc of a 4 KiB page, or 0xffd0.. of a 64 KiB frame). */
export function idRegister(ids: readonly number[], offset: number, base: number): number {
  return offset & 3 ? 0 : (ids[(offset - base) >> 2] ?? 0);
}
