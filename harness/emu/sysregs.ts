// System-register state Unicorn 2.0.1 gets wrong for a kernel booted the way QEMU's `virt` boots
// one, and the one-time fix applied when a machine is built.
//
// Unicorn's AArch64 CPU models have EL2 and EL3 but start at EL1 with the reset values of the
// higher levels: SCR_EL3 = 0 and HCR_EL2 = 0. For the architecture that means EL1 is *Secure*
// (SCR_EL3.NS = 0) and runs *AArch32* as far as the translation regime is concerned
// (SCR_EL3.RW = 0, HCR_EL2.RW = 0: QEMU's arm_el_is_aa64(env, 1) is false). Instruction decoding
// does not care (PSTATE says AArch64), so kernels run until they turn on the MMU: the stage 1
// walk then uses the AArch32 rules and the secure address space, which Unicorn never creates
// (it only initialises address space 0), and the first fetch after SCTLR_EL1.M = 1 is a prefetch
// abort however valid the tables are. QEMU's virt (secure=off, virtualization=off) has neither
// EL3 nor EL2: EL1 is Non-secure AArch64. Setting SCR_EL3 = NS|RW and HCR_EL2 = RW makes
// Unicorn's EL1 that.
//
// Unicorn caches a digest of this state (env->hflags: the MMU index, secure or not) and 2.0.1's
// uc_reg_write never recomputes it. A guest MSR to a system register does, so one is executed.
// The same cache is why an exception from EL0 needs its flags edited (el1HflagsFromEl0).
import type { SysRegEncoding, Unicorn } from './unicorn.js';

export const SYSREG = {
  SCR_EL3: { op0: 3, op1: 6, crn: 1, crm: 1, op2: 0 },
  HCR_EL2: { op0: 3, op1: 4, crn: 1, crm: 1, op2: 0 },
  SCTLR_EL1: { op0: 3, op1: 0, crn: 1, crm: 0, op2: 0 },
  TCR_EL1: { op0: 3, op1: 0, crn: 2, crm: 0, op2: 2 },
  SPSR_EL1: { op0: 3, op1: 0, crn: 4, crm: 0, op2: 0 },
  ID_AA64MMFR0_EL1: { op0: 3, op1: 0, crn: 0, crm: 7, op2: 0 },
  MDSCR_EL1: { op0: 2, op1: 0, crn: 0, crm: 2, op2: 2 },
} as const satisfies Record<string, SysRegEncoding>;

export const SCR_NS = 1n << 0n;
export const SCR_RW = 1n << 10n;
export const HCR_RW = 1n << 31n;

/** `mrs x0, tpidr_el1; msr tpidr_el1, x0`: a write that makes the translator rebuild hflags. */
const REBUILD_HFLAGS_STUB = [0xd538d080, 0xd518d080] as const;

/**
 * Makes EL1 Non-secure AArch64 as on QEMU virt. Call once, before the guest runs, with a
 * mapped RAM page at `scratch` (its first 8 bytes are borrowed and put back).
 */
export function enterNonSecureEl1(uc: Unicorn, scratch: bigint): void {
  uc.sysRegWrite(SYSREG.SCR_EL3, SCR_NS | SCR_RW);
  uc.sysRegWrite(SYSREG.HCR_EL2, HCR_RW);
  const saved = uc.memRead(scratch, 8);
  const x0 = uc.regRead('x0');
  const pc = uc.regRead('pc');
  uc.memWrite(scratch, new Uint8Array(new Uint32Array(REBUILD_HFLAGS_STUB).buffer));
  try {
    // `until`, never `count`: a count makes Unicorn add a code hook and flush every TB later.
    uc.emuStart(scratch, scratch + 8n, 0, 0);
  } finally {
    uc.memWrite(scratch, saved);
    // uc_mem_write does not drop translated code; the guest may put its own code here.
    uc.removeCachedCode(scratch, scratch + 8n);
    uc.regWrite('x0', x0);
    uc.regWrite('pc', pc);
  }
}

/** True when EL1 is Non-secure AArch64 (what enterNonSecureEl1 establishes). */
export function isNonSecureAarch64El1(uc: Unicorn): boolean {
  const scr = uc.sysRegRead(SYSREG.SCR_EL3);
  return (scr & SCR_NS) !== 0n && (scr & SCR_RW) !== 0n && (uc.sysRegRead(SYSREG.HCR_EL2) & HCR_RW) !== 0n;
}

// ------------------------------------------------------------ the cached translation flags

/**
 * Where Unicorn 2.0.1's CPUARMState (QEMU 5.0's) keeps `pstate` and `hflags`: after regs[16],
 * xregs[32] and pc (64 + 256 + 8 bytes), then pstate, aarch64, hflags. Checked against the live
 * state before every edit (hflagsEditable), so another build of the library is refused, not
 * corrupted.
 */
export const ENV_OFFSET = { pstate: 328, hflags: 336 } as const;

/** TBFLAG_ANY / TBFLAG_A64 fields of hflags (qemu/target/arm/cpu.h, QEMU 5.0). */
export const HFLAG = {
  AARCH64_STATE: 1 << 31,
  SS_ACTIVE: 1 << 30,
  BE_DATA: 1 << 28,
  MMUIDX_SHIFT: 24,
  MMUIDX_MASK: 0xf << 24,
  FPEXC_EL_SHIFT: 22,
  FPEXC_EL_MASK: 3 << 22,
  UNPRIV: 1 << 14,
} as const;
/** Core MMU indexes: ARMMMUIdx_E10_0 = 0, ARMMMUIdx_E10_1 = 2. */
const MMUIDX_E10_0 = 0;
const MMUIDX_E10_1 = 2;
const MMUIDX_E10_1_PAN = 3;

/**
 * The hflags of EL1 (Non-secure EL1&0 regime, PAN off) derived from those of EL0: what QEMU's
 * rebuild_hflags_a64 computes differently for the two levels with the same system registers
 * (the MMU index, LDTR/STTR being unprivileged, the FP trap level, data endianness, and no
 * step pending). BTI, SVE and MTE flags are left as they are.
 */
export function el1HflagsFromEl0(hflags: number, cpacr: bigint, sctlr: bigint): number {
  const fpen = Number((cpacr >> 20n) & 3n);
  const fpExcEl = fpen === 0 || fpen === 2 ? 1 : 0;
  const beData = ((sctlr >> 25n) & 1n) === 1n ? HFLAG.BE_DATA : 0;
  let out = hflags & ~(HFLAG.MMUIDX_MASK | HFLAG.UNPRIV | HFLAG.FPEXC_EL_MASK | HFLAG.BE_DATA | HFLAG.SS_ACTIVE);
  out |= (MMUIDX_E10_1 << HFLAG.MMUIDX_SHIFT) | HFLAG.UNPRIV | (fpExcEl << HFLAG.FPEXC_EL_SHIFT) | beData;
  return out >>> 0;
}

/** True when `hflags` are EL0's AArch64 flags and `pstate` matches the live PSTATE's mode. */
export function hflagsEditable(env: DataView, livePstate: bigint): boolean {
  const pstateMode = env.getUint32(ENV_OFFSET.pstate, true) & 0x1f;
  const hflags = env.getUint32(ENV_OFFSET.hflags, true);
  return (
    BigInt(pstateMode) === (livePstate & 0x1fn) &&
    (hflags & HFLAG.AARCH64_STATE) !== 0 &&
    (hflags & HFLAG.MMUIDX_MASK) >>> HFLAG.MMUIDX_SHIFT === MMUIDX_E10_0
  );
}

/**
 * True when the saved state's `pstate` has the live PSTATE's mode and `hflags` are AArch64 flags
 * whose MMU index is that EL's (E10_0 at EL0, E10_1 or E10_1_PAN at EL1): the layout is the one
 * ENV_OFFSET describes.
 */
export function hflagsMatchLiveState(env: DataView, livePstate: bigint): boolean {
  const pstateMode = env.getUint32(ENV_OFFSET.pstate, true) & 0x1f;
  const hflags = env.getUint32(ENV_OFFSET.hflags, true);
  const mmuIdx = (hflags & HFLAG.MMUIDX_MASK) >>> HFLAG.MMUIDX_SHIFT;
  const el = Number((livePstate >> 2n) & 3n);
  const ownIdx = el === 0 ? mmuIdx === MMUIDX_E10_0 : el === 1 && (mmuIdx === MMUIDX_E10_1 || mmuIdx === MMUIDX_E10_1_PAN);
  return BigInt(pstateMode) === (livePstate & 0x1fn) && (hflags & HFLAG.AARCH64_STATE) !== 0 && ownIdx;
}
