// Hardware breakpoints (DBGBCRn_EL1 / DBGBVRn_EL1) modelled here rather than by Unicorn.
//
// Unicorn 2.0.1 runs QEMU 5.0's write function for these registers (hw_breakpoint_update ->
// cpu_breakpoint_insert/remove -> breakpoint_invalidate -> tb_flush), and its tb_flush is
// immediate where QEMU defers it to a safe point (async_safe_run_on_cpu): the code buffer is
// reset under the running guest code and node segfaults in generated code (kvm-unit-tests'
// debug-bp, kernels/hw-breakpoint; it crashes even when the MSR runs alone in a one-instruction
// uc_emu_start). uc_reg_write of them is a raw write (no breakpoint armed). So the MSR hook skips
// the guest's write and stops the engine (engine-hooks.ts deferWrite); between slices the value is
// stored raw (MRS reads it back) and each enabled breakpoint becomes a one-address code hook, whose
// code is retranslated. The hook raises the breakpoint as QEMU's check_breakpoints would: before the
// instruction runs, when debug exceptions are enabled (aa64_generate_debug_exceptions: MDSCR_EL1.KDE
// and PSTATE.D clear at EL1; always from EL0) and MDSCR_EL1.MDE is set.
import { hex } from '../util/hex.js';
import { decodePstate } from './exceptions.js';
import { sysregKey } from './interrupts/sysreg.js';
import { SYSREG } from './sysregs.js';
import type { HookHandle, SysRegAccess, SysRegEncoding, Unicorn } from './unicorn.js';

const MDSCR_KDE = 1n << 13n;
const MDSCR_MDE = 1n << 15n;
const PSTATE_D = 1n << 9n;

/** DBGBCRn_EL1 (op2 5) / DBGBVRn_EL1 (op2 4): op0 2, op1 0, CRn 0, CRm n. */
export function isBreakpointRegister(enc: SysRegEncoding): boolean {
  return enc.op0 === 2 && enc.op1 === 0 && enc.crn === 0 && (enc.op2 === 4 || enc.op2 === 5);
}

/** MDSCR_EL1. */
function isDebugControl(enc: SysRegEncoding): boolean {
  return sysregKey(enc) === sysregKey(SYSREG.MDSCR_EL1);
}

/** DBGWCRn_EL1 (op2 7) / DBGWVRn_EL1 (op2 6). */
export function isWatchpointRegister(enc: SysRegEncoding): boolean {
  return enc.op0 === 2 && enc.op1 === 0 && enc.crn === 0 && (enc.op2 === 6 || enc.op2 === 7);
}

/** What an enabled DBGWCR asks for that this model does not do, or null (pure). */
export function unmodelledWatchpointControl(wcr: bigint): string | null {
  if (((wcr >> 24n) & 0x1fn) !== 0n) return `address mask MASK=${(wcr >> 24n) & 0x1fn} (only byte address select is modelled)`;
  if (((wcr >> 20n) & 1n) !== 0n) return 'a linked watchpoint (WT=1)';
  if (((wcr >> 14n) & 3n) !== 0n || ((wcr >> 13n) & 1n) !== 0n) return 'security state / higher mode control (SSC, HMC)';
  if (((wcr >> 5n) & 0xffn) === 0n) return 'no byte selected (BAS=0)';
  return null;
}

/** One enabled watchpoint: the doubleword it watches, which bytes (BAS), loads/stores (LSC), ELs (PAC). */
export interface Watch {
  base: bigint;
  bas: number;
  lsc: number;
  pac: number;
}

/**
 * Whether an access hits a watchpoint, and the address QEMU reports in FAR for it (the larger of
 * the access and the first watched byte, as check_watchpoint's hitaddr), or null (pure).
 */
export function watchHit(watch: Watch, access: { address: bigint; size: number; write: boolean; el: number }): bigint | null {
  if ((watch.lsc & (access.write ? 2 : 1)) === 0) return null;
  if (!((access.el === 1 && (watch.pac & 1) !== 0) || (access.el === 0 && (watch.pac & 2) !== 0))) return null;
  let first: bigint | null = null;
  for (let b = 0; b < 8; b++) {
    if (((watch.bas >> b) & 1) === 0) continue;
    const byte = watch.base + BigInt(b);
    first ??= byte;
    if (byte >= access.address && byte < access.address + BigInt(access.size)) return access.address > first ? access.address : first;
  }
  return null;
}

/** What an enabled DBGBCR asks for that this model does not do, or null (pure). */
export function unmodelledBreakpointControl(bcr: bigint): string | null {
  const bt = Number((bcr >> 20n) & 0xfn);
  if (bt !== 0) return `breakpoint type BT=${bt} (only unlinked address match is modelled)`;
  if (((bcr >> 5n) & 0xfn) !== 0xfn) return `byte address select BAS=${hex((bcr >> 5n) & 0xfn)} (A64 breakpoints use 0b1111)`;
  if (((bcr >> 14n) & 3n) !== 0n || ((bcr >> 13n) & 1n) !== 0n) return 'security state / higher mode control (SSC, HMC)';
  return null;
}

/** The instruction address a DBGBVR holds (bits [48:2], sign-extended from bit 48). */
export function breakpointAddress(bvr: bigint): bigint {
  const address = bvr & 0x1_ffff_ffff_fffcn;
  return (address >> 48n) & 1n ? address | 0xfffe_0000_0000_0000n : address;
}

export class HardwareBreakpoints {
  private readonly hooks = new Map<bigint, HookHandle>();
  /** An MSR the hook skipped: written (raw) and applied once the engine has stopped. */
  private pending: SysRegAccess | null = null;
  /** Set by a hook that decided to raise a breakpoint: its address. */
  hit: bigint | null = null;
  /** Set by a memory hook that decided to raise a watchpoint: the access, undone once the engine stopped. */
  watchpointHit: { pc: bigint; far: bigint; write: boolean; address: bigint; before: Uint8Array | null } | null = null;
  private readonly watchHooks: HookHandle[] = [];
  /** An enabled breakpoint this model does not do: the run ends as an emulator limit. */
  unmodelled: string | null = null;

  constructor(
    private readonly uc: Unicorn,
    private readonly stopBefore: () => void,
  ) {}

  /**
   * From the MSR hook: true when the write is ours (the engine must then stop after the MSR):
   * the breakpoint and watchpoint registers, and MDSCR_EL1 (software step arms at a slice's end).
   */
  defer(access: SysRegAccess): boolean {
    if (!(isBreakpointRegister(access) || isWatchpointRegister(access) || isDebugControl(access)) || this.pending !== null) return false;
    this.pending = access;
    return true;
  }

  /** Between slices: store a deferred write and re-arm the code hooks; true when it was MDSCR_EL1's. */
  applyPending(): boolean {
    const write = this.pending;
    if (!write) return false;
    this.pending = null;
    this.uc.sysRegWrite(write, write.value);
    this.rearm();
    return isDebugControl(write);
  }

  /** Between slices: the store a watchpoint stopped did not happen (its bytes back as they were). */
  undoWatchedAccess(): void {
    const hit = this.watchpointHit;
    if (hit?.before) this.uc.memWrite(hit.address, hit.before);
  }

  private rearmWatchpoints(): void {
    for (const hook of this.watchHooks.splice(0)) this.uc.hookDel(hook);
    for (const { ctrl: wcr, value: wvr } of this.enabled('watchpoint') ?? []) {
      const watch: Watch = {
        base: breakpointAddress(wvr) & ~7n,
        bas: Number((wcr >> 5n) & 0xffn),
        lsc: Number((wcr >> 3n) & 3n),
        pac: Number((wcr >> 1n) & 3n),
      };
      // Accesses up to 64 bytes (DC ZVA) that start before the doubleword can reach it.
      const begin = watch.base >= 64n ? watch.base - 63n : 0n;
      this.watchHooks.push(this.uc.hookMem(['read', 'write'], (event) => this.onAccess(watch, event), begin, watch.base + 7n));
    }
  }

  /**
   * The enabled breakpoints or watchpoints (control register at op2 5 / 7, value at op2 4 / 6),
   * or null after naming, in `unmodelled`, the first one this model does not do.
   */
  private enabled(kind: 'breakpoint' | 'watchpoint'): { n: number; ctrl: bigint; value: bigint }[] | null {
    const control = kind === 'breakpoint' ? 5 : 7;
    const check = kind === 'breakpoint' ? unmodelledBreakpointControl : unmodelledWatchpointControl;
    const out: { n: number; ctrl: bigint; value: bigint }[] = [];
    for (let n = 0; n < 16; n++) {
      const ctrl = this.read({ op0: 2, op1: 0, crn: 0, crm: n, op2: control });
      if (ctrl === null) break;
      if ((ctrl & 1n) === 0n) continue;
      const why = check(ctrl);
      if (why) {
        this.unmodelled = `the guest armed hardware ${kind} ${n} (DBG${kind === 'breakpoint' ? 'B' : 'W'}CR${n}_EL1 = ${hex(ctrl)}) with ${why}`;
        return null;
      }
      out.push({ n, ctrl, value: this.read({ op0: 2, op1: 0, crn: 0, crm: n, op2: control - 1 }) ?? 0n });
    }
    return out;
  }

  /** A memory hook runs before the access; stopping here leaves it not done (a store is also undone after the stop). */
  private onAccess(watch: Watch, event: { access: string; address: bigint; size: number }): void {
    if (this.watchpointHit !== null || this.hit !== null) return;
    const write = event.access === 'write';
    const pstate = this.uc.regRead('pstate');
    const el = decodePstate(pstate).el;
    if (!this.debugEnabled(el, pstate)) return;
    const far = watchHit(watch, { address: event.address, size: event.size, write, el });
    if (far === null) return;
    this.watchpointHit = {
      pc: this.uc.regRead('pc'),
      far,
      write,
      address: event.address,
      before: write ? this.uc.memRead(event.address, event.size) : null,
    };
    this.stopBefore();
    this.uc.emuStop();
  }

  private debugEnabled(el: number, pstate: bigint): boolean {
    const mdscr = this.uc.sysRegRead(SYSREG.MDSCR_EL1);
    if ((mdscr & MDSCR_MDE) === 0n) return false;
    return !(el === 1 && ((mdscr & MDSCR_KDE) === 0n || (pstate & PSTATE_D) !== 0n));
  }

  private rearm(): void {
    this.rearmWatchpoints();
    if (this.unmodelled) return;
    const breakpoints = this.enabled('breakpoint');
    if (breakpoints === null) return;
    const wanted = new Set(breakpoints.map((b) => breakpointAddress(b.value)));
    for (const [address, hook] of this.hooks) {
      if (wanted.has(address)) continue;
      this.uc.hookDel(hook);
      this.hooks.delete(address);
      this.uc.removeCachedCode(address, address + 4n);
    }
    for (const address of wanted) {
      if (this.hooks.has(address)) continue;
      // Unicorn decides at translation which hooks a block calls: retranslate the code there.
      this.hooks.set(
        address,
        this.uc.hookCode(() => this.onFetch(address), address, address),
      );
      this.uc.removeCachedCode(address, address + 4n);
    }
  }

  /** The code hook runs before the instruction; stopping here leaves pc on it, not executed. */
  private onFetch(address: bigint): void {
    if (this.hit !== null || !this.enabledAt(address)) return;
    this.hit = address;
    this.stopBefore();
    this.uc.emuStop();
  }

  private enabledAt(address: bigint): boolean {
    const pstate = this.uc.regRead('pstate');
    const el = decodePstate(pstate).el;
    if (!this.debugEnabled(el, pstate)) return false;
    // PMC (DBGBCR bits 2:1): bit 0 matches at EL1, bit 1 at EL0.
    return (this.enabled('breakpoint') ?? []).some(({ ctrl, value }) => {
      const pmc = (ctrl >> 1n) & 3n;
      return breakpointAddress(value) === address && ((el === 1 && (pmc & 1n) !== 0n) || (el === 0 && (pmc & 2n) !== 0n));
    });
  }

  private read(enc: SysRegEncoding): bigint | null {
    try {
      return this.uc.sysRegRead(enc);
    } catch {
      return null;
    }
  }
}
