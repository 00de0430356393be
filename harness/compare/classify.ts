// Says which kind of bug each matrix cell shows. Pure: results in, findings out.
// A cell is judged against what its kernel must print first (the manifest's or the config's
// expectation); the unpatched kernel is the reference only where there is no expectation.
//   patch bug          the variant breaks what the kernel must do (or, with no expectation, flips
//                      a marker versus the unpatched kernel), on every runner
//   parity divergence  the same bytes give different markers / verdicts on different runners
//   cpu-dependent      the same bytes differ between CPU models on one runner: not a failure
//                      (a per-CPU expectation judges it, as any expectation does)
//   convention bug     the emulator's trace of a redirected call shows the routine breaks the
//                      calling convention (from the diagnosis, independent of markers)
//   masked failure     a cell that passes although the diagnosis shows the bug (e.g. QEMU's flash
//                      absorbing a store through an unset register)
//   unexpected         a cell that does not do what its kernel must do (patched or not)
//   fix                a variant that makes a kernel failing its expectation pass it
//   infrastructure     the run itself failed (verdict error): never a kernel outcome
//   layout bug         stores the flash (or ROM) drops explain the markers (harness/machine/layout.ts)
import { cellLayoutFinding, type DroppedWritesDetail } from '../machine/layout.js';
// Non-deterministic kernels are compared on what their expectation pins down: markers it gives a
// value, the presence of those it gives "*", the verdict and DONE.
import { qemuRegionAt, type MachineMap } from './memory-map.js';
import { capabilitiesOf } from '../runners/capabilities.js';
import { isInfrastructure, type RunResult } from '../runners/types.js';
import { checkExpectation, formatMismatch, type Mismatch } from './expect.js';
import type { KernelExpectation } from '../build/manifest.js';

export type Outcome =
  | 'infrastructure'
  | 'layout-bug'
  | 'convention-bug'
  | 'masked-failure'
  | 'patch-bug'
  | 'parity-divergence'
  | 'unexpected'
  | 'known'
  | 'fix'
  | 'cpu-dependent'
  | 'expected';

/**
 * Most specific first: the first outcome found in this order names the cell. `known` is never
 * found by the classifier: a config's known-failure entry gives it afterwards (compare/known.ts).
 */
export const OUTCOME_ORDER: readonly Outcome[] = [
  'infrastructure',
  'layout-bug',
  'convention-bug',
  'masked-failure',
  'patch-bug',
  'parity-divergence',
  'unexpected',
  'known',
  'fix',
  'cpu-dependent',
  'expected',
];

/** The finding that names the cell's outcome (a known cell: the outcome it had), else the first. */
export function mainFinding(cell: { outcome: string; findings: readonly Finding[]; known?: { outcome: string } }): Finding | undefined {
  const outcome = cell.known?.outcome ?? cell.outcome;
  return cell.findings.find((f) => f.kind === outcome) ?? cell.findings[0];
}

/** Outcomes that fail a run (exit 1, a JUnit failure) until they pass or are known. */
export const FAILING_OUTCOMES: ReadonlySet<string> = new Set<Outcome>([
  'layout-bug',
  'convention-bug',
  'masked-failure',
  'patch-bug',
  'parity-divergence',
  'unexpected',
]);

export function isFailing(outcome: string): boolean {
  return FAILING_OUTCOMES.has(outcome);
}

export interface Finding {
  kind: Outcome;
  summary: string;
  evidence: string[];
}

export interface Classification {
  outcome: Outcome;
  findings: Finding[];
}

export interface ClassifiableCell {
  id: string;
  target: string;
  variant: string | null;
  runner: string;
  cpu: string;
  run: RunResult;
}

/** What the classifier needs to know of a diagnosis (harness/diagnose). */
export interface DiagnosisLike {
  verdict: string;
  findings: { kind: string; text: string }[];
}

/** Diagnosis findings that are bugs of the replacement routine (not "ok", "not reached", "no sites"). */
const BUG_ORDER = ['convention-bug', 'no-return', 'clobber', 'flag-store'];
export const BUG_FINDINGS: ReadonlySet<string> = new Set(BUG_ORDER);

export interface ClassifyContext {
  /** What the kernel must do on this CPU model (manifest, config, per-CPU); null when nothing is said. */
  expectOf: (target: string, cpu: string) => KernelExpectation | null;
  /** False for kernels declared non-deterministic: only what their expectation pins is compared. */
  deterministicOf?: (target: string) => boolean;
  /** QEMU virt's memory map and what the emulator maps of it (qemu/virt.json), for causes. */
  machine: MachineMap;
  /** The diagnosis of (target, variant, cpu), made on the emulator; null when none was made. */
  diagnosisOf: (target: string, variant: string | null, cpu: string) => DiagnosisLike | null;
}

export function classifyCells(cells: readonly ClassifiableCell[], context: ClassifyContext): Map<string, Classification> {
  const out = new Map<string, Classification>();
  for (const cell of cells) out.set(cell.id, classifyCell(cell, cells, context));
  return out;
}

export function classifyCell(cell: ClassifiableCell, all: readonly ClassifiableCell[], context: ClassifyContext): Classification {
  const findings: Finding[] = [];
  // QEMU crashing is infrastructure like a missing tool: never a kernel outcome.
  const usable = (c: ClassifiableCell) => !isInfrastructure(c.run.verdict);
  if (!usable(cell)) {
    findings.push({
      kind: 'infrastructure',
      summary: `${cell.run.verdict === 'crash' ? 'QEMU itself failed' : 'the run did not happen'}: ${cell.run.reason}`,
      evidence: [],
    });
    return { outcome: 'infrastructure', findings };
  }
  const expectOf = (c: ClassifiableCell) => expectationFor(c, context);
  const view = (c: ClassifiableCell) => stableView(c.run, expectOf(c), context.deterministicOf?.(c.target) ?? true);
  const failsExpectation = (c: ClassifiableCell) => {
    const expect = expectOf(c);
    return expect ? checkExpectation(c.run, expect) : [];
  };

  // (b) the same bytes elsewhere: other runners on the same CPU, the same runner on other CPUs.
  const sameBytes = all.filter((c) => c !== cell && usable(c) && c.target === cell.target && c.variant === cell.variant);
  // Peers differ in exactly one dimension (runner or CPU), so a difference has one explanation.
  for (const peer of sameBytes.filter((c) => (c.cpu === cell.cpu) !== (c.runner === cell.runner))) {
    const difference = firstDifference(...asSeenByBoth(view(cell), view(peer)));
    if (difference) {
      const otherCpu = peer.cpu !== cell.cpu;
      findings.push({
        kind: otherCpu ? 'cpu-dependent' : 'parity-divergence',
        summary: `differs from ${otherCpu ? `${peer.runner} on ${peer.cpu}` : peer.runner} on the same bytes: ${difference}`,
        evidence: probableCauses(cell, peer, context.machine),
      });
    }
  }

  const mismatches = failsExpectation(cell);
  const expect = expectOf(cell);
  if (cell.variant !== null) {
    const base = baseOf(cell, all);
    const baseUsable = base !== undefined && usable(base);
    if (expect) {
      // Expectations first: the unpatched kernel only says whether the variant broke or fixed it.
      const baseFails = baseUsable ? failsExpectation(base).length > 0 : null;
      if (mismatches.length && baseFails === false) {
        const breaksEverywhere = all
          .filter((c) => c.target === cell.target && c.variant === cell.variant && c.cpu === cell.cpu && usable(c))
          .every((c) => {
            const b = baseOf(c, all);
            return failsExpectation(c).length > 0 && (!b || !usable(b) || failsExpectation(b).length === 0);
          });
        const flip = firstDifference(view(cell), view(base!), [`with ${cell.variant}`, 'unpatched']);
        if (breaksEverywhere)
          findings.push({
            kind: 'patch-bug',
            summary: `variant ${cell.variant} changes the outcome on every runner: ${flip ?? mismatchText(mismatches)}`,
            evidence: [],
          });
        else if (!findings.some((f) => f.kind === 'parity-divergence'))
          findings.push({
            kind: 'unexpected',
            summary: `not as the kernel expects with ${cell.variant}: ${mismatchText(mismatches)}`,
            evidence: [],
          });
      } else if (mismatches.length) {
        const why = baseFails ? 'the unpatched kernel fails too' : 'the unpatched kernel did not run';
        findings.push({ kind: 'unexpected', summary: `not as the kernel expects: ${mismatchText(mismatches)} (${why})`, evidence: [] });
      } else if (baseFails) {
        findings.push({
          kind: 'fix',
          summary: `variant ${cell.variant} makes the kernel do what it must: unpatched, ${mismatchText(failsExpectation(base!))}`,
          evidence: [],
        });
      }
    } else if (baseUsable) {
      // No expectation: the unpatched kernel is the reference, runner by runner.
      const flip = firstDifference(view(cell), view(base), [`with ${cell.variant}`, 'unpatched']);
      if (flip) {
        const everywhere = all
          .filter((c) => c.target === cell.target && c.variant === cell.variant && c.cpu === cell.cpu && usable(c))
          .every((c) => {
            const b = baseOf(c, all);
            return !b || !usable(b) || firstDifference(view(c), view(b)) !== null;
          });
        if (everywhere)
          findings.push({
            kind: 'patch-bug',
            summary: `variant ${cell.variant} changes the outcome on every runner: ${flip}`,
            evidence: [],
          });
      }
    }
    const diagnosis = context.diagnosisOf(cell.target, cell.variant, cell.cpu);
    // The convention bug first: it explains the others (a flag store, a clobber) when there is one.
    const bugs = (diagnosis?.findings.filter((f) => BUG_FINDINGS.has(f.kind)) ?? []).sort(
      (a, b) => BUG_ORDER.indexOf(a.kind) - BUG_ORDER.indexOf(b.kind),
    );
    if (diagnosis && bugs.length) {
      const texts = bugs.map((f) => f.text);
      const passes = expect ? mismatches.length === 0 : baseUsable && firstDifference(view(cell), view(base)) === null;
      if (passes && cell.runner !== 'emu') {
        findings.push({
          kind: 'masked-failure',
          summary: `passes on ${cell.runner}, but the emulator's trace of the patched call sites shows the bug: ${texts[0] ?? diagnosis.verdict}`,
          evidence: texts.slice(1),
        });
      } else {
        findings.push({ kind: 'convention-bug', summary: texts[0] ?? diagnosis.verdict, evidence: texts.slice(1) });
      }
    }
  } else if (mismatches.length) {
    findings.push({ kind: 'unexpected', summary: `not as the kernel expects: ${mismatchText(mismatches)}`, evidence: [] });
  }

  const layout = layoutFindingOf(cell, all, context);
  if (layout) findings.push(layout);

  const outcome = OUTCOME_ORDER.find((o) => findings.some((f) => f.kind === o)) ?? 'expected';
  return { outcome, findings };
}

/** Dropped stores on this cell's bytes (its own record, or its emulator peer's on the same CPU). */
function layoutFindingOf(cell: ClassifiableCell, all: readonly ClassifiableCell[], context: ClassifyContext): Finding | null {
  const emuPeer =
    cell.runner === 'emu'
      ? cell
      : all.find((c) => c.runner === 'emu' && c.target === cell.target && c.variant === cell.variant && c.cpu === cell.cpu);
  const dropped = emuPeer?.run.details['droppedWrites'] as DroppedWritesDetail | undefined;
  if (!dropped) return null;
  const failing = Object.entries(cell.run.markers)
    .filter(([, v]) => v === 'N')
    .map(([id]) => id);
  const diagnosis = context.diagnosisOf(cell.target, cell.variant, cell.cpu);
  const conventionBug = diagnosis?.findings.some((f) => BUG_FINDINGS.has(f.kind)) ?? false;
  return cellLayoutFinding(cell.runner, dropped, failing, conventionBug);
}

/** The cell's expectation as its runner can see it: a console-only runner sees an expected fault as output that stops. */
function expectationFor(cell: ClassifiableCell, context: ClassifyContext): KernelExpectation | null {
  const declared = context.expectOf(cell.target, cell.cpu);
  return declared && declared.verdict === 'fault' && !capabilitiesOf(cell.runner).seesFaults
    ? { ...declared, verdict: 'timeout' as const }
    : declared;
}

function mismatchText(mismatches: readonly Mismatch[]): string {
  return mismatches.map(formatMismatch).join('; ');
}

/**
 * What of a run is compared with other runs. A deterministic kernel: everything. A kernel declared
 * non-deterministic: the markers its expectation gives a value, and (as "*") the presence of those
 * it gives "*"; other markers are left out.
 */
export function stableView(run: RunResult, expect: KernelExpectation | null, deterministic: boolean): RunResult {
  if (deterministic) return run;
  const wanted = expect?.markers ?? {};
  const markers: Record<string, string> = {};
  for (const [id, value] of Object.entries(run.markers)) {
    const want = wanted[id];
    if (want === undefined) continue;
    markers[id] = want === '*' ? '*' : value;
  }
  return { ...run, markers };
}

/** Marker ids of a run that are not compared (see stableView); empty for a deterministic kernel. */
export function varyingMarkers(run: Pick<RunResult, 'markers'>, expect: KernelExpectation | null, deterministic: boolean): string[] {
  if (deterministic) return [];
  const wanted = expect?.markers ?? {};
  return Object.keys(run.markers).filter((id) => wanted[id] === undefined || wanted[id] === '*');
}

/**
 * A board or a replayed log sees only the console: where QEMU or the emulator saw a fault, it
 * sees output stop. Compare them on what both can see, so that is no divergence by itself.
 */
function asSeenByBoth(a: RunResult, b: RunResult): [RunResult, RunResult] {
  const blind = !capabilitiesOf(a.runner).seesFaults || !capabilitiesOf(b.runner).seesFaults;
  const hide = (r: RunResult): RunResult => (blind && r.verdict === 'fault' ? { ...r, verdict: 'timeout', fault: null } : r);
  return [hide(a), hide(b)];
}

function baseOf(cell: ClassifiableCell, all: readonly ClassifiableCell[]): ClassifiableCell | undefined {
  return all.find((c) => c.target === cell.target && c.variant === null && c.runner === cell.runner && c.cpu === cell.cpu);
}

/** The first point where two runs differ, in words; null when they agree. */
export function firstDifference(a: RunResult, b: RunResult, names: [string, string] = [label(a), label(b)]): string | null {
  const [na, nb] = names;
  // Markers in the order they first appeared: the earliest differing one is the first symptom.
  const ids = [...new Set([...Object.keys(a.markers), ...Object.keys(b.markers)])];
  for (const id of ids) {
    const x = a.markers[id];
    const y = b.markers[id];
    if (x !== y) return `${id} is ${x ?? '(missing)'} ${na} but ${y ?? '(missing)'} ${nb}`;
  }
  if (a.verdict !== b.verdict) return `${na} it ${describeEnd(a)}, ${nb} it ${describeEnd(b)}`;
  if (a.fault && b.fault && (a.fault.pc !== b.fault.pc || a.fault.address !== b.fault.address)) {
    return `both fault, at different places: ${na} it ${describeEnd(a)}, ${nb} it ${describeEnd(b)}`;
  }
  if (a.done !== b.done) return `DONE is printed ${a.done ? na : nb} only`;
  return null;
}

function label(run: RunResult): string {
  return `on ${run.cpu ? `${run.runner}/${run.cpu}` : run.runner}`;
}

function describeEnd(run: RunResult): string {
  if (run.verdict === 'fault' && run.fault) {
    const f = run.fault;
    return `faults (${f.kind}${f.access ? `, ${f.access}` : ''}) at ${f.pcSymbol ?? f.pc ?? '?'}${f.address ? ` on address ${f.address}${f.addressSymbol && f.addressSymbol !== f.address ? ` (${f.addressSymbol})` : ''}` : ''}`;
  }
  return run.verdict === 'completed' ? 'completes' : `ends with ${run.verdict} (${run.reason})`;
}

/** Evidence-based guesses at why two runs of the same bytes differ. */
export function probableCauses(cell: ClassifiableCell, peer: ClassifiableCell, machine: MachineMap): string[] {
  const causes: string[] = [];
  const a = cell.run;
  const b = peer.run;
  const midrA = a.markers['MIDR'];
  const midrB = b.markers['MIDR'];
  if (cell.cpu !== peer.cpu) {
    causes.push(
      `the CPU models differ (${cell.cpu} vs ${peer.cpu})${midrA && midrB && midrA !== midrB ? `: MIDR ${midrA} vs ${midrB}` : ''}`,
    );
  } else if (midrA && midrB && midrA !== midrB) {
    causes.push(`different MIDR on the same -cpu: ${midrA} on ${cell.runner} vs ${midrB} on ${peer.runner}`);
  }
  for (const [run, other] of [
    [a, b],
    [b, a],
  ] as const) {
    if (run.verdict !== 'fault' || !run.fault?.address) continue;
    const address = BigInt(run.fault.address);
    const region = qemuRegionAt(address, machine);
    if (run.runner === 'emu' && region && !machine.emulatorMaps.includes(region.name)) {
      causes.push(
        `the emulator faulted on ${run.fault.address}, which QEMU virt maps as ${region.name}: on QEMU the same access ${other.verdict === 'fault' ? 'went through and the run failed later' : 'went through silently'}`,
      );
    } else if (run.runner === 'qemu' && !region) {
      causes.push(`QEMU faulted on ${run.fault.address}, which no device or RAM of QEMU virt covers`);
    }
  }
  return causes;
}
