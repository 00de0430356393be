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
