// Takes the exceptions Unicorn reports to the guest's own vector table, as QEMU's TCG does.
//
// What Unicorn 2.0.1 does (read in qemu/accel/tcg/cpu-exec.c cpu_handle_exception and checked
// by experiment, test/emu-exceptions.test.ts): with a UC_HOOK_INTR hook installed it calls the
// hook with QEMU's EXCP_* number and then *drops* the exception: QEMU's do_interrupt, which
// writes ESR/FAR/ELR/SPSR, switches mode and jumps to VBAR, is never called, and the syndrome it
// computed stays in a field the API does not expose. ESR_EL1/ELR_EL1 are left untouched; pc is
// the preferred return address: the instruction itself for UDF, BRK, HVC (an UDEF at EL1 without
// EL2) and aborts, the next one for SVC and SMC. uc_emu_start does not stop by itself. So this
// module computes the syndrome (exceptions.ts), writes the registers through the API and sets pc
// to the vector; the guest's ERET is then executed by Unicorn itself (helper_exception_return
// restores PSTATE from SPSR_EL1, banks SP and returns to ELR_EL1).
//
// Unmapped accesses never reach UC_HOOK_INTR: they stop uc_emu_start with UC_ERR_*_UNMAPPED.
// QEMU's virt answers an access to an address where nothing is mapped with a synchronous
// external abort, so they become data / instruction aborts with FSC 0x10 here too.
//
// Limits (named in the fault's detail when they matter):
// - From EL0, Unicorn keeps translating with its cached EL0 flags (env->hflags; 2.0.1's
//   uc_reg_write does not rebuild them): they are edited to EL1's in the saved CPU state
//   (sysregs.ts el1HflagsFromEl0). From AArch32 or EL2/EL3: an emulator limit.
// - MMU faults arrive without their address; the faulting access is replayed once with a memory
//   hook to learn it (see probeDataAddress), and the fault status comes from our own walk.
import { hex } from '../util/hex.js';
import {
  BRANCH_TO_SELF,
  REPEAT_LIMIT,
  decodeExceptionGenerating,
  decodePstate,
  EC,
  esrEc,
  describeEsr,
  entryPstate,
  esrAccess,
  esrBrk,
  esrCall,
  esrDataAbort,
  esrDebug,
  esrFpAccess,
  esrHasFar,
  esrInstructionAbort,
  esrUndefined,
  fpTrapped,
  FSC,
  isFpSimdInstruction,
  vectorOffset,
  type Pstate,
  type VectorKind,
} from './exceptions.js';
import { el1HflagsFromEl0, ENV_OFFSET, hflagsEditable, SYSREG } from './sysregs.js';
import { walkFsc } from './translation.js';
import { guestStage1 } from './virtual-alias.js';
import {
  EXCP,
  excpName,
  exceptionSyndromeOffset,
  type Arm64Reg,
  type HookHandle,
  type InvalidMemEvent,
  type MemAccess,
  type Unicorn,
} from './unicorn.js';

/** An exception about to be taken: what the guest will see in ESR/FAR/ELR. */
export interface GuestException {
  esr: bigint;
  /** Preferred return address (ELR_EL1). */
  elr: bigint;
  far: bigint | null;
  /** In wbdiff's words (describeEsr), e.g. "data abort", "svc", "breakpoint". */
  kind: string;
  access: MemAccess | null;
  /** How it arose, for the report ("Unicorn EXCP_UDEF", "unmapped read of 8 bytes at ..."). */
  detail: string;
}

export interface TakenException extends GuestException {
  from: Pstate;
  vector: bigint;
  /** How many times in a row it was taken with the same registers. */
  repeats: number;
}

export type EntryResult =
  | { kind: 'taken'; exception: TakenException }
  /** Not handled by the guest (rules of issue 11 item 4); `why` completes the verdict's reason. */
  | { kind: 'unhandled'; exception: GuestException; why: string }
  /** The emulator cannot take it faithfully. */
  | { kind: 'limit'; exception: GuestException; why: string };

const SNAPSHOT_REGS: Arm64Reg[] = [...Array.from({ length: 31 }, (_, i) => `x${i}` as Arm64Reg), 'sp', 'pstate'];

export class ExceptionEntry {
  private lastSignature = '';
  private repeats = 0;
  private returnHook: HookHandle | null = null;
  /** The last exception taken, and whether execution reached its return address since. */
  last: TakenException | null = null;
  returned = true;
  taken = 0;
  /** How many times execution came back from an exception (reached its ELR or ELR + 4). */
  returns = 0;

  constructor(private readonly uc: Unicorn) {}

  // ------------------------------------------------------------ what Unicorn reported

  /**
   * An EXCP_* from UC_HOOK_INTR (not PSCI), with pc and the syndrome Unicorn computed as the hook
   * saw them (Unicorn.lastExceptionSyndrome; null where unknown).
   */
  fromInterrupt(intno: number, pc: bigint, syndrome: number | null = null): GuestException {
    const base = `Unicorn ${excpName(intno)}`;
    const el = decodePstate(this.uc.regRead('pstate')).el;
    const sameEl = el === 1;
    switch (intno) {
      case EXCP.SWI: {
        const decoded = decodeExceptionGenerating(this.readWord(pc - 4n) ?? 0);
        return this.exception(esrCall('svc', decoded?.imm16 ?? 0), pc, null, `${base}: svc at ${hex(pc - 4n)}`);
      }
      case EXCP.HVC: {
        const decoded = decodeExceptionGenerating(this.readWord(pc - 4n) ?? 0);
        return this.exception(esrCall('hvc', decoded?.imm16 ?? 0), pc, null, `${base}: hvc at ${hex(pc - 4n)}`);
      }
      case EXCP.SMC:
        // QEMU's virt has no EL3: SMC is an undefined instruction there, reported at the smc.
        return this.exception(esrUndefined(), pc - 4n, null, `${base}: smc at ${hex(pc - 4n)} (virt has no EL3)`);
      case EXCP.BKPT: {
        const word = this.readWord(pc);
        const decoded = word === null ? null : decodeExceptionGenerating(word);
        if (decoded?.kind === 'brk')
          return this.exception(esrBrk(decoded.imm16), pc, null, `${base}: brk #${hex(decoded.imm16)} at ${hex(pc)}`);
        return this.exception(esrDebug('breakpoint', { sameEl }), pc, null, `${base} at ${hex(pc)}`);
      }
      case EXCP.UDEF: {
        const word = this.readWord(pc);
        const words = word === null ? '' : ` (instruction word ${hex(word, 8)})`;
        // A software step comes as EXCP_UDEF too: its syndrome (ISV, EX) is the one Unicorn computed.
        if (syndrome !== null && (syndrome >>> 26 === 0x32 || syndrome >>> 26 === 0x33)) {
          const pending = ((syndrome >>> 24) & 1) === 0 ? ' (step pending before it ran)' : '';
          return this.exception(BigInt(syndrome >>> 0), pc, null, `${base}: software step before ${hex(pc)}${pending}`);
        }
        if (
          exceptionSyndromeOffset() === null &&
          (this.uc.sysRegRead(SYSREG.MDSCR_EL1) & 1n) === 1n &&
          word !== null &&
          !isPermanentlyUndefined(word)
        ) {
          return this.exception(esrDebug('software step', { sameEl }), pc, null, `${base}: software step completed before ${hex(pc)}`);
        }
        if (word !== null && isFpSimdInstruction(word) && fpTrapped(this.uc.regRead('cpacr_el1'), el)) {
          return this.exception(esrFpAccess(), pc, null, `${base} at ${hex(pc)}${words}: CPACR_EL1.FPEN traps FP/SIMD`);
        }
        return this.exception(esrUndefined(), pc, null, `${base} at ${hex(pc)}${words}`);
      }
      case EXCP.PREFETCH_ABORT: {
        if (this.breakpointAt(pc))
          return this.exception(esrDebug('breakpoint', { sameEl }), pc, null, `${base}: hardware breakpoint at ${hex(pc)}`);
        return this.exception(
          esrInstructionAbort({ sameEl, fsc: this.translationFsc(pc) }),
          pc,
          pc,
          `${base}: MMU fault on the fetch at ${hex(pc)}`,
        );
      }
      case EXCP.DATA_ABORT: {
        const probe = this.probeDataAddress(pc);
        if (!probe)
          return this.exception(
            esrDataAbort({ sameEl, write: false, fsc: FSC.TRANSLATION_L0 }),
            pc,
            null,
            `${base} at ${hex(pc)} (address unknown: the access could not be replayed)`,
          );
        const write = probe.access === 'write';
        if (this.watchpointAt(probe.address)) {
          return this.exception(
            esrDebug('watchpoint', { sameEl, write }),
            pc,
            probe.address,
            `${base}: watchpoint on the ${probe.access} of ${hex(probe.address)}`,
          );
        }
        const fsc = this.translationFsc(probe.address);
        return this.exception(
          esrDataAbort({ sameEl, write, fsc }),
          pc,
          probe.address,
          `${base}: MMU fault on the ${probe.access} of ${hex(probe.address)}`,
        );
      }
      default:
        return this.exception(esrUndefined(), pc, null, `${base} at ${hex(pc)}, which wbdiff does not know how to take`);
    }
  }

  /** A hardware breakpoint (breakpoints.ts) raised before the instruction at pc ran, as QEMU's check_breakpoints. */
  fromBreakpoint(pc: bigint): GuestException {
    const sameEl = decodePstate(this.uc.regRead('pstate')).el === 1;
    return this.exception(esrDebug('breakpoint', { sameEl }), pc, null, `hardware breakpoint at ${hex(pc)}`);
  }

  /** A hardware watchpoint (breakpoints.ts) on the access at pc: EC 0x35/0x34, WnR, FAR as QEMU's check_watchpoint. */
  fromWatchpoint(pc: bigint, far: bigint, write: boolean): GuestException {
    const sameEl = decodePstate(this.uc.regRead('pstate')).el === 1;
    return this.exception(
      esrDebug('watchpoint', { sameEl, write }),
      pc,
      far,
      `hardware watchpoint on the ${write ? 'write' : 'read'} of ${hex(far)}`,
    );
  }

  /** An unmapped access that stopped uc_emu_start: a synchronous external abort on QEMU's virt. */
  fromUnmappedAccess(event: InvalidMemEvent, pc: bigint): GuestException {
    const sameEl = decodePstate(this.uc.regRead('pstate')).el === 1;
    const what = `${event.why} ${event.access} of ${event.size} bytes at ${hex(event.address)}`;
    if (event.access === 'fetch') {
      return this.exception(esrInstructionAbort({ sameEl, fsc: FSC.SYNC_EXTERNAL }), event.address, event.address, what);
    }
    return this.exception(esrDataAbort({ sameEl, write: event.access === 'write', fsc: FSC.SYNC_EXTERNAL }), pc, event.address, what);
  }

  // ------------------------------------------------------------ taking it

  /** Writes ESR/FAR/ELR/SPSR, switches to EL1h with DAIF masked and sets pc to the vector. */
  take(e: GuestException, vectorKind: VectorKind = 'sync'): EntryResult {
    const uc = this.uc;
    const synchronous = vectorKind === 'sync';
    const pstate = uc.regRead('pstate');
    const from = decodePstate(pstate);
    if (from.el !== 1 && (from.el !== 0 || from.aarch32)) {
      return {
        kind: 'limit',
        exception: e,
        why: `the emulator cannot take an exception from EL${from.el}${from.aarch32 ? ' (AArch32)' : ''} to EL1`,
      };
    }
    const vbar = uc.regRead('vbar_el1');
    const vector = vbar + vectorOffset(from, 1, vectorKind);
    const entry = this.readWord(vector);
    if (entry === null || (vbar === 0n && entry === 0)) {
      const where = entry === null ? 'nothing is mapped there' : 'it holds zeros (an undefined instruction that would re-enter itself)';
      return {
        kind: 'unhandled',
        exception: e,
        why: `no vector table: VBAR_EL1 is ${hex(vbar)} and the vector at ${hex(vector)} is empty (${where})`,
      };
    }
    if (entry === BRANCH_TO_SELF) {
      return {
        kind: 'unhandled',
        exception: e,
        why: `its vector at ${hex(vector)} is a branch to itself (b .): the handler never returns`,
      };
    }
    // SVC/HVC return past themselves: taking one again means the code after it ran (progress).
    // An IRQ/FIQ is no retry, and leaves the count of the synchronous ones alone (a timer tick
    // between two identical faults must not hide a handler that makes no progress).
    if (synchronous) {
      const ec = esrEc(e.esr);
      const retried = ec !== EC.SVC64 && ec !== EC.HVC64;
      // The 33-register signature only for what can be a retry (no fault's signature is ever '').
      const signature = retried ? this.signature(e) : '';
      this.repeats = retried && signature === this.lastSignature ? this.repeats + 1 : 1;
      this.lastSignature = signature;
    }
    if (synchronous && this.repeats >= REPEAT_LIMIT) {
      return {
        kind: 'unhandled',
        exception: e,
        why: `taken ${this.repeats} times in a row at ${hex(e.elr)} with the same registers: the handler makes no progress`,
      };
    }

    // PSTATE first: from EL0 the cached translation flags must follow, or nothing is changed.
    uc.regWrite('pstate', entryPstate());
    if (from.el === 0 && !this.switchTranslationFlagsToEl1(pstate)) {
      uc.regWrite('pstate', pstate);
      return {
        kind: 'limit',
        exception: e,
        why: "the emulator cannot take an exception from EL0 to EL1: Unicorn's cached EL0 translation flags are not where this build of the library was expected to keep them",
      };
    }
    if (synchronous) {
      uc.regWrite('esr_el1', e.esr);
      if (e.far !== null) uc.regWrite('far_el1', e.far);
    }
    uc.regWrite('elr_el1', e.elr);
    uc.sysRegWrite(SYSREG.SPSR_EL1, pstate);
    if (!from.spx) {
      // EL1t and EL0 run on SP_EL0 (Unicorn keeps the live SP in `sp`, the others in sp_elN).
      uc.regWrite('sp_el0', uc.regRead('sp'));
      uc.regWrite('sp', uc.regRead('sp_el1'));
    }
    uc.regWrite('pc', vector);
    this.watchReturn(e.elr, synchronous ? e.esr : null);
    const taken: TakenException = { ...e, from, vector, repeats: synchronous ? this.repeats : 1 };
    this.last = taken;
    this.returned = false;
    this.taken++;
    return { kind: 'taken', exception: taken };
  }

  /**
   * An IRQ or FIQ (for an interrupt controller model): taken at the instruction about to run
   * (ELR = pc), to the vector's +0x80 / +0x100 slot; ESR and FAR are not written, as for any
   * asynchronous exception. The caller checks PSTATE.I / F first.
   */
  takeInterrupt(kind: 'irq' | 'fiq'): EntryResult {
    const pc = this.uc.regRead('pc');
    const e: GuestException = {
      esr: 0n,
      elr: pc,
      far: null,
      kind: kind.toUpperCase(),
      access: null,
      detail: `${kind.toUpperCase()} taken at ${hex(pc)}`,
    };
    return this.take(e, kind);
  }

  /**
   * Debug events the guest armed that this emulator cannot raise, so that a kernel's "not
   * received" is not blamed on the kernel: software step where the exception syndrome cannot be
   * read (software-step.ts). Watchpoints (compiled out of Unicorn 2.0.1) are modelled with memory
   * hooks (breakpoints.ts).
   */
  unmodelledDebug(): string | null {
    const mdscr = this.uc.sysRegRead(SYSREG.MDSCR_EL1);
    const kde = (mdscr >> 13n) & 1n;
    // Software step is run by Unicorn's own state machine (software-step.ts) where its exception
    // syndrome can be read; with another layout it is not modelled.
    if ((mdscr & 1n) === 1n && kde === 1n && exceptionSyndromeOffset() === null)
      return `the guest turned on software step (MDSCR_EL1 = ${hex(mdscr)}), which this libunicorn's layout does not let wbdiff model`;
    // Hardware watchpoints are modelled with memory hooks (breakpoints.ts).
    return null;
  }

  /**
   * From EL0, Unicorn 2.0.1 would go on translating the handler with EL0's cached flags
   * (env->hflags: its first `mrs elr_el1` is undefined; measured), and nothing in its API
   * rebuilds them, so they are edited in the saved CPU state to what EL1's would be.
   */
  private switchTranslationFlagsToEl1(fromPstate: bigint): boolean {
    let ok = false;
    const cpacr = this.uc.regRead('cpacr_el1');
    const sctlr = this.uc.sysRegRead(SYSREG.SCTLR_EL1);
    this.uc.editCpuState((env) => {
      // The edit happens after pstate was set to EL1h: check the flags against the EL0 state.
      if (!hflagsEditable(env, entryPstate()) || (fromPstate & 0xcn) !== 0n) return;
      env.setUint32(ENV_OFFSET.hflags, el1HflagsFromEl0(env.getUint32(ENV_OFFSET.hflags, true), cpacr, sctlr), true);
      ok = true;
    });
    return ok;
  }

  /** The last exception when the guest has not come back from it (for a timeout's verdict). */
  unreturned(): TakenException | null {
    return this.returned ? null : this.last;
  }

  /** Drops the return watch once it fired; call between slices, never from a hook. */
  tidy(): void {
    if (this.returned && this.returnHook) {
      this.uc.hookDel(this.returnHook);
      this.returnHook = null;
    }
  }

  // ------------------------------------------------------------ helpers

  private exception(esr: bigint, elr: bigint, far: bigint | null, detail: string): GuestException {
    return { esr, elr, far: esrHasFar(esr) ? far : null, kind: describeEsr(esr), access: esrAccess(esr), detail };
  }

  /**
   * Watches the two usual return addresses (ELR: retry, ELR+4: skip) with a two-instruction code
   * hook. Unicorn decides at translation time which hooks a block calls, so the code there is
   * retranslated. An instruction abort's ELR is unmapped: nothing to watch (nor to retranslate).
   */
  private watchReturn(elr: bigint, esr: bigint | null): void {
    if (this.returnHook) {
      this.uc.hookDel(this.returnHook);
      this.returnHook = null;
    }
    if (esr !== null && esrAccess(esr) === 'fetch') return;
    this.returnHook = this.uc.hookCode(
      () => {
        if (!this.returned) this.returns++;
        this.returned = true;
      },
      elr,
      elr + 4n,
    );
    try {
      this.uc.removeCachedCode(elr, elr + 8n);
    } catch {
      // Not translatable (unmapped under the MMU): the guest cannot run there either.
    }
  }

  private signature(e: GuestException): string {
    const regs = SNAPSHOT_REGS.map((r) => this.uc.regRead(r).toString(16)).join(',');
    return `${e.esr}:${e.elr}:${e.far}:${regs}`;
  }

  private readWord(address: bigint): number | null {
    return this.uc.readWord(address);
  }

  private translationFsc(va: bigint): number {
    const result = guestStage1(this.uc, va);
    if (result === null) return FSC.SYNC_EXTERNAL;
    // A walk that succeeds failed on permissions (the only check left).
    return result.ok ? FSC.PERMISSION_L0 + result.level : walkFsc(result);
  }

  /**
   * Replays the instruction at pc for one step with a memory hook, which Unicorn calls with the
   * virtual address before it translates it; the replay faults again and is stopped there.
   */
  private probeDataAddress(pc: bigint): { address: bigint; access: MemAccess } | null {
    let seen: { address: bigint; access: MemAccess } | null = null;
    const registers = SNAPSHOT_REGS.map((r) => [r, this.uc.regRead(r)] as const);
    const hook = this.uc.hookMem(
      ['read', 'write'],
      (event) => {
        if (!seen) seen = { address: event.address, access: event.access };
      },
      1n,
      0n,
    );
    this.probing = true;
    try {
      this.uc.removeCachedCode(pc, pc + 4n);
      // One instruction. A count keeps Unicorn 2.0.1's counting code hook, which slices that end by
      // instruction count have anyway; a start without a count after one flushes every block.
      this.uc.emuStart(pc, pc + 4n, 0, 1);
    } catch {
      // the replay's own fault
    } finally {
      this.probing = false;
      this.uc.hookDel(hook);
      this.uc.removeCachedCode(pc, pc + 4n);
      for (const [r, v] of registers) this.uc.regWrite(r, v);
      this.uc.regWrite('pc', pc);
    }
    return seen;
  }

  /** True while probeDataAddress replays an access: its exception is not the guest's. */
  probing = false;

  private breakpointAt(pc: bigint): boolean {
    if (((this.uc.sysRegRead(SYSREG.MDSCR_EL1) >> 15n) & 1n) === 0n) return false;
    for (let n = 0; n < 16; n++) {
      const ctrl = this.debugReg(5, n); // DBGBCRn_EL1
      if (ctrl === null) break;
      if ((ctrl & 1n) === 1n && ((this.debugReg(4, n) ?? -1n) & ~3n) === pc) return true;
    }
    return false;
  }

  private watchpointAt(address: bigint): boolean {
    if (((this.uc.sysRegRead(SYSREG.MDSCR_EL1) >> 15n) & 1n) === 0n) return false;
    for (let n = 0; n < 16; n++) {
      const ctrl = this.debugReg(7, n); // DBGWCRn_EL1
      if (ctrl === null) break;
      const value = this.debugReg(6, n);
      if ((ctrl & 1n) === 1n && value !== null && (address & ~7n) === (value & ~7n)) return true;
    }
    return false;
  }

  /** DBGB[CV]Rn_EL1 / DBGW[CV]Rn_EL1: op0 2, op1 0, CRn 0, CRm n, op2 4..7. */
  private debugReg(op2: number, n: number): bigint | null {
    try {
      return this.uc.sysRegRead({ op0: 2, op1: 0, crn: 0, crm: n, op2 });
    } catch {
      return null;
    }
  }
}

/**
 * Tells a software-step UDEF (QEMU raises the step exception as EXCP_UDEF at the next
 * instruction) from a real one, by the encodings that are undefined whatever the state:
 * UDF #imm16 (top half zero) and HVC (undefined at EL1 on virt).
 */
function isPermanentlyUndefined(word: number): boolean {
  return word >>> 16 === 0 || decodeExceptionGenerating(word)?.kind === 'hvc';
}
