// Software step (MDSCR_EL1.SS), as QEMU 7.2 runs it.
//
// Unicorn 2.0.1 has QEMU 5.0's step state machine: hflags' SS_ACTIVE and PSTATE.SS give the three
// states (inactive; active-not-pending: run one instruction, then the step exception;
// active-pending: the step exception before the next instruction), and the exception comes to
// UC_HOOK_INTR as EXCP_UDEF with its syndrome. But it works SS_ACTIVE out only when it rebuilds
// hflags (a system register write, ERET), so it misses two changes QEMU 7.2 sees:
// - MSR DAIFSet/DAIFClr of PSTATE.D (7.2's helper_msr_i_daif* rebuild hflags; 5.0's do not):
//   kvm-unit-tests' debug-sstep arms MDSCR.SS with D masked, then `msr daifclr, #8`, and 2.0.1
//   never stepped (measured);
// - the exception entries wbdiff makes itself (exception-entry.ts): PSTATE.D set, so stepping stops.
// So, while MDSCR_EL1.SS is set, a code hook after each DAIF-immediate write of D in the image's
// code stops the engine when SS_ACTIVE is now wrong; between slices (and after each exception
// entry) SS_ACTIVE is written into hflags as QEMU 5.0's arm_singlestep_active computes it, which is
// what Unicorn itself writes at its own rebuilds. (QEMU 7.2 also stops stepping while the OS lock
// or OS double lock is set; 5.0 does not, and neither does this: kernels unlock first.)
import { decodePstate } from './exceptions.js';
import { ENV_OFFSET, HFLAG, hflagsMatchLiveState, SYSREG } from './sysregs.js';
import type { CodeRange, HookHandle, Unicorn } from './unicorn.js';

const MDSCR_SS = 1n;
const MDSCR_KDE = 1n << 13n;
const PSTATE_D = 1n << 9n;

/** QEMU 5.0's arm_singlestep_active for virt's EL1/EL0 (debug target EL1, no EL2 routing). Pure. */
export function singleStepActive(mdscr: bigint, pstate: bigint): boolean {
  if ((mdscr & MDSCR_SS) === 0n) return false;
  const el = decodePstate(pstate).el;
  if (el === 0) return true;
  return el === 1 && (mdscr & MDSCR_KDE) !== 0n && (pstate & PSTATE_D) === 0n;
}

/** `msr daifset, #imm` / `msr daifclr, #imm` with imm's D bit (8) set. Pure. */
export function writesDebugMask(word: number): boolean {
  // MSR (immediate) op1 0b011, CRn 0b0100, CRm = imm, op2 0b110 (DAIFSet) or 0b111 (DAIFClr).
  return (word & 0xffff_f8df) >>> 0 === 0xd503_48df;
}

export class SoftwareStep {
  private readonly hooks: HookHandle[] = [];
  /** The code ranges hooked while MDSCR.SS is set (armed); null while disarmed. */
  private hookedFor: readonly CodeRange[] | null = null;
  /** Set by a hook that stopped the engine because SS_ACTIVE must change. */
  syncNeeded = false;
  /** Why stepping cannot be kept right (the run ends as an emulator limit), or null. */
  unmodelled: string | null = null;

  constructor(
    private readonly uc: Unicorn,
    private readonly stopBefore: () => void,
  ) {}

  /** After the guest wrote MDSCR_EL1 (between slices): SS_ACTIVE, and the hooks while MDSCR.SS is set. */
  rearm(code: readonly CodeRange[]): void {
    const armed = (this.uc.sysRegRead(SYSREG.MDSCR_EL1) & MDSCR_SS) !== 0n;
    if (armed && this.hookedFor !== code) this.hookDaifWrites(code);
    // The flag before the hooks go: clearing MDSCR.SS mid-step must switch an active step off.
    this.writeFlag();
    if (!armed) this.unhook();
  }

  /**
   * Between slices (a hook asked for it) and after wbdiff's own exception entries: SS_ACTIVE as
   * arm_singlestep_active computes it now. Nothing to do while disarmed: the rearm that disarmed
   * cleared it, and Unicorn's own rebuilds keep it clear.
   */
  sync(): void {
    this.syncNeeded = false;
    if (this.hookedFor !== null) this.writeFlag();
  }

  /** SS_ACTIVE into hflags; `unmodelled` set when the saved state's layout is not the one ENV_OFFSET describes. */
  private writeFlag(): void {
    const mdscr = this.uc.sysRegRead(SYSREG.MDSCR_EL1);
    const pstate = this.uc.regRead('pstate');
    const active = singleStepActive(mdscr, pstate);
    this.uc.editCpuState((env) => {
      const hflags = env.getUint32(ENV_OFFSET.hflags, true);
      if (((hflags & HFLAG.SS_ACTIVE) !== 0) === active) return;
      if (!hflagsMatchLiveState(env, pstate)) {
        this.unmodelled = `the guest uses software step (MDSCR_EL1 = 0x${mdscr.toString(16)}), and this libunicorn's CPU state layout is not the one wbdiff edits`;
        return;
      }
      env.setUint32(ENV_OFFSET.hflags, (active ? hflags | HFLAG.SS_ACTIVE : hflags & ~HFLAG.SS_ACTIVE) >>> 0, true);
    });
  }

  private hookDaifWrites(code: readonly CodeRange[]): void {
    this.unhook();
    this.hookedFor = code;
    for (const range of code) {
      const bytes = this.uc.memRead(range.start, Number(range.end - range.start) & ~3);
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
      for (let i = 0; i < words.length; i++) {
        if (!writesDebugMask(words[i]!)) continue;
        const next = range.start + BigInt(i * 4 + 4);
        this.hooks.push(this.uc.hookCode(() => this.afterDaifWrite(), next, next));
        // Unicorn decides at translation which hooks a block calls: retranslate there.
        this.uc.removeCachedCode(next & ~0xfffn, (next & ~0xfffn) + 0x1000n);
      }
    }
  }

  private unhook(): void {
    for (const hook of this.hooks.splice(0)) this.uc.hookDel(hook);
    this.hookedFor = null;
  }

  /** Before the instruction after a DAIF write: stop there when the step state must change first. */
  private afterDaifWrite(): void {
    if (this.syncNeeded) return;
    const active = singleStepActive(this.uc.sysRegRead(SYSREG.MDSCR_EL1), this.uc.regRead('pstate'));
    const flagged = this.uc.readCpuState((env) => (env.getUint32(ENV_OFFSET.hflags, true) & HFLAG.SS_ACTIVE) !== 0);
    if (active === flagged) return;
    this.syncNeeded = true;
    this.stopBefore();
    this.uc.emuStop();
  }
}
