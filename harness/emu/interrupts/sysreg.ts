// System registers by their MRS/MSR encoding, as plain keys, and the ones the interrupt models own.

export interface SysRegId {
  op0: number;
  op1: number;
  crn: number;
  crm: number;
  op2: number;
}

/** One number per encoding (op0:op1:CRn:CRm:op2 packed as in the MRS instruction's bits 20..5). */
export const sysregKey = (r: SysRegId): number => (r.op0 << 14) | (r.op1 << 11) | (r.crn << 7) | (r.crm << 3) | r.op2;

const reg = (op0: number, op1: number, crn: number, crm: number, op2: number): number => sysregKey({ op0, op1, crn, crm, op2 });

export const formatSysReg = (r: SysRegId): string => `S${r.op0}_${r.op1}_C${r.crn}_C${r.crm}_${r.op2}`;

/** The GICv3 CPU interface registers a kernel at EL1 uses (Arm IHI 0069, ICC_*_EL1). */
export const ICC = {
  PMR: reg(3, 0, 4, 6, 0),
  IAR0: reg(3, 0, 12, 8, 0),
  EOIR0: reg(3, 0, 12, 8, 1),
  HPPIR0: reg(3, 0, 12, 8, 2),
  BPR0: reg(3, 0, 12, 8, 3),
  AP0R0: reg(3, 0, 12, 8, 4),
  AP1R0: reg(3, 0, 12, 9, 0),
  DIR: reg(3, 0, 12, 11, 1),
  RPR: reg(3, 0, 12, 11, 3),
  SGI1R: reg(3, 0, 12, 11, 5),
  ASGI1R: reg(3, 0, 12, 11, 6),
  SGI0R: reg(3, 0, 12, 11, 7),
  IAR1: reg(3, 0, 12, 12, 0),
  EOIR1: reg(3, 0, 12, 12, 1),
  HPPIR1: reg(3, 0, 12, 12, 2),
  BPR1: reg(3, 0, 12, 12, 3),
  CTLR: reg(3, 0, 12, 12, 4),
  SRE: reg(3, 0, 12, 12, 5),
  IGRPEN0: reg(3, 0, 12, 12, 6),
  IGRPEN1: reg(3, 0, 12, 12, 7),
} as const;

/** The generic timer registers visible at EL0/EL1 (Arm ARM D13.8 / D17.7). */
export const CNT = {
  FRQ: reg(3, 3, 14, 0, 0),
  PCT: reg(3, 3, 14, 0, 1),
  VCT: reg(3, 3, 14, 0, 2),
  P_TVAL: reg(3, 3, 14, 2, 0),
  P_CTL: reg(3, 3, 14, 2, 1),
  P_CVAL: reg(3, 3, 14, 2, 2),
  V_TVAL: reg(3, 3, 14, 3, 0),
  V_CTL: reg(3, 3, 14, 3, 1),
  V_CVAL: reg(3, 3, 14, 3, 2),
  KCTL_EL1: reg(3, 0, 14, 1, 0),
} as const;
