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
import type { HookHandle, SysRegAccess, SysRegEncoding, Unicorn } from './unicorn.js';

const MDSCR_EL1: SysRegEncoding = { op0: 2, op1: 0, crn: 0, crm: 2, op2: 2 };
const MDSCR_KDE = 1n << 13n;
const MDSCR_MDE = 1n << 15n;
const PSTATE_D = 1n << 9n;

/** DBGBCRn_EL1 (op2 5) / DBGBVRn_EL1 (op2 4): op0 2, op1 0, CRn 0, CRm n. */
export function isBreakpointRegister(enc: SysRegEncoding): boolean {
  return enc.op0 === 2 && enc.op1 === 0 && enc.crn === 0 && (enc.op2 === 4 || enc.op2 === 5);
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
  /** An enabled breakpoint this model does not do: the run ends as an emulator limit. */
  unmodelled: string | null = null;

  constructor(
    private readonly uc: Unicorn,
    private readonly stopBefore: () => void,
  ) {}

  /** From the MSR hook: true when the write is ours (the engine must then stop after the MSR). */
  defer(access: SysRegAccess): boolean {
    if (!isBreakpointRegister(access) || this.pending !== null) return false;
    this.pending = access;
    return true;
  }

  /** Between slices: store a deferred write and re-arm the code hooks. */
  applyPending(): void {
    const write = this.pending;
    if (!write) return;
    this.pending = null;
    this.uc.sysRegWrite(write, write.value);
    this.rearm();
  }

  private rearm(): void {
    const wanted = new Set<bigint>();
    for (let n = 0; n < 16; n++) {
      const bcr = this.read({ op0: 2, op1: 0, crn: 0, crm: n, op2: 5 });
      if (bcr === null) break;
      if ((bcr & 1n) === 0n) continue;
      const why = unmodelledBreakpointControl(bcr);
      if (why) {
        this.unmodelled = `the guest armed hardware breakpoint ${n} (DBGBCR${n}_EL1 = ${hex(bcr)}) with ${why}`;
        return;
      }
      wanted.add(breakpointAddress(this.read({ op0: 2, op1: 0, crn: 0, crm: n, op2: 4 }) ?? 0n));
    }
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
    const mdscr = this.uc.sysRegRead(MDSCR_EL1);
    if ((mdscr & MDSCR_MDE) === 0n) return false;
    const pstate = this.uc.regRead('pstate');
    const el = decodePstate(pstate).el;
    if (el === 1 && ((mdscr & MDSCR_KDE) === 0n || (pstate & PSTATE_D) !== 0n)) return false;
    // PMC (DBGBCR bits 2:1): bit 0 matches at EL1, bit 1 at EL0.
    for (let n = 0; n < 16; n++) {
      const bcr = this.read({ op0: 2, op1: 0, crn: 0, crm: n, op2: 5 });
      if (bcr === null) break;
      if ((bcr & 1n) === 0n) continue;
      if (breakpointAddress(this.read({ op0: 2, op1: 0, crn: 0, crm: n, op2: 4 }) ?? 0n) !== address) continue;
      const pmc = (bcr >> 1n) & 3n;
      if ((el === 1 && (pmc & 1n) !== 0n) || (el === 0 && (pmc & 2n) !== 0n)) return true;
    }
    return false;
  }

  private read(enc: SysRegEncoding): bigint | null {
    try {
      return this.uc.sysRegRead(enc);
    } catch {
      return null;
    }
  }
}
