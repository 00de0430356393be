// Register-level parity, pure: pairs QEMU's and the emulator's breakpoint snapshots hit by hit
// (execution order), compares them register by register, and classifies each difference.
//
// "Determined by the code" is decided by experiment, not by guessing from instruction semantics:
// the emulator is run more than once (parity.ts does that; this file only reads the results).
// - repeat:   a second emulator run from the same state. A register that differs between the two
//             is nondeterministic: its value comes from a time source (the generic timer's
//             CNTVCT_EL0/CNTPCT_EL0, which both QEMU and Unicorn drive from host time, QEMU from 0
//             at machine start, Unicorn without that offset) or from something derived from one.
//             A QEMU/emulator difference there is legitimate: the code did not determine it.
// - seeded:   an emulator run started from QEMU's reset registers. A difference that disappears
//             when the emulator starts where QEMU starts came from the reset state, not from the
//             code: legitimate. (Only run when the reset states differ; measured with QEMU 7.2
//             and Unicorn 2.0.1 they do not: x0-x30 and sp are 0, pc the ELF entry and cpsr
//             0x400003c5 on both, for every -cpu the emulator models.)
// - poisoned: an emulator run whose x0-x30 and sp start as distinct poison values. A register
//             whose value at a hit differs from the normal run is not determined by the code at
//             that hit (it is, or derives from, a reset value). Informational: such registers agree
//             between QEMU and the emulator only because both reset them to 0; a board whose
//             firmware leaves other values there would legitimately differ.
// Anything else that differs — same start state, deterministic, yet another value at the same
// instruction — is a divergence, and the first one in execution order is the earliest divergence.
import type { SymbolContext } from '../diagnose/describe.js';
import { symbolOf } from '../diagnose/describe.js';
import { CORE_REGISTERS, type BreakpointHit, type RegisterValues, type SnapshotRun } from '../gdb/snapshot.js';
import { parseMarkers } from '../markers/parse.js';
import { hex } from '../util/hex.js';

export type RowStatus = 'same' | 'legitimate' | 'divergence';
export type LegitimateReason = 'nondeterministic' | 'reset-state';

export interface RegisterRow {
  reg: string;
  qemu: string | null;
  emu: string | null;
  qemuSymbol: string | null;
  emuSymbol: string | null;
  status: RowStatus;
  reason: LegitimateReason | null;
  /** Why a difference is legitimate, or what the divergence is, in words. */
  why: string | null;
  /** True: the code determines this register here; false: it depends on the reset state; null: unknown. */
  determined: boolean | null;
  /** Two emulator runs from the same start disagree on it (a time source). */
  nondeterministic: boolean;
}

export interface HitComparison {
  seq: number;
  address: string;
  location: string;
  hitOfBreakpoint: number;
  rows: RegisterRow[];
  legitimate: number;
  divergences: number;
  /** Registers whose value here depends on the reset state (from the poisoned run), in order. */
  undetermined: string[];
  /** The serial output before this hit is the same on both runners. */
  serialAgrees: boolean;
  /** The markers parsed from that output are the same on both runners. */
  markersAgree: boolean;
}

export interface EarliestDivergence {
  /** register: same pc, a register differs; path: the runners reached different breakpoints, or one stopped. */
  kind: 'register' | 'path';
  seq: number;
  address: string | null;
  location: string | null;
  register: string | null;
  qemu: string | null;
  emu: string | null;
  qemuSymbol: string | null;
  emuSymbol: string | null;
  /** Were the markers (and serial text) still the same when the registers diverged? */
  markersAgreed: boolean;
  serialAgreed: boolean;
  text: string;
}

export type ParityVerdict = 'parity' | 'divergence' | 'no-hits';

export interface ParityComparison {
  verdict: ParityVerdict;
  summary: string;
  hits: HitComparison[];
  earliest: EarliestDivergence | null;
  /** Every legitimately differing register, with why and where. */
  legitimate: { reg: string; reason: LegitimateReason; why: string; hits: number[] }[];
  /** Registers that never depended on the reset state at any hit, and those that did at some hit. */
  determinedEverywhere: string[];
  undeterminedSomewhere: string[];
  resetDifferences: { reg: string; qemu: string; emu: string }[];
}

export interface CompareInput {
  qemu: SnapshotRun;
  emu: SnapshotRun;
  repeat?: SnapshotRun | null;
  seeded?: SnapshotRun | null;
  poisoned?: SnapshotRun | null;
  symbols: SymbolContext;
  /** Registers to compare (default x0..x30, sp, pc, then cpsr when both runners report it). */
  registers?: readonly string[];
}

/** Registers compared by default: the core ones, then cpsr (flags) when both sides have it. */
export function comparedRegisters(a: RegisterValues, b: RegisterValues): string[] {
  return [...CORE_REGISTERS, ...('cpsr' in a && 'cpsr' in b ? ['cpsr'] : [])];
}

/** The poison the poisoned run starts x<n> with (and sp with n = 31): unmistakable, distinct per register. */
export function poisonValue(index: number): bigint {
  return 0x5a5a_0000_0000_0000n | (BigInt(index) << 32n) | 0xdead_0000n | BigInt(index);
}

export function poisonedResetRegisters(): RegisterValues {
  const out: RegisterValues = {};
  for (let i = 0; i <= 30; i++) out[`x${i}`] = poisonValue(i);
  out['sp'] = poisonValue(31) & ~0xfn;
  return out;
}

/** The reset registers that differ between two runs (the seeded run is needed only when some do). */
export function resetDifferences(
  qemu: RegisterValues,
  emu: RegisterValues,
  registers: readonly string[],
): { reg: string; qemu: string; emu: string }[] {
  return registers
    .filter((r) => r !== 'pc' && r in qemu && r in emu && qemu[r] !== emu[r])
    .map((r) => ({ reg: r, qemu: hex(qemu[r]!), emu: hex(emu[r]!) }));
}

export function compareRuns(input: CompareInput): ParityComparison {
  const { qemu, emu, symbols } = input;
  const sample = qemu.hits[0]?.registers ?? qemu.reset;
  const registers = input.registers ?? comparedRegisters(sample, emu.hits[0]?.registers ?? emu.reset);
  const resetDiff = resetDifferences(qemu.reset, emu.reset, registers);
  const hits: HitComparison[] = [];
  let earliest: EarliestDivergence | null = null;
  const count = Math.max(qemu.hits.length, emu.hits.length);
  for (let i = 0; i < count; i++) {
    const q = qemu.hits[i];
    const e = emu.hits[i];
    if (!q || !e || q.address !== e.address) {
      earliest ??= pathDivergence(i, q ?? null, e ?? null, qemu, emu, symbols);
      break; // past a path difference, hits no longer pair up
    }
    const comparison = compareHit(q, e, {
      registers,
      repeat: matching(input.repeat, q),
      seeded: matching(input.seeded, q),
      poisoned: matching(input.poisoned, q),
      qemuReset: qemu.reset,
      emuReset: emu.reset,
      poisonedReset: input.poisoned?.reset ?? null,
      resetDiffers: resetDiff.length > 0,
      symbols,
    });
    hits.push(comparison);
    if (!earliest) {
      const row = comparison.rows.find((r) => r.status === 'divergence');
      if (row) earliest = registerDivergence(comparison, row);
    }
  }
  const legitimate = collectLegitimate(hits);
  const undeterminedSomewhere = registers.filter((r) => hits.some((h) => h.undetermined.includes(r)));
  const determinedEverywhere = input.poisoned ? registers.filter((r) => !undeterminedSomewhere.includes(r) && hits.length > 0) : [];
  const verdict: ParityVerdict = earliest ? 'divergence' : hits.length === 0 ? 'no-hits' : 'parity';
  return {
    verdict,
    summary: summarise(verdict, hits, earliest, legitimate, qemu, emu),
    hits,
    earliest,
    legitimate,
    determinedEverywhere,
    undeterminedSomewhere,
    resetDifferences: resetDiff,
  };
}

interface HitContext {
  registers: readonly string[];
  repeat: BreakpointHit | null;
  seeded: BreakpointHit | null;
  poisoned: BreakpointHit | null;
  qemuReset: RegisterValues;
  emuReset: RegisterValues;
  /** The poisoned run's start registers. */
  poisonedReset: RegisterValues | null;
  resetDiffers: boolean;
  symbols: SymbolContext;
}

/** The hit of another run at the same position, if it reached the same breakpoint there. */
function matching(run: SnapshotRun | null | undefined, hit: BreakpointHit): BreakpointHit | null {
  const other = run?.hits[hit.seq - 1];
  return other && other.address === hit.address ? other : null;
}

export function compareHit(q: BreakpointHit, e: BreakpointHit, ctx: HitContext): HitComparison {
  const rows: RegisterRow[] = [];
  const undetermined: string[] = [];
  for (const reg of ctx.registers) {
    const qv = q.registers[reg];
    const ev = e.registers[reg];
    const repeated = ctx.repeat?.registers[reg];
    const nondeterministic = ev !== undefined && repeated !== undefined && repeated !== ev;
    // Only registers the poisoned run really started differently say anything (not pc, not cpsr),
    // and only when the value is reproducible (a time-derived value differs between any two runs).
    let determined: boolean | null = null;
    if (reg === 'pc') determined = ctx.poisoned ? true : null;
    else if (
      !nondeterministic &&
      ctx.poisoned &&
      ctx.poisonedReset?.[reg] !== undefined &&
      ctx.poisonedReset[reg] !== ctx.emuReset[reg] &&
      ev !== undefined
    ) {
      determined = ctx.poisoned.registers[reg] === ev;
    }
    if (determined === false) undetermined.push(reg);
    const row: RegisterRow = {
      reg,
      qemu: qv === undefined ? null : hex(qv),
      emu: ev === undefined ? null : hex(ev),
      qemuSymbol: qv === undefined ? null : symbolOf(ctx.symbols, qv),
      emuSymbol: ev === undefined ? null : symbolOf(ctx.symbols, ev),
      status: 'same',
      reason: null,
      why: null,
      determined,
      nondeterministic,
    };
    if (qv === undefined || ev === undefined || qv === ev) {
      rows.push(row);
      continue;
    }
    const seeded = ctx.seeded?.registers[reg];
    if (nondeterministic) {
      row.status = 'legitimate';
      row.reason = 'nondeterministic';
      row.why = `depends on when the run happens: the emulator reads ${hex(ev)}, then ${hex(repeated!)} from the same start 1 s later: a time source such as the generic timer counter (CNTVCT_EL0), not the code, set it`;
    } else if (ctx.resetDiffers && seeded !== undefined && seeded === qv) {
      row.status = 'legitimate';
      row.reason = 'reset-state';
      const untouched = qv === ctx.qemuReset[reg] && ev === ctx.emuReset[reg];
      row.why = untouched
        ? `never written since reset: QEMU resets it to ${hex(qv)}, the emulator to ${hex(ev)}`
        : `derived from the reset state: started from QEMU's reset registers the emulator computes ${hex(seeded)} too`;
    } else {
      row.status = 'divergence';
      const start = !ctx.resetDiffers
        ? 'same reset state'
        : seeded !== undefined
          ? "even with the emulator started from QEMU's reset registers"
          : "the emulator run from QEMU's reset registers did not reach this hit";
      row.why = `same instruction, ${start}, reproducible, yet another value${determined === false ? ' (the value also depends on the reset state)' : ''}`;
    }
    rows.push(row);
  }
  const qemuMarkers = parseMarkers(q.serialBefore).markers;
  const emuMarkers = parseMarkers(e.serialBefore).markers;
  return {
    seq: q.seq,
    address: hex(q.address),
    location: ctx.symbols.symbols.format(q.address),
    hitOfBreakpoint: q.hitOfBreakpoint,
    rows,
    legitimate: rows.filter((r) => r.status === 'legitimate').length,
    divergences: rows.filter((r) => r.status === 'divergence').length,
    undetermined,
    serialAgrees: q.serialBefore === e.serialBefore,
    markersAgree: JSON.stringify(sortKeys(qemuMarkers)) === JSON.stringify(sortKeys(emuMarkers)),
  };
}

function registerDivergence(hit: HitComparison, row: RegisterRow): EarliestDivergence {
  const q = row.qemuSymbol ? `${row.qemu} (${row.qemuSymbol})` : row.qemu;
  const e = row.emuSymbol ? `${row.emu} (${row.emuSymbol})` : row.emu;
  const when = hit.markersAgree
    ? hit.serialAgrees
      ? 'before any marker differs (the serial output so far is identical)'
      : 'while the markers so far still agree (the serial text differs)'
    : 'after the markers had already differed';
  return {
    kind: 'register',
    seq: hit.seq,
    address: hit.address,
    location: hit.location,
    register: row.reg,
    qemu: row.qemu,
    emu: row.emu,
    qemuSymbol: row.qemuSymbol,
    emuSymbol: row.emuSymbol,
    markersAgreed: hit.markersAgree,
    serialAgreed: hit.serialAgrees,
    text: `earliest parity divergence at hit ${hit.seq} (${hit.location}${hit.hitOfBreakpoint > 1 ? `, time ${hit.hitOfBreakpoint} there` : ''}, pc ${hit.address}): ${row.reg} is ${q} on QEMU but ${e} on the emulator, ${when}`,
  };
}

function pathDivergence(
  index: number,
  q: BreakpointHit | null,
  e: BreakpointHit | null,
  qemu: SnapshotRun,
  emu: SnapshotRun,
  symbols: SymbolContext,
): EarliestDivergence {
  const at = (h: BreakpointHit) => `${symbols.symbols.format(h.address)} (${hex(h.address)})`;
  let text: string;
  if (q && e) text = `at hit ${index + 1} QEMU reached ${at(q)} but the emulator reached ${at(e)}`;
  else if (q) text = `QEMU reached ${at(q)} (hit ${index + 1}) but the emulator ended first: ${emu.end.detail}`;
  else text = `the emulator reached ${at(e!)} (hit ${index + 1}) but QEMU ended first: ${qemu.end.detail}`;
  const hit = q ?? e!;
  const serialAgreed = !!q && !!e && q.serialBefore === e.serialBefore;
  const markersAgreed =
    !!q &&
    !!e &&
    JSON.stringify(sortKeys(parseMarkers(q.serialBefore).markers)) === JSON.stringify(sortKeys(parseMarkers(e.serialBefore).markers));
  return {
    kind: 'path',
    seq: index + 1,
    address: hex(hit.address),
    location: symbols.symbols.format(hit.address),
    register: q && e ? 'pc' : null,
    qemu: q ? hex(q.address) : null,
    emu: e ? hex(e.address) : null,
    qemuSymbol: q ? symbols.symbols.format(q.address) : null,
    emuSymbol: e ? symbols.symbols.format(e.address) : null,
    markersAgreed,
    serialAgreed,
    text: `earliest parity divergence: ${text}`,
  };
}

function collectLegitimate(hits: readonly HitComparison[]): ParityComparison['legitimate'] {
  const out: ParityComparison['legitimate'] = [];
  for (const hit of hits) {
    for (const row of hit.rows) {
      if (row.status !== 'legitimate') continue;
      const known = out.find((l) => l.reg === row.reg && l.reason === row.reason);
      if (known) known.hits.push(hit.seq);
      else out.push({ reg: row.reg, reason: row.reason!, why: row.why!, hits: [hit.seq] });
    }
  }
  return out;
}

function summarise(
  verdict: ParityVerdict,
  hits: readonly HitComparison[],
  earliest: EarliestDivergence | null,
  legitimate: ParityComparison['legitimate'],
  qemu: SnapshotRun,
  emu: SnapshotRun,
): string {
  if (verdict === 'divergence') return earliest!.text;
  if (verdict === 'no-hits') return `no breakpoint was reached (QEMU: ${qemu.end.detail}; emulator: ${emu.end.detail})`;
  const legit = legitimate.length ? `; legitimately different: ${legitimate.map((l) => `${l.reg} (${l.reason})`).join(', ')}` : '';
  return `register parity at all ${hits.length} hits: every register the code determines is the same on QEMU and the emulator${legit}`;
}

function sortKeys(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
