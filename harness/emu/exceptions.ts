// AArch64 exception entry as the architecture (and QEMU's TCG, which wbdiff compares against)
// encodes it: syndromes (ESR_ELx), the saved PSTATE (SPSR_ELx), the PSTATE an exception to EL1
// starts with, and the vector offset. Pure functions; harness/emu/exception-entry.ts applies them
// to a Unicorn engine.

/** ESR_ELx.EC values (Arm ARM D17.2.37), named as the kind of exception they report. */
export const EC = {
  UNKNOWN: 0x00,
  WFX: 0x01,
  FP_ACCESS: 0x07,
  ILLEGAL_STATE: 0x0e,
  SVC64: 0x15,
  HVC64: 0x16,
  SMC64: 0x17,
  SYSREG: 0x18,
  INSN_ABORT_LOWER: 0x20,
  INSN_ABORT_SAME: 0x21,
  PC_ALIGNMENT: 0x22,
  DATA_ABORT_LOWER: 0x24,
  DATA_ABORT_SAME: 0x25,
  SP_ALIGNMENT: 0x26,
  SERROR: 0x2f,
  BREAKPOINT_LOWER: 0x30,
  BREAKPOINT_SAME: 0x31,
  SOFTWARE_STEP_LOWER: 0x32,
  SOFTWARE_STEP_SAME: 0x33,
  WATCHPOINT_LOWER: 0x34,
  WATCHPOINT_SAME: 0x35,
  BRK64: 0x3c,
} as const;

/** ESR.IL: the trapped instruction was 32 bits (always, in AArch64). */
export const ESR_IL = 1n << 25n;

/** Fault status codes (DFSC/IFSC) wbdiff produces. */
export const FSC = {
  ADDRESS_SIZE_L0: 0x00,
  TRANSLATION_L0: 0x04,
  ACCESS_FLAG_L0: 0x08,
  PERMISSION_L0: 0x0c,
  /** Synchronous external abort, not on a walk: what QEMU's virt gives for unassigned addresses. */
  SYNC_EXTERNAL: 0x10,
  ALIGNMENT: 0x21,
  DEBUG: 0x22,
} as const;

export function esrEc(esr: bigint): number {
  return Number((esr >> 26n) & 0x3fn);
}

function syndrome(ec: number, iss: bigint | number): bigint {
  return (BigInt(ec) << 26n) | ESR_IL | (BigInt(iss) & 0x1ff_ffffn);
}

/** SVC/HVC/SMC #imm (QEMU syn_aa64_svc/hvc/smc). */
export function esrCall(kind: 'svc' | 'hvc' | 'smc', imm16: number): bigint {
  const ec = kind === 'svc' ? EC.SVC64 : kind === 'hvc' ? EC.HVC64 : EC.SMC64;
  return syndrome(ec, imm16 & 0xffff);
}

/** BRK #imm (QEMU syn_aa64_bkpt). */
export function esrBrk(imm16: number): bigint {
  return syndrome(EC.BRK64, imm16 & 0xffff);
}

/** An undefined instruction (QEMU syn_uncategorized: EC 0 with IL set). */
export function esrUndefined(): bigint {
  return syndrome(EC.UNKNOWN, 0);
}

/** FP/SIMD instruction trapped by CPACR_EL1.FPEN (QEMU syn_fp_access_trap(1, 0xe, false)). */
export function esrFpAccess(): bigint {
  return syndrome(EC.FP_ACCESS, (1n << 24n) | (0xen << 20n));
}

/**
 * A data abort without instruction syndrome (ISV = 0), as QEMU reports every data abort taken
 * to EL1: WnR (bit 6) for writes, the fault status code in bits 5:0.
 */
export function esrDataAbort(options: { sameEl: boolean; write: boolean; fsc: number }): bigint {
  const ec = options.sameEl ? EC.DATA_ABORT_SAME : EC.DATA_ABORT_LOWER;
  return syndrome(ec, (options.write ? 1 << 6 : 0) | (options.fsc & 0x3f));
}

/** An instruction abort (QEMU syn_insn_abort). */
export function esrInstructionAbort(options: { sameEl: boolean; fsc: number }): bigint {
  return syndrome(options.sameEl ? EC.INSN_ABORT_SAME : EC.INSN_ABORT_LOWER, options.fsc & 0x3f);
}

/** Hardware breakpoint, software step, watchpoint (QEMU syn_breakpoint/syn_swstep/syn_watchpoint). */
export function esrDebug(kind: 'breakpoint' | 'software step' | 'watchpoint', options: { sameEl: boolean; write?: boolean }): bigint {
  const same = options.sameEl ? 1 : 0;
  if (kind === 'breakpoint') return syndrome(EC.BREAKPOINT_LOWER + same, FSC.DEBUG);
  // ISV (bit 24) = 1, EX = 0: the stepped instruction was not a load-exclusive.
  if (kind === 'software step') return syndrome(EC.SOFTWARE_STEP_LOWER + same, (1 << 24) | FSC.DEBUG);
  return syndrome(EC.WATCHPOINT_LOWER + same, (options.write ? 1 << 6 : 0) | FSC.DEBUG);
}

/** ESR_ELx.EC in words; debug exceptions by their class, not by QEMU's "Prefetch Abort"/"Data Abort". */
export const EXCEPTION_CLASS: Readonly<Record<number, string>> = {
  0x00: 'unknown reason (undefined instruction)',
  0x01: 'trapped WFI/WFE',
  0x07: 'SVE/SIMD/FP access trap',
  0x0e: 'illegal execution state',
  0x15: 'SVC',
  0x16: 'HVC',
  0x17: 'SMC',
  0x18: 'trapped MSR/MRS/system instruction',
  0x20: 'instruction abort from a lower EL',
  0x21: 'instruction abort',
  0x22: 'PC alignment fault',
  0x24: 'data abort from a lower EL',
  0x25: 'data abort',
  0x26: 'SP alignment fault',
  0x2f: 'SError',
  0x30: 'breakpoint from a lower EL',
  0x31: 'breakpoint',
  0x32: 'software step from a lower EL',
  0x33: 'software step',
  0x34: 'watchpoint from a lower EL',
  0x35: 'watchpoint',
  0x3c: 'BRK instruction',
};

/**
 * An exception the emulator takes, in the words the QEMU runner uses for the same one
 * (qemu-log.ts exceptionKind): EC 0 is only ever an undefined instruction here.
 */
export function describeEsr(esr: bigint): string {
  const ec = esrEc(esr);
  if (ec === EC.UNKNOWN) return 'undefined instruction';
  return EXCEPTION_CLASS[ec] ?? `exception class 0x${ec.toString(16)}`;
}

/** read | write | fetch for aborts and watchpoints (WnR is ISS bit 6). */
export function esrAccess(esr: bigint): 'read' | 'write' | 'fetch' | null {
  const ec = esrEc(esr);
  if (ec === EC.INSN_ABORT_LOWER || ec === EC.INSN_ABORT_SAME) return 'fetch';
  if (ec === EC.DATA_ABORT_LOWER || ec === EC.DATA_ABORT_SAME || ec === EC.WATCHPOINT_LOWER || ec === EC.WATCHPOINT_SAME) {
    return (esr >> 6n) & 1n ? 'write' : 'read';
  }
  return null;
}

/** True for the classes that report an address in FAR_ELx. */
export function esrHasFar(esr: bigint): boolean {
  const ec = esrEc(esr);
  return (
    ec === EC.INSN_ABORT_LOWER ||
    ec === EC.INSN_ABORT_SAME ||
    ec === EC.DATA_ABORT_LOWER ||
    ec === EC.DATA_ABORT_SAME ||
    ec === EC.PC_ALIGNMENT ||
    ec === EC.WATCHPOINT_LOWER ||
    ec === EC.WATCHPOINT_SAME
  );
}

// ------------------------------------------------------------ PSTATE and vectors

export const PSTATE = {
  /** M[3:0]: EL in bits 3:2, SPSel in bit 0; bit 4 = AArch32. */
  MODE_MASK: 0x1fn,
  EL0t: 0x0n,
  EL1t: 0x4n,
  EL1h: 0x5n,
  F: 1n << 6n,
  I: 1n << 7n,
  A: 1n << 8n,
  D: 1n << 9n,
  DAIF: 0xfn << 6n,
  /** Illegal execution state; software step. */
  IL: 1n << 20n,
  SS: 1n << 21n,
} as const;

export type VectorKind = 'sync' | 'irq' | 'fiq' | 'serror';
const KIND_OFFSET: Record<VectorKind, bigint> = { sync: 0x000n, irq: 0x080n, fiq: 0x100n, serror: 0x180n };

export interface Pstate {
  el: number;
  /** SPSel: true = SP_ELx, false = SP_EL0. */
  spx: boolean;
  aarch32: boolean;
}

export function decodePstate(pstate: bigint): Pstate {
  const mode = pstate & PSTATE.MODE_MASK;
  return { el: Number((mode >> 2n) & 3n), spx: (mode & 1n) === 1n, aarch32: (mode & 0x10n) !== 0n };
}

/**
 * Offset of the vector an exception taken to EL1 uses (Arm ARM D1.10.2): current EL with SP_EL0
 * 0x000, current EL with SP_ELx 0x200, lower EL in AArch64 0x400, lower EL in AArch32 0x600, plus
 * 0x80 per kind (synchronous, IRQ, FIQ, SError).
 */
export function vectorOffset(from: Pstate, targetEl: number, kind: VectorKind = 'sync'): bigint {
  let base: bigint;
  if (from.el === targetEl) base = from.spx ? 0x200n : 0x000n;
  else base = from.aarch32 ? 0x600n : 0x400n;
  return base + KIND_OFFSET[kind];
}

/**
 * PSTATE on entry to EL1h as QEMU writes it (pstate_write(PSTATE_DAIF | mode)): D, A, I, F set,
 * NZCV, SS and IL cleared. The interrupted PSTATE goes to SPSR_EL1 unchanged.
 */
export function entryPstate(): bigint {
  return PSTATE.DAIF | PSTATE.EL1h;
}

/** The instruction classes whose UDEF in Unicorn is really a CPACR_EL1.FPEN trap (FP/SIMD). */
export function isFpSimdInstruction(word: number): boolean {
  const op0 = (word >>> 25) & 0xf;
  // Data processing, scalar FP and Advanced SIMD: op0 = x111.
  if ((op0 & 0x7) === 0x7) return true;
  // Loads and stores (op0 = x1x0) with V (bit 26) set: SIMD&FP registers.
  return (op0 & 0x5) === 0x4 && ((word >>> 26) & 1) === 1;
}

/** CPACR_EL1.FPEN traps FP/SIMD at this EL (0b00: EL0 and EL1; 0b01: EL0 only; 0b1x: none). */
export function fpTrapped(cpacr: bigint, el: number): boolean {
  const fpen = Number((cpacr >> 20n) & 3n);
  return fpen === 0 || (fpen === 1 && el === 0) || fpen === 2;
}

/** `svc|hvc|smc #imm16`: bits 31:21 = 0b11010100000, bits 4:0 = 0b000LL. */
export function decodeExceptionGenerating(word: number): { kind: 'svc' | 'hvc' | 'smc' | 'brk' | 'hlt'; imm16: number } | null {
  const imm16 = (word >>> 5) & 0xffff;
  if ((word & 0xffe0001f) >>> 0 === 0xd4000001) return { kind: 'svc', imm16 };
  if ((word & 0xffe0001f) >>> 0 === 0xd4000002) return { kind: 'hvc', imm16 };
  if ((word & 0xffe0001f) >>> 0 === 0xd4000003) return { kind: 'smc', imm16 };
  if ((word & 0xffe0001f) >>> 0 === 0xd4200000) return { kind: 'brk', imm16 };
  if ((word & 0xffe0001f) >>> 0 === 0xd4400000) return { kind: 'hlt', imm16 };
  return null;
}

/** The same exception taken this many times in a row with no progress is a loop at the vector (both runners). */
export const REPEAT_LIMIT = 8;
/** `b .`: a vector that branches to itself never handles anything (both runners). */
export const BRANCH_TO_SELF = 0x14000000;
