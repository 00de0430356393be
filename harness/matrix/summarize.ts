// Turns finished cells (plus what is known of their bytes) into summary.json. The one code path
// for a local run, a resumed run and merged shards, so all three report alike.
import { classifyCells, isFailing, varyingMarkers, type DiagnosisLike } from '../compare/classify.js';
import { EXIT } from '../errors.js';
import { applyKnown, type KnownEntry, type KnownReport } from '../compare/known.js';
import type { MachineMap } from '../compare/memory-map.js';
import type { KernelExpectation } from '../build/manifest.js';
import type { PatchManifest } from '../patch/apply.js';
import { diffAgainstBaseline, type BaselineDiff, type DiffScope } from '../baseline/diff.js';
import { RESULT_FORMAT_VERSION, type CellResult, type SummaryCell } from './cells.js';
import { expectationOn } from './plan.js';

export interface SubjectRecord {
  target: string;
  variant: string | null;
  ok: boolean;
  error?: string;
  elfHash?: string;
  sourceHash?: string | null;
  toolchain?: string | null;
  sites?: PatchManifest['sites'];
  expect: KernelExpectation | null;
  expectByCpu?: Record<string, KernelExpectation> | null;
  /** False for a kernel declared non-deterministic (absent: deterministic). */
  deterministic?: boolean;
}

/** subjects.json: what each subject's bytes are, and the emulator diagnoses made of them. */
export interface SubjectsFile {
  version: number;
  subjects: Record<string, SubjectRecord>;
  diagnoses: Record<string, DiagnosisLike>;
}

export interface MatrixSummary {
  version: number;
  runId: string;
  interrupted: boolean;
  shard: { index: number; count: number } | null;
  /** When the run started (ISO time), for picking the newest earlier baseline. */
  startedAt?: string;
  /** The matrix this run ran (harness/baseline/key.ts): only runs of the same one are baselines. */
  matrixKey?: string;
  counts: Record<string, number> & { cells: number };
  cells: SummaryCell[];
  subjects: Record<string, SubjectRecord>;
  diagnoses: Record<string, DiagnosisLike>;
  /** Tonight against the baseline run, when there was one. */
  baseline: BaselineDiff | null;
  /** Known failures that pass now (the entry can go) and entries past their date. */
  known?: KnownReport;
}

export function diagnosisKey(target: string, variant: string | null, cpu: string): string {
  return `${target}/${variant ?? 'unpatched'}/${cpu}`;
}

export function summarize(input: {
  runId: string;
  cells: readonly CellResult[];
  subjects: SubjectsFile;
  interrupted: boolean;
  shard: MatrixSummary['shard'];
  baseline?: { runId: string; cells: readonly SummaryCell[] } | null;
  machine: MachineMap;
  /** Cell ids this run was to run and of the whole matrix: a baseline cell this run did not finish is "not run", not "gone". */
  scope?: DiffScope;
  known?: readonly KnownEntry[];
  /** YYYY-MM-DD, for known entries' `until`. */
  today?: string;
  startedAt?: string;
  matrixKey?: string;
}): MatrixSummary {
  const { subjects, diagnoses } = input.subjects;
  const unpatched = (target: string) => Object.values(subjects).find((s) => s.target === target && s.variant === null);
  const expectOf = (target: string, cpu: string) => {
    const record = unpatched(target);
    if (!record) return null;
    return expectationOn({ expect: record.expect, expectByCpu: record.expectByCpu ?? null }, cpu);
  };
  const deterministicOf = (target: string) => unpatched(target)?.deterministic !== false;
  const classification = classifyCells(input.cells, {
    machine: input.machine,
    expectOf,
    deterministicOf,
    diagnosisOf: (target, variant, cpu) => diagnoses[diagnosisKey(target, variant, cpu)] ?? null,
  });
  const classified: SummaryCell[] = input.cells.map((c) => {
    const varying = varyingMarkers(c.run, expectOf(c.target, c.cpu), deterministicOf(c.target));
    return {
      id: c.id,
      target: c.target,
      variant: c.variant,
      runner: c.runner,
      cpu: c.cpu,
      subject: c.subject,
      ...classification.get(c.id)!,
      verdict: c.run.verdict,
      reason: c.run.reason,
      markers: c.run.markers,
      done: c.run.done,
      fault: c.run.fault,
      durationMs: c.run.durationMs,
      provenance: c.provenance,
      ...(c.repeats ? { repeats: c.repeats, flaky: isFlaky(c, varying) } : {}),
      ...(varying.length ? { varying } : {}),
    };
  });
  const today = input.today ?? new Date().toISOString().slice(0, 10);
  const { cells: judged, report: known } = applyKnown(classified, input.known ?? [], today);
  const before = new Map((input.baseline?.cells ?? []).map((c) => [c.id, c]));
  const cells = judged.map(
    (c): SummaryCell =>
      isFailing(c.outcome) ? { ...c, failingSince: failingSince(before.get(c.id), input.baseline?.runId, input.runId) } : c,
  );
  const counts: MatrixSummary['counts'] = { cells: cells.length };
  for (const c of cells) counts[c.outcome] = (counts[c.outcome] ?? 0) + 1;
  const flaky = cells.filter((c) => c.flaky).length;
  if (flaky) counts['flaky'] = flaky;
  counts['failing'] = cells.filter((c) => isFailing(c.outcome)).length;
  const baseline = input.baseline ? diffAgainstBaseline(cells, input.baseline.cells, input.baseline.runId, input.scope) : null;
  if (baseline) counts['regressions'] = baseline.counts.regression ?? 0;
  return {
    version: RESULT_FORMAT_VERSION,
    runId: input.runId,
    interrupted: input.interrupted,
    shard: input.shard,
    ...(input.startedAt ? { startedAt: input.startedAt } : {}),
    ...(input.matrixKey ? { matrixKey: input.matrixKey } : {}),
    counts,
    cells,
    subjects,
    diagnoses,
    baseline,
    known,
  };
}

/** A failing cell's streak: continued from the baseline when it failed there too, else starting now. */
function failingSince(before: SummaryCell | undefined, baselineRunId: string | undefined, runId: string): { runId: string; runs: number } {
  if (!before || !isFailing(before.outcome)) return { runId, runs: 1 };
  const since = before.failingSince ?? { runId: baselineRunId ?? before.id, runs: 1 };
  return { runId: since.runId, runs: since.runs + 1 };
}

/** A cell is flaky when its repeats disagree on verdict, DONE or any marker it compares (not the varying ones). */
export function isFlaky(cell: Pick<CellResult, 'repeats'>, varying: readonly string[] = []): boolean {
  const stable = (markers: Record<string, string>) =>
    Object.entries(markers)
      .filter(([id]) => !varying.includes(id))
      .sort();
  const keys = new Set((cell.repeats ?? []).map((r) => JSON.stringify([r.verdict, r.done, stable(r.markers)])));
  return keys.size > 1;
}

/**
 * A matrix's exit code. 2: infrastructure errors (never test failures); 1: a cell failing (not as
 * it must be: a patch bug, a parity divergence, a convention bug, a masked failure, an unexpected
 * result), whether new, regressed or failing since earlier nights, unless a "known" entry covers it; else 0.
 */
export function matrixExitCode(summary: Pick<MatrixSummary, 'cells'>): number {
  if (summary.cells.some((c) => c.outcome === 'infrastructure')) return EXIT.harness;
  // The outcome names the worst finding, so a parity divergence hiding an unexpected result fails too.
  return summary.cells.some((c) => isFailing(c.outcome)) ? EXIT.failed : EXIT.ok;
}
