// From traces of redirected calls to findings in plain words. Pure: (traces, expected convention,
// symbols) -> findings; nothing here looks at markers, so a run whose markers all say Y can
// still be diagnosed (Go >= 1.21 on QEMU, where stray stores to 0x0 land in flash).
import { hex } from '../util/hex.js';
import type { Convention, Reg } from './conventions.js';
import { RESERVED } from './conventions.js';
import { nameValue, routineName, symbolOf, touchesSymbol, type SymbolContext } from './describe.js';
import { unqualified } from '../elf/symbols.js';
import type { EntryPoint } from './entry-points.js';
import type { CallTrace, Registers, TracedWrite, TraceFault, TraceSite, WindowEnd } from './trace.js';

export type FindingKind = 'convention-bug' | 'clobber' | 'no-return' | 'flag-store' | 'left-to-runtime' | 'not-reached' | 'ok';
export type DiagnosisVerdict = FindingKind | 'no-sites';

export interface Finding {
  kind: FindingKind;
  /** "main.kmain+0x7c" */
  site: string;
  address: string;
  /** "main.wbSeed" */
  routine: string;
  /** Which executions of the site (1-based) this finding covers. */
  calls: number[];
  text: string;
}

export interface DiagnoseInput {
  calls: readonly CallTrace[];
  /** Sites that never ran (reported as not-reached). */
  notReached?: readonly TraceSite[];
  /** Why the run ended, for not-reached texts ("a data abort at main.kmain+0x5c"). */
  runEnd?: string;
  convention: Convention | null;
  symbols: SymbolContext;
  /** The runtime's barrier entry points and every call to them (entry-points.ts), for left-to-runtime findings. */
  entryPoints?: readonly EntryPoint[];
}

/** The op of a trace site that still calls the runtime's own barrier (not an edit of the variant). */
export const LEFT_TO_RUNTIME = 'left-to-runtime';

/**
 * Verdict order: the first kind present wins. "not-reached" only when nothing was reached: a
 * variant whose reached sites are all right is ok, whatever fraction of its sites ran.
 */
const PRIORITY: FindingKind[] = ['convention-bug', 'flag-store', 'clobber', 'no-return', 'left-to-runtime', 'ok', 'not-reached'];

/** QEMU virt's flash: 0x0-0x7ffffff (two 64 MiB banks); stores there are dropped, on QEMU and (recorded) on the emulator. */
export const QEMU_FLASH_END = 0x0800_0000n;

/** The caller's stores that did not land as written: faulted, recovered, or dropped by the flash. */
export function undeliveredWrites(writes: readonly TracedWrite[]): TracedWrite[] {
  return writes.filter((w) => w.fault !== null || w.recovered || w.address < QEMU_FLASH_END);
}

export function diagnose(input: DiagnoseInput): Finding[] {
  const findings: Finding[] = [];
  const redirected = input.calls.filter((c) => c.site.op !== LEFT_TO_RUNTIME);
  const names = namesakeWords(input.entryPoints);
  for (const call of redirected) {
    const siblings = redirected.filter((c) => c.site.routine === call.site.routine);
    for (const { kind, text } of diagnoseCall(call, siblings, input.convention, input.symbols, names)) {
      const same = findings.find((f) => f.address === hex(call.site.address) && f.kind === kind && f.text === text);
      if (same) same.calls.push(call.hit);
      else
        findings.push({
          kind,
          site: call.site.location,
          address: hex(call.site.address),
          routine: routineName(call.site.routineSymbol),
          calls: [call.hit],
          text,
        });
    }
  }
  findings.push(...leftToRuntime(input));
  for (const site of (input.notReached ?? []).filter((s) => s.op !== LEFT_TO_RUNTIME)) {
    const routine = routineName(site.routineSymbol);
    const why = input.runEnd ? `; the run ended first (${input.runEnd})` : ': the code path to it was not taken';
    findings.push({
      kind: 'not-reached',
      site: site.location,
      address: hex(site.address),
      routine,
      calls: [],
      text: `the call to ${routine} at ${site.location} never ran${why}.`,
    });
  }
  return findings;
}

/**
 * One finding per runtime entry point whose calls the variant left alone and that ran: "12 calls
 * to runtime.gcWriteBarrier1 still reach the runtime's barrier, which needs g in x28; the first
 * one executed, at X, faults at Y". Left-behind calls that never ran are only counted.
 */
function leftToRuntime(input: DiagnoseInput): Finding[] {
  const out: Finding[] = [];
  const calls = input.calls.filter((c) => c.site.op === LEFT_TO_RUNTIME);
  for (const entry of input.entryPoints ?? []) {
    const mine = calls.filter((c) => c.site.routine === entry.address);
    if (mine.length === 0) continue;
    const first = mine[0]!;
    const left = entry.calls.filter((c) => c.redirectedTo === null).length;
    const sitesRan = new Set(mine.map((c) => c.site.address)).size;
    const t = new Teller(first, mine, input.convention, input.symbols);
    const namesake = entry.namesakes.length
      ? ` (${entry.label}, ${entry.binding ?? 'global'}, not the kernel's own ${joinWords(entry.namesakes.map((n) => `${n.label} (${n.binding})`))})`
      : '';
    const g = `x28 = ${nameValue(input.symbols, first.before.x[28]!)}`;
    const fault = first.faults.find((f) => f.phase === 'routine');
    let effect: string;
    if (fault)
      effect = `faults at ${t.placeOf(fault.pc)}${fault.access && fault.address !== null ? ` (${fault.access} of ${nameValue(input.symbols, fault.address)})` : ''} with ${g}`;
    else if (first.returned) effect = `returned (with ${g}): the runtime's barrier ran on this g`;
    else effect = `never returned (${endWords(first.routineEnd)}) with ${g}`;
    const text =
      `${left} call${left === 1 ? '' : 's'} to ${entry.name} still reach${left === 1 ? 'es' : ''} the runtime's barrier${namesake}, which needs g in x28: it reads the write-barrier buffer of g.m.p (MOVD g_m(g), R0; MOVD m_p(R0), R0 in asm_arm64.s). ` +
      `${sitesRan} of those call sites ran; the first one executed, at ${first.site.location}, ${effect}.`;
    out.push({
      kind: 'left-to-runtime',
      site: first.site.location,
      address: hex(first.site.address),
      routine: entry.label,
      calls: mine.filter((c) => c.site.address === first.site.address).map((c) => c.hit),
      text,
    });
  }
  return out;
}

export interface FindingGroup {
  kind: FindingKind;
  routine: string;
  /** Distinct call sites with this finding. */
  sites: number;
  /** Traced executions. */
  calls: number;
  /** The first example, as diagnose() said it. */
  first: Finding;
}

/** Findings grouped by routine and kind (one line each: the count and the first example), in verdict order. */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const groups: FindingGroup[] = [];
  const seen = new Map<string, { group: FindingGroup; sites: Set<string> }>();
  for (const f of findings) {
    const key = `${f.kind}\0${f.routine}`;
    let g = seen.get(key);
    if (!g) {
      g = { group: { kind: f.kind, routine: f.routine, sites: 0, calls: 0, first: f }, sites: new Set() };
      seen.set(key, g);
      groups.push(g.group);
    }
    g.sites.add(f.address);
    g.group.sites = g.sites.size;
    g.group.calls += f.calls.length;
  }
  return groups.sort((a, b) => PRIORITY.indexOf(a.kind) - PRIORITY.indexOf(b.kind));
}

export function verdictOf(findings: readonly Finding[], siteCount: number): DiagnosisVerdict {
  if (siteCount === 0) return 'no-sites';
  for (const kind of PRIORITY) if (findings.some((f) => f.kind === kind)) return kind;
  return 'ok';
}

// ------------------------------------------------------------ one call

interface Said {
  kind: FindingKind;
  text: string;
}

/**
 * How texts name routines that share a name: "the kernel's own runtime.gcWriteBarrier2 (weak
 * global)" and "the runtime's own runtime.gcWriteBarrier2 (local)", by label.
 */
function namesakeWords(entryPoints: readonly EntryPoint[] | undefined): Map<string, string> {
  const words = new Map<string, string>();
  for (const e of entryPoints ?? []) {
    if (e.namesakes.length === 0) continue;
    words.set(e.label, `the runtime's own ${e.name} (${e.binding ?? 'global'})`);
    for (const n of e.namesakes) words.set(n.label, `the kernel's own ${e.name} (${n.binding})`);
  }
  return words;
}

function diagnoseCall(
  call: CallTrace,
  siblings: readonly CallTrace[],
  convention: Convention | null,
  ctx: SymbolContext,
  names: ReadonlyMap<string, string> = new Map(),
): Said[] {
  const out: Said[] = [];
  const t = new Teller(call, siblings, convention, ctx, names);
  out.push(...t.noReturn());
  out.push(...t.flagStores());
  out.push(...t.conventionCheck());
  out.push(...t.clobbers());
  if (out.length === 0) out.push({ kind: 'ok', text: t.okText() });
  return out;
}

class Teller {
  readonly who: string;
  readonly routine: string;
  readonly ret: bigint;

  constructor(
    readonly call: CallTrace,
    /** Every traced call of the same routine: a register it changed in one call, it sets. */
    readonly siblings: readonly CallTrace[],
    readonly c: Convention | null,
    readonly ctx: SymbolContext,
    readonly names: ReadonlyMap<string, string> = new Map(),
  ) {
    this.routine = names.get(call.site.routineSymbol) ?? routineName(call.site.routineSymbol);
    this.who = `${this.routine} at ${call.site.location}`;
    this.ret = call.site.address + 4n;
  }

  // ---------------------------------------------------------- checks

  noReturn(): Said[] {
    const call = this.call;
    if (call.returned) return [];
    const fault = call.faults.find((f) => f.phase === 'routine' && !f.recovered);
    let why: string;
    if (fault) why = `it took ${this.faultWords(fault)}`;
    else if (call.routineEnd === 'budget')
      why = `after ${call.routineInstructions} instructions it was still away, at ${this.where(call.after?.pc ?? null)}${this.trailWords()}`;
    else why = `the run ended inside it (${endWords(call.routineEnd)}${call.after ? `, at ${this.where(call.after.pc)}` : ''})`;
    const lr = call.after ? ` x30 was ${nameValue(this.ctx, call.after.x[30]!)}.` : '';
    return [
      {
        kind: 'no-return',
        text: `${this.who} never returned to the call site + 4 (${this.where(this.ret)}): ${why}.${lr} A barrier routine must return to the instruction after the call.`,
      },
    ];
  }

  flagStores(): Said[] {
    const flag = this.flagName();
    if (!flag) return [];
    const hits = this.call.routineWrites.filter((w) => touchesSymbol(this.ctx, flag, w.address, w.size));
    if (hits.length === 0) return [];
    const w = hits[0]!;
    const word = w.value & 0xffff_ffffn;
    const effect =
      word !== 0n
        ? `its 32-bit word, which the compiled code tests, now reads ${hex(word)}: the barrier is "enabled" for every later pointer store`
        : 'it now reads 0: the barrier is "disabled" for every later pointer store';
    return [
      {
        kind: 'flag-store',
        text: `${this.who} wrote into the write-barrier flag ${flag} itself: it ${this.storeWords(w, 'routine')}; ${effect}.`,
      },
    ];
  }

  conventionCheck(): Said[] {
    if (!this.c) return [];
    return this.c.style === 'store' ? this.storeStyle(this.c) : this.bufferStyle(this.c);
  }

  clobbers(): Said[] {
    const call = this.call;
    if (!call.returned || !call.after) return [];
    const preserved = this.c?.preserved ?? ['x19', 'x20', 'x21', 'x22', 'x23', 'x24', 'x25', 'x26', 'x27', 'x28', 'x29', 'sp'];
    const changed = preserved.filter((r) => reg(call.before, r) !== reg(call.after!, r));
    if (changed.length === 0) return [];
    const list = changed.map(
      (r) =>
        `${r}${RESERVED[r] ? ` (${RESERVED[r]})` : ''} ${nameValue(this.ctx, reg(call.before, r)!)} -> ${nameValue(this.ctx, reg(call.after!, r)!)}`,
    );
    const rule =
      this.c?.source === 'go-version'
        ? "Go's compiler keeps values in every general register except x16, x17, x27 (REGTMP) and x30 across a barrier call (LoweredWB in ARM64Ops.go), and x19-x29 and sp are callee-saved or reserved"
        : 'a barrier routine must preserve x19-x29 and sp (callee-saved or reserved)';
    return [{ kind: 'clobber', text: `${this.who} returned with ${joinWords(list)} changed and not restored; ${rule}.` }];
  }

  okText(): string {
    const call = this.call;
    const tail = call.returned ? `returned to ${this.where(this.ret)} with the preserved registers intact` : 'ran';
    if (!this.c)
      return `${this.who} ${tail}; no write-barrier convention is known for this binary, so its stores were not checked (give --convention).`;
    if (this.c.style === 'store') {
      const slot = this.c.args!.slot;
      const value = this.c.args!.value;
      return `${this.who} stored ${value} (=${this.nameReg(value)}, the value) to [${slot}] (=${this.nameReg(slot)}, the slot) and ${tail}: this matches ${this.c.label}.`;
    }
    const buf = this.c.returns!.buffer;
    const after = call.after ? reg(call.after, buf)! : null;
    const fills = this.bufferWrites(buf, after).map((w) => this.storeWords(w, 'caller', true));
    const filled = fills.length ? `; the caller then stored ${joinWords(fills)}` : '';
    return `${this.who} ${tail} and ${buf} = ${after === null ? '?' : nameValue(this.ctx, after)}${filled}: this matches ${this.c.label}.`;
  }

  // ---------------------------------------------------------- conventions

  private storeStyle(c: Convention): Said[] {
    const call = this.call;
    const { slot, value } = c.args!;
    const slotAt = reg(call.before, slot)!;
    const val = reg(call.before, value)!;
    const writes = call.routineWrites;
    const toSlot = writes.filter((w) => w.address === slotAt);
    const good = toSlot.some((w) => w.value === val && w.size === 8);
    if (!c.performsStore || good) return [];
    const others = writes
      .filter((w) => !toSlot.includes(w))
      .slice(0, 3)
      .map((w) => this.storeWords(w, 'routine'));
    const wrongValue = toSlot.length
      ? `stored ${nameValue(this.ctx, toSlot[0]!.value)} to the slot [${slot}] instead of ${value} (=${this.nameReg(value)}, the value)`
      : null;
    let did: string;
    if (wrongValue) did = [wrongValue, ...others].join(' and ');
    else if (others.length) did = `${joinWords(others)}; the slot was never written`;
    else did = `wrote nothing to memory; the slot [${slot}] (=${this.nameReg(slot)}) was never written`;
    if (!wrongValue && others.length && call.callerWrites.some((w) => w.address === slotAt))
      did = did.replace('the slot was never written', 'the routine never wrote the slot');
    const rule = `${capital(c.label)} takes the slot in ${slot} and the value in ${value}${others.length || wrongValue ? ` (=${this.nameReg(value)})` : ''} and performs the store itself: the routine should store ${value} to [${slot}].`;
    const notes = [this.regtmpNoteFor(writes), this.otherConventionNote()].filter((s) => s !== '').join('');
    return [{ kind: 'convention-bug', text: `${this.who} ${did}. ${rule}${notes}` }];
  }

  private bufferStyle(c: Convention): Said[] {
    const call = this.call;
    const buf = c.returns!.buffer;
    const bytes = c.returns!.bytes ?? bytesFromRoutine(call.site.replaced);
    const before = reg(call.before, buf)!;
    const after = call.after ? reg(call.after, buf)! : null;
    const out: Said[] = [];
    const stray = this.strayWrites(c);
    const strayText = stray.length
      ? ` It also ${joinWords(stray.slice(0, 3).map((w) => this.storeWords(w, 'routine')))}: ${c.label} takes no arguments, so those registers hold whatever the caller left in them.${this.regtmpNoteFor(stray)}`
      : '';
    const replaced = call.site.replaced ? (this.names.get(call.site.replaced) ?? call.site.replaced) : null;
    const size = bytes ? ` (${replaced ? `${replaced}: ` : ''}${bytes} bytes)` : '';
    const rule = `${capital(c.label)} returns buffer space in ${buf}${size}; the compiled code stores the new value and the old contents of the slot there, then does the slot store itself. The routine should set ${buf} to a buffer of at least ${bytes ?? 'the needed number of'} bytes.`;
    const fillsAt = this.bufferWrites(buf, after ?? before);
    const unusable = (after ?? before) === 0n || fillsAt.some((w) => w.fault !== null || w.recovered);
    // Unchanged is "not set" unless the value is usable and the routine set it in another call.
    const setsIt =
      (call.registersWritten ?? []).includes(buf) ||
      this.siblings.some((s) => s.returned && s.after && reg(s.after, buf) !== reg(s.before, buf));
    if (after === null || (after === before && (unusable || !setsIt))) {
      const when = call.returned ? '' : call.routineEnd === 'fault' ? ' before it faulted' : ' before the window ended';
      const fills = fillsAt;
      const fillText = fills.length
        ? ` The caller stored ${joinWords(fills.map((w) => this.storeWords(w, 'caller', true, true)))}${this.faultTail(fills)}.`
        : '';
      out.push({
        kind: 'convention-bug',
        text: `${buf} was not set by ${this.routine} (called at ${call.site.location})${when}: it still held ${nameValue(this.ctx, before)} from before the call.${fillText} ${rule}${strayText}`,
      });
      return out;
    }
    // Set: the buffer must take the caller's stores.
    const faulted = fillsAt.filter((w) => w.fault !== null || w.recovered);
    const target = symbolOf(this.ctx, after);
    if (faulted.length) {
      out.push({
        kind: 'convention-bug',
        text: `${this.routine} (called at ${call.site.location}) set ${buf} = ${nameValue(this.ctx, after)}, which is not writable memory: the caller stored ${joinWords(faulted.map((w) => this.storeWords(w, 'caller', true, true)))}${this.faultTail(faulted)}. ${rule}${strayText}`,
      });
      return out;
    }
    const room = this.roomAt(after);
    if (bytes !== null && room !== null && room < bytes) {
      out.push({
        kind: 'convention-bug',
        text: `${this.routine} (called at ${call.site.location}) set ${buf} = ${target}, which has only ${room} bytes left; the caller writes ${bytes} there. ${rule}${strayText}`,
      });
      return out;
    }
    if (stray.length)
      out.push({ kind: 'convention-bug', text: `${this.who} set ${buf} correctly, but${strayText.replace(/^ It also/, ' it also')}` });
    return out;
  }

  /** Routine writes through a register it did not change since the call (other than sp and the buffer). */
  private strayWrites(c: Convention): TracedWrite[] {
    const buf = c.returns?.buffer;
    return this.call.routineWrites.filter(
      (w) => w.base !== null && w.base !== 'sp' && w.base !== buf && w.baseValue !== null && reg(this.call.before, w.base) === w.baseValue,
    );
  }

  private bufferWrites(buf: Reg, at: bigint | null): TracedWrite[] {
    if (at === null) return [];
    return this.call.callerWrites.filter((w) => w.base === buf || (w.address >= at && w.address < at + 64n && w.base === null));
  }

  // ---------------------------------------------------------- words

  /** "stored x2 (=&main.gp, the slot) into [x27] (=&runtime.writeBarrier)", or the "to [x25] = 0x0" form. */
  storeWords(w: TracedWrite, phase: 'routine' | 'caller', short = false, addressAsValue = false): string {
    const regs = phase === 'routine' ? this.call.before : (this.call.after ?? this.call.before);
    const src = w.source && w.source !== 'xzr' ? w.source : null;
    const what = src
      ? `${src} (=${nameValue(this.ctx, w.value)}${this.role(src, regs, w.value)})`
      : w.source === 'xzr'
        ? 'zero'
        : nameValue(this.ctx, w.value);
    const off = w.baseValue !== null ? w.address - w.baseValue : 0n;
    const place = w.base ? `[${w.base}${off > 0n ? `+${hex(off)}` : off < 0n ? `-${hex(-off)}` : ''}]` : `[${hex(w.address)}]`;
    if (addressAsValue) return `${what} to ${place} = ${hex(w.address)}`;
    const placeName = w.base ? ` (=${nameValue(this.ctx, w.address)}${this.pageNote(w.address)}${this.role(w.base, regs, w.address)})` : '';
    return short ? `${what} to ${place}${placeName}` : `stored ${what} into ${place}${placeName}`;
  }

  /** ", the slot" when the register has that role and still holds the call's value. */
  private role(r: string, regs: Registers, value: bigint): string {
    const c = this.c;
    if (!c?.args || reg(regs, r) !== value) return '';
    if (r === c.args.slot) return ', the slot';
    if (r === c.args.value) return ', the value';
    return '';
  }

  private nameReg(r: Reg): string {
    return nameValue(this.ctx, reg(this.call.before, r)!);
  }

  /** ", the page of runtime.writeBarrier" for an adrp-only address of the flag. */
  private pageNote(address: bigint): string {
    const flag = this.flagName();
    if (!flag) return '';
    let symbol;
    try {
      symbol = this.ctx.symbols.resolve(flag);
    } catch {
      return '';
    }
    if (!symbol || address === symbol.value || address !== (symbol.value & ~0xfffn)) return '';
    return `, the 4 KiB page holding ${flag}`;
  }

  /** Why x27 is not an argument (Go conventions only). */
  private regtmpNoteFor(writes: readonly TracedWrite[]): string {
    if (this.c && this.c.source !== 'go-version' && !this.c.name.startsWith('go')) return '';
    if (!writes.some((w) => w.base === 'x27' || w.source === 'x27')) return '';
    const flag = this.flagName();
    const loaded = flag ? `: the compiled code had just used it to load ${flag}` : '';
    return ` (x27 is REGTMP, the Go assembler's scratch register, not an argument${loaded}.)`;
  }

  /** "It set x25 = &main.wbbuf, as Go >= 1.21's barrier does" for a store-style binary. */
  private otherConventionNote(): string {
    const call = this.call;
    if (!call.after || this.c?.style !== 'store') return '';
    const before = call.before.x[25]!;
    const after = call.after.x[25]!;
    if (before === after || !symbolOf(this.ctx, after)) return '';
    return ` It set x25 = ${nameValue(this.ctx, after)} instead, which is what Go >= 1.21's barrier does (return buffer space in x25): the wrong convention for this binary.`;
  }

  private faultTail(writes: readonly TracedWrite[]): string {
    // A store into virt's flash neither faults nor lands: the emulator drops it as QEMU does (and records it).
    const bad = undeliveredWrites(writes);
    if (bad.length === 0) return '';
    const first = bad[0]!.address;
    const recovered = bad.some((w) => w.recovered);
    const dropped = bad.every((w) => w.fault === null && !w.recovered);
    const emu = dropped
      ? `${hex(first)} is virt's flash, not RAM: the store is dropped there (the emulator records it)`
      : `${hex(first)} is not RAM: the emulator maps nothing there (a data abort${recovered ? '; the tracer mapped a zero page to keep going' : ''})`;
    const qemu = bad.every((w) => w.address < QEMU_FLASH_END)
      ? `, and on QEMU virt it is flash, where such stores vanish and every marker can still say Y: a masked failure`
      : '';
    return ` — ${emu}${qemu}`;
  }

  private faultWords(f: TraceFault): string {
    const at = f.pc === null ? '' : ` at ${this.where(f.pc)}`;
    const what = f.access && f.address !== null ? ` (${f.access} of ${nameValue(this.ctx, f.address)})` : '';
    return `a ${f.kind}${at}${what}`;
  }

  private trailWords(): string {
    const names = [...new Set(this.call.trail.map((a) => this.where(a)))].slice(0, 6);
    return names.length > 1 ? ` (it ran ${names.join(', ')}...)` : '';
  }

  /** "gcWriteBarrier+0x14" */
  placeOf(address: bigint | null): string {
    return this.where(address);
  }

  private where(address: bigint | null): string {
    if (address === null) return '?';
    const s = symbolOf(this.ctx, address);
    return s ? routineName(s.replace(/^&/, '')) : hex(address);
  }

  private flagName(): string | null {
    if (this.c) return this.c.flag;
    // No convention: Go's flag, when the binary has it.
    return this.ctx.symbols.resolve('runtime.writeBarrier') ? 'runtime.writeBarrier' : null;
  }

  /** Bytes from address to the end of the object it points into, or null when unknown. */
  private roomAt(address: bigint): number | null {
    const hit = this.ctx.symbols.lookup(address);
    if (!hit || hit.symbol.size === 0n) return null;
    return Number(hit.symbol.size - hit.offset);
  }
}

function reg(regs: Registers, name: Reg): bigint | null {
  if (name === 'sp') return regs.sp;
  const m = /^x(\d+)$/.exec(name);
  return m ? (regs.x[Number(m[1])] ?? null) : null;
}

/** gcWriteBarrier2 -> 16 bytes (N pointers, 8 bytes each). */
function bytesFromRoutine(name: string | null): number | null {
  const m = name ? /gcWriteBarrier(\d)$/.exec(unqualified(name)) : null;
  return m ? 8 * Number(m[1]) : null;
}

function endWords(end: WindowEnd): string {
  switch (end) {
    case 'poweroff':
      return 'the kernel powered off';
    case 'halt':
      return 'the CPU waits in WFI';
    case 'timeout':
      return 'the run timed out';
    case 'fault':
      return 'a fault';
    default:
      return end;
  }
}

function joinWords(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
