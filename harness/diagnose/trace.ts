// Runs a patched ELF on the emulator and records what happens around each redirected call:
// the registers at the call, every write of the replacement routine until it returns, then the
// caller's writes up to the next serial output (or a budget of instructions).
//
// Cost model: outside a traced window the only hooks are exact-address code hooks on the call
// sites, the routines' entries and the return addresses (call + 4). A window (opened when a call
// site is reached) adds a block hook (instruction budget), a memory-write hook and an invalid-
// access hook, and removes them when it closes. Unicorn instruments code when it translates it,
// so the translations are dropped at both ends of a window (Unicorn.removeCachedCode): the
// window's hooks see code that ran before, and code after the window runs uninstrumented again.
// (Unicorn's own instruction count is not used: retiring it flushes the whole 1 GiB code cache.)
import { disassembleWord } from '../disasm/capstone.js';
import type { ElfImage } from '../elf/elf.js';
import { UC_HOOK, type Arm64CpuModel, type HookHandle, type InvalidMemEvent, type MemEvent, type Unicorn } from '../emu/unicorn.js';
import type { DroppedWrite } from '../emu/devices/flash-bus.js';
import { VIRT, VirtMachine, type MachineFault } from '../emu/virt-machine.js';
import { WbdiffError } from '../errors.js';
import { decodeBranch } from '../patch/encoding.js';
import { EmuRunLoop } from '../runners/emu-loop.js';
import { SerialCapture } from '../runners/serial-capture.js';
import { hex } from '../util/hex.js';
import { fullRegister, parseStore, sourceForWrite, writtenRegisters } from './store-insn.js';

/** A redirected call site, as the patch manifest lists it. */
export interface TraceSite {
  address: bigint;
  /** "main.kmain+0x7c" */
  location: string;
  op: string;
  variant: string | null;
  /** Where the patched `bl` goes: the replacement routine. */
  routine: bigint;
  routineSymbol: string;
  /** What the site called before the patch ("runtime.gcWriteBarrier2"), when it was a call. */
  replaced: string | null;
}

/** The sites of a patch manifest that a trace follows: `redirect-calls` and `call` edits. */
export interface ManifestSiteLike {
  variant?: string;
  op: string;
  address: string;
  location: string;
  old?: { word?: string; symbolic?: string };
  new: { word: string; symbolic?: string };
}

export interface Registers {
  /** x0..x30 */
  x: bigint[];
  sp: bigint;
  pc: bigint;
}

export type Phase = 'routine' | 'caller';

export interface TracedWrite {
  phase: Phase;
  pc: bigint;
  /** The store instruction, as capstone prints it ("str x2, [x27]"). */
  insn: string;
  address: bigint;
  size: number;
  value: bigint;
  /** The register whose value was stored ("x2"; "xzr"), when the instruction says. */
  source: string | null;
  /** The address register ("x27") and its value at the store. */
  base: string | null;
  baseValue: bigint | null;
  /** Set when the write hit nothing (unmapped) or a protected page. */
  fault: 'unmapped' | 'protected' | null;
  /**
   * The address is unmapped on the modelled machine, but the tracer mapped a zero page there (at
   * this write's fault or an earlier one) so the run could go on (see TraceOptions.recoverFaults).
   */
  recovered: boolean;
}

export type WindowEnd = 'return' | 'budget' | 'serial' | 'next-site' | 'fault' | 'poweroff' | 'halt' | 'timeout' | 'run-end';

export interface TraceFault {
  phase: Phase;
  kind: string;
  pc: bigint | null;
  address: bigint | null;
  access: 'read' | 'write' | 'fetch' | null;
  detail: string;
  recovered: boolean;
}

export interface CallTrace {
  site: TraceSite;
  /** 1 for the first time this site ran, 2 for the second... */
  hit: number;
  /** At the call (pc = the call site, before the `bl`). */
  before: Registers;
  /** The routine's entry was reached. */
  entered: boolean;
  /** Execution came back to call + 4. */
  returned: boolean;
  /** At the return (pc = call + 4), or where the window ended when it never returned. */
  after: Registers | null;
  afterAt: 'return' | 'window-end';
  /** Instructions from the call to the return (the `bl` included), per translation block. */
  routineInstructions: number;
  routineEnd: WindowEnd;
  routineWrites: TracedWrite[];
  /** Instructions after the return until the window closed. */
  callerInstructions: number;
  callerEnd: WindowEnd | null;
  callerWrites: TracedWrite[];
  /** First blocks the routine ran (addresses), to say where a routine that never returned went. */
  trail: bigint[];
  faults: TraceFault[];
  /** Writes not kept (past maxWritesPerPhase). */
  droppedWrites: number;
  /** Serial bytes printed before the call: which marker line the call precedes. */
  serialAt?: number;
  /** x registers the routine's instructions (in its first blocks) write, as capstone reads them. */
  registersWritten?: string[];
}

export interface TraceOptions {
  model?: Arm64CpuModel;
  memoryMiB?: number;
  /** Wall-clock limit for the whole run (default 10 s). */
  timeoutMs?: number;
  /** The routine gets this many instructions to return (default 4096). */
  routineBudget?: number;
  /** Instructions of the caller traced after the return (default 64; ends early at serial output). */
  callerBudget?: number;
  /** Executions traced per site (default 8); later ones are only counted. */
  maxCallsPerSite?: number;
  maxWritesPerPhase?: number;
  /**
   * Inside a traced window, map a zero page where a read or write found nothing, and go on (the
   * fault is still recorded). QEMU virt has flash at 0x0 where the emulator has nothing, and this
   * lets every site be traced, not only the first one that faults. Default true.
   */
  recoverFaults?: boolean;
  maxRecoveredPages?: number;
  /** Ends the run at the next slice (outcome timeout, "cancelled"). */
  signal?: AbortSignal | undefined;
}

export interface TraceResult {
  calls: CallTrace[];
  /** Executions past maxCallsPerSite, per site address. */
  untraced: { address: bigint; count: number }[];
  /** Sites that never ran. */
  notReached: TraceSite[];
  outcome: { kind: 'poweroff' | 'fault' | 'timeout' | 'halted' | 'serial-limit'; detail: string; pc: bigint | null };
  fault: MachineFault | null;
  serial: string;
  recoveredPages: bigint[];
  settings: Required<Omit<TraceOptions, 'model' | 'memoryMiB' | 'signal'>> & { model: Arm64CpuModel };
  /** Stores virt's flash dropped during the run (harness/emu/devices/flash-bus.ts). */
  droppedStores: { dropped: readonly DroppedWrite[]; droppedTotal: number };
}

const DEFAULTS = {
  timeoutMs: 10_000,
  routineBudget: 4096,
  callerBudget: 64,
  maxCallsPerSite: 8,
  maxWritesPerPhase: 256,
  recoverFaults: true,
  maxRecoveredPages: 16,
} as const;

const PAGE = 0x1000n;
const TRAIL_LENGTH = 32;
const SERIAL_KEEP = 64 * 1024;

/** Trace sites from a patch manifest's site list: only `redirect-calls` and `call` edits; each must be a `bl`. */
export function traceSitesFrom(image: ElfImage, sites: readonly ManifestSiteLike[]): TraceSite[] {
  const out: TraceSite[] = [];
  for (const site of sites) {
    if (site.op !== 'redirect-calls' && site.op !== 'call') continue;
    const address = BigInt(site.address);
    const word = Number(BigInt(site.new.word));
    const branch = decodeBranch(word, address);
    if (branch?.kind !== 'bl') {
      throw new WbdiffError(`site ${site.address} (${site.location}) of op "${site.op}" is not a bl (${site.new.word})`, {
        hint: 'only call sites (redirect-calls, call) are traced; is this the manifest of this ELF?',
      });
    }
    const oldWord = site.old?.word !== undefined ? Number(BigInt(site.old.word)) : null;
    const oldBranch = oldWord === null ? null : decodeBranch(oldWord, address);
    out.push({
      address,
      location: site.location,
      op: site.op,
      variant: site.variant ?? null,
      routine: branch.target,
      routineSymbol: image.symbols.format(branch.target),
      replaced: oldBranch?.kind === 'bl' ? image.symbols.format(oldBranch.target) : null,
    });
  }
  return out;
}

export function traceCalls(image: ElfImage, sites: readonly TraceSite[], options: TraceOptions = {}): Promise<TraceResult> {
  return new Tracer(image, sites, options).run();
}

interface Window {
  call: CallTrace;
  phase: Phase | 'closing';
  hooks: HookHandle[];
}

class Tracer {
  private readonly settings: TraceResult['settings'];
  private readonly machine: VirtMachine;
  private readonly uc: Unicorn;
  private readonly sites = new Map<bigint, TraceSite>();
  private readonly hits = new Map<bigint, number>();
  private readonly untraced = new Map<bigint, number>();
  private readonly calls: CallTrace[] = [];
  private readonly recoveredPages: bigint[] = [];
  private readonly insnText = new Map<bigint, string>();
  private window: Window | null = null;
  /** A site whose hook stopped the engine to open a window there. */
  private pendingSite: TraceSite | null = null;
  /** A window ended inside a hook: close it once the engine has stopped. */
  private closePending = false;
  /**
   * Zero pages unmapped while a call left to the runtime is traced, so its first fault is the
   * one the real machine has (not a read that lands in a page mapped for an earlier fault).
   */
  private readonly hiddenPages = new Set<bigint>();
  /** The window is closing without a stop (it ended at serial output). */
  private lazyClose = false;
  /** Resuming at a site after a pause: its hook must let the first hit pass. */
  private skipAt: bigint | null = null;
  /** Serial kept and escaped as every runner keeps it; past SERIAL_KEEP only counted. */
  private readonly capture = new SerialCapture(SERIAL_KEEP);
  private readonly signal: AbortSignal | undefined;
  private readonly ramEnd: bigint;

  constructor(
    private readonly image: ElfImage,
    siteList: readonly TraceSite[],
    options: TraceOptions,
  ) {
    const { signal, ...rest } = options;
    this.signal = signal;
    this.settings = { ...DEFAULTS, ...stripUndefined(rest), model: options.model ?? 'A57' } as TraceResult['settings'];
    for (const site of siteList) this.sites.set(site.address, site);
    this.machine = VirtMachine.create({ model: this.settings.model, memoryMiB: options.memoryMiB ?? 128, precisePc: true });
    this.uc = this.machine.uc;
    this.ramEnd = VIRT.ramBase + this.machine.ramSize;
  }

  async run(): Promise<TraceResult> {
    try {
      this.machine.loadElf(this.image);
      this.installPermanentHooks();
      return await this.loop();
    } finally {
      this.machine.close();
    }
  }

  // ------------------------------------------------------------ hooks

  private installPermanentHooks(): void {
    const uc = this.uc;
    for (const site of this.sites.values()) {
      uc.hookCode(() => this.onSite(site), site.address, site.address);
    }
    for (const routine of new Set([...this.sites.values()].map((s) => s.routine))) {
      uc.hookCode(
        () => {
          const w = this.window;
          if (w && w.phase === 'routine' && w.call.site.routine === routine) w.call.entered = true;
        },
        routine,
        routine,
      );
    }
    for (const ret of new Set([...this.sites.values()].map((s) => s.address + 4n))) {
      uc.hookCode(
        () => {
          const w = this.window;
          if (w && w.phase === 'routine' && w.call.site.address + 4n === ret) this.markReturned(w);
        },
        ret,
        ret,
      );
    }
  }

  private onSite(site: TraceSite): void {
    if (this.skipAt === site.address) {
      this.skipAt = null;
      return;
    }
    const w = this.window;
    if (w && w.phase === 'routine') return; // a site reached from inside a routine: not traced separately
    // A window closing after serial output closes lazily (no stop): this site may open the next one.
    if (w && w.phase === 'closing' && (this.closePending || !this.lazyClose)) return;
    const hit = (this.hits.get(site.address) ?? 0) + 1;
    this.hits.set(site.address, hit);
    const stopping = w !== null && w.phase === 'caller';
    if (stopping) this.endWindow(w, 'next-site', 'code');
    if (hit > this.settings.maxCallsPerSite) {
      this.untraced.set(site.address, (this.untraced.get(site.address) ?? 0) + 1);
      if (stopping) this.skipAt = site.address; // resuming here after the stop must not count again
      return;
    }
    this.pendingSite = site;
    this.machine.stopFromHook('code');
  }

  private onBlock(address: bigint, size: number): void {
    const w = this.window;
    if (!w) return;
    if (w.phase === 'closing') {
      // A window that ended at serial output stops at the next block, where nothing is replayed.
      if (this.lazyClose && !this.closePending) {
        this.closePending = true;
        this.machine.stopFromHook('block');
      }
      return;
    }
    const instructions = Math.max(1, Math.floor(size / 4));
    const call = w.call;
    if (w.phase === 'routine' && address === call.site.address + 4n) this.markReturned(w);
    if (w.phase === 'routine') {
      if (call.routineInstructions >= this.settings.routineBudget) return this.endWindow(w, 'budget', 'block');
      call.routineInstructions += instructions;
      if (call.trail.length < TRAIL_LENGTH) {
        call.trail.push(address);
        // The registers its instructions write (a routine that sets x25 to the value it already held did set it).
        const written = (call.registersWritten ??= []);
        for (let i = 0; i < instructions; i++)
          for (const r of writtenRegisters(this.instructionAt(address + BigInt(4 * i)))) if (!written.includes(r)) written.push(r);
      }
    } else if (w.phase === 'caller') {
      if (call.callerInstructions >= this.settings.callerBudget) return this.endWindow(w, 'budget', 'block');
      call.callerInstructions += instructions;
    }
  }

  private onWrite(event: MemEvent): void {
    const w = this.window;
    if (!w || w.phase === 'closing') return;
    if (w.phase === 'caller' && event.address >= VIRT.uartBase && event.address < VIRT.uartBase + BigInt(VIRT.uartSize)) {
      // No stop here: Unicorn would replay the interrupted UART store on resume (a doubled byte
      // in the serial output). The window's hooks go quiet and it is closed at the next stop.
      this.endWindow(w, 'serial', false);
      this.lazyClose = true;
      return;
    }
    const list = w.phase === 'routine' ? w.call.routineWrites : w.call.callerWrites;
    const pc = this.uc.regRead('pc');
    const last = list[list.length - 1];
    // A write retried after a recovered fault is reported twice.
    if (last?.recovered && last.pc === pc && last.address === event.address && last.size === event.size && last.value === event.value)
      return;
    if (list.length >= this.settings.maxWritesPerPhase) {
      w.call.droppedWrites++;
      return;
    }
    const insn = this.instructionAt(pc);
    const store = parseStore(insn);
    const base = store?.base ? fullRegister(store.base) : null;
    const baseValue = base ? this.readReg(base) : null;
    list.push({
      phase: w.phase,
      pc,
      insn,
      address: event.address,
      size: event.size,
      value: event.value,
      source: store ? sourceForWrite(store, event.address, baseValue, event.size) : null,
      base,
      baseValue,
      fault: null,
      // A page the tracer mapped after an earlier fault: still nothing there on the real machine.
      recovered: this.recoveredPages.includes(event.address & ~(PAGE - 1n)),
    });
  }

  private onInvalid(event: InvalidMemEvent): boolean {
    const w = this.window;
    if (!w || w.phase === 'closing') return false;
    const phase = w.phase;
    const pc = event.access === 'fetch' ? event.address : this.uc.regRead('pc');
    const fault: TraceFault = {
      phase,
      kind: event.access === 'fetch' ? 'prefetch abort' : 'data abort',
      pc,
      address: event.address,
      access: event.access,
      detail: `${event.why} ${event.access} of ${event.size} bytes at ${hex(event.address)}`,
      recovered: false,
    };
    if (event.access === 'write') {
      const list = phase === 'routine' ? w.call.routineWrites : w.call.callerWrites;
      const write = [...list].reverse().find((x) => x.address === event.address && x.fault === null);
      if (write) write.fault = event.why;
    }
    w.call.faults.push(fault);
    if (!this.settings.recoverFaults || event.access === 'fetch' || event.why !== 'unmapped') return false;
    const recovered = this.mapScratchPages(event.address, event.size);
    if (!recovered) return false;
    fault.recovered = true;
    fault.detail += '; the tracer mapped a zero page there and went on';
    const list = phase === 'routine' ? w.call.routineWrites : w.call.callerWrites;
    for (const x of list) if (x.fault === 'unmapped' && x.address === event.address) x.recovered = true;
    return true;
  }

  private mapScratchPages(address: bigint, size: number): boolean {
    const first = address & ~(PAGE - 1n);
    const last = (address + BigInt(Math.max(size, 1)) - 1n) & ~(PAGE - 1n);
    for (let page = first; page <= last; page += PAGE) {
      if (this.hiddenPages.delete(page)) {
        this.uc.memMap(page, Number(PAGE));
        continue;
      }
      if (this.recoveredPages.includes(page)) continue;
      if (this.recoveredPages.length >= this.settings.maxRecoveredPages) return false;
      try {
        this.uc.memMap(page, Number(PAGE));
      } catch {
        return false;
      }
      this.recoveredPages.push(page);
    }
    return true;
  }

  // ------------------------------------------------------------ windows

  private openWindow(site: TraceSite): void {
    const hit = this.hits.get(site.address) ?? 1;
    const call: CallTrace = {
      site,
      hit,
      before: this.readRegisters(),
      entered: false,
      returned: false,
      after: null,
      afterAt: 'window-end',
      routineInstructions: 0,
      routineEnd: 'run-end',
      routineWrites: [],
      callerInstructions: 0,
      callerEnd: null,
      callerWrites: [],
      trail: [],
      faults: [],
      droppedWrites: 0,
      serialAt: this.capture.text().length,
    };
    this.dropTranslations();
    const uc = this.uc;
    const hooks = [
      uc.hookBlock((address, size) => this.onBlock(address, size), 1n, 0n),
      uc.hookMem(['write'], (event) => this.onWrite(event), 1n, 0n),
      uc.hookMemInvalid(
        (event) => this.onInvalid(event),
        UC_HOOK.MEM_READ_UNMAPPED | UC_HOOK.MEM_WRITE_UNMAPPED | UC_HOOK.MEM_FETCH_UNMAPPED | UC_HOOK.MEM_WRITE_PROT,
      ),
    ];
    if (site.op === 'left-to-runtime') {
      for (const page of this.recoveredPages) {
        this.uc.memUnmap(page, Number(PAGE));
        this.hiddenPages.add(page);
      }
    }
    this.window = { call, phase: 'routine', hooks };
    this.calls.push(call);
    this.skipAt = site.address;
  }

  private markReturned(w: Window): void {
    if (w.phase !== 'routine') return;
    w.call.returned = true;
    w.call.after = this.readRegisters();
    w.call.afterAt = 'return';
    w.call.routineEnd = 'return';
    w.phase = 'caller';
  }

  /** Ends the window's current phase; from inside a hook, the engine stops and the loop closes it. */
  private endWindow(w: Window, why: WindowEnd, inHook: 'code' | 'block' | false): void {
    if (w.phase === 'closing') return;
    if (w.phase === 'routine') {
      w.call.routineEnd = why;
      w.call.after = this.readRegisters();
      w.call.afterAt = 'window-end';
    } else {
      w.call.callerEnd = why;
    }
    w.phase = 'closing';
    if (inHook) {
      this.closePending = true;
      this.machine.stopFromHook(inHook);
    }
  }

  private closeWindow(): void {
    const w = this.window;
    if (!w) return;
    for (const hook of w.hooks) this.uc.hookDel(hook);
    for (const page of this.hiddenPages) this.uc.memMap(page, Number(PAGE));
    this.hiddenPages.clear();
    this.window = null;
    this.closePending = false;
    this.lazyClose = false;
    this.dropTranslations();
  }

  private dropTranslations(): void {
    this.uc.removeCachedCode(VIRT.ramBase, this.ramEnd);
  }

  // ------------------------------------------------------------ the run

  private async loop(): Promise<TraceResult> {
    let outcome: TraceResult['outcome'] | null = null;
    let fault: MachineFault | null = null;
    const loop = new EmuRunLoop(this.machine, this.capture, {
      limits: {
        timeoutMs: this.settings.timeoutMs,
        silenceMs: 0,
        afterDoneMs: Number.POSITIVE_INFINITY,
        maxSerialBytes: Number.POSITIVE_INFINITY,
      },
      signal: this.signal,
      // Counted slices: the engine stops itself between instructions (sites, window ends, the
      // count), so nothing is replayed. Stops the tracer asked for come first: they look like a
      // halt to the machine.
      afterSlice: (slice) => {
        if (!this.pendingSite && !this.closePending) return slice;
        if (this.window && (this.closePending || this.window.phase === 'closing')) this.closeWindow();
        if (this.pendingSite) {
          const site = this.pendingSite;
          this.pendingSite = null;
          if (this.window) {
            this.endWindow(this.window, 'next-site', false);
            this.closeWindow();
          }
          this.openWindow(site);
        }
        return slice.kind === 'halted' ? { kind: 'running' } : slice;
      },
    });
    const end = await loop.run();
    const pc = this.machine.programCounter;
    switch (end.kind) {
      case 'stop':
        outcome = { kind: 'timeout', detail: end.stop.reason, pc };
        if (this.window) this.endWindow(this.window, 'timeout', false);
        break;
      case 'spin':
        // A timeout, as the runner says it, only reached at once.
        outcome = { kind: 'timeout', detail: `spins on a branch to itself at ${hex(end.pc)}: nothing can raise an interrupt`, pc: end.pc };
        if (this.window) this.endWindow(this.window, 'timeout', false);
        break;
      case 'machine': {
        const slice = end.outcome;
        switch (slice.kind) {
          case 'poweroff':
          case 'exit':
            outcome = { kind: 'poweroff', detail: slice.reason, pc: slice.pc };
            if (this.window) this.endWindow(this.window, 'poweroff', false);
            break;
          case 'fault':
            fault = slice.fault;
            outcome = { kind: 'fault', detail: `${slice.fault.kind}: ${slice.fault.detail}`, pc: slice.fault.pc };
            if (this.window) this.attachFault(this.window, slice.fault);
            break;
          case 'halted':
            outcome = { kind: 'halted', detail: `WFI at ${hex(slice.pc - 4n)}: nothing raises interrupts`, pc: slice.pc };
            if (this.window) this.endWindow(this.window, 'halt', false);
            break;
          case 'unmodelled':
            outcome = { kind: 'fault', detail: `the emulator does not model ${slice.device}: ${slice.detail}`, pc: slice.pc };
            if (this.window) this.endWindow(this.window, 'run-end', false);
            break;
          case 'emulator-limit':
            outcome = { kind: 'fault', detail: `emulator limit: ${slice.reason}`, pc: slice.pc };
            if (this.window) this.endWindow(this.window, 'run-end', false);
            break;
          case 'serial-limit':
            outcome = { kind: 'serial-limit', detail: 'serial output limit', pc };
            if (this.window) this.endWindow(this.window, 'run-end', false);
            break;
        }
      }
    }
    if (this.window) {
      if (this.window.phase !== 'closing') this.endWindow(this.window, 'run-end', false);
      this.closeWindow();
    }
    return {
      calls: this.calls,
      untraced: [...this.untraced].map(([address, count]) => ({ address, count })),
      notReached: [...this.sites.values()].filter((s) => !this.hits.has(s.address)),
      outcome: outcome!,
      fault,
      serial: this.capture.text(),
      recoveredPages: this.recoveredPages,
      settings: this.settings,
      droppedStores: { dropped: this.machine.flash.dropped, droppedTotal: this.machine.flash.droppedTotal },
    };
  }

  private attachFault(w: Window, fault: MachineFault): void {
    const phase: Phase = w.phase === 'caller' ? 'caller' : 'routine';
    const known = w.call.faults.find((f) => !f.recovered && f.address === fault.address && f.access === fault.access);
    if (known) {
      known.pc = fault.pc ?? known.pc;
      known.kind = fault.kind;
    } else {
      w.call.faults.push({
        phase,
        kind: fault.kind,
        pc: fault.pc,
        address: fault.address,
        access: fault.access,
        detail: fault.detail,
        recovered: false,
      });
    }
    this.endWindow(w, 'fault', false);
  }

  // ------------------------------------------------------------ machine state

  private readRegisters(): Registers {
    const x: bigint[] = [];
    for (let i = 0; i <= 30; i++) x.push(this.uc.regRead(`x${i}` as 'x0'));
    return { x, sp: this.uc.regRead('sp'), pc: this.uc.regRead('pc') };
  }

  private readReg(name: string): bigint | null {
    if (name === 'xzr') return 0n;
    if (name === 'sp') return this.uc.regRead('sp');
    const m = /^x(\d+)$/.exec(name);
    return m && Number(m[1]) <= 30 ? this.uc.regRead(name as 'x0') : null;
  }

  private instructionAt(pc: bigint): string {
    let text = this.insnText.get(pc);
    if (text === undefined) {
      try {
        const b = this.uc.memRead(pc, 4);
        text = disassembleWord((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0, pc).text;
      } catch {
        text = '?';
      }
      this.insnText.set(pc, text);
    }
    return text;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
