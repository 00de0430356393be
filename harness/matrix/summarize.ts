// Turns finished cells (plus what is known of their bytes) into summary.json. The one code path
// for a local run, a resumed run and merged shards, so all three report alike.
import { classifyCells, type DiagnosisLike } from '../compare/classify.js';
import type { MachineMap } from '../compare/memory-map.js';
import type { KernelExpectation } from '../build/manifest.js';
import type { PatchManifest } from '../patch/apply.js';
import { diffAgainstBaseline, type BaselineDiff } from '../baseline/diff.js';
import { RESULT_FORMAT_VERSION, type CellResult, type SummaryCell } from './cells.js';

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
  counts: Record<string, number> & { cells: number };
  cells: SummaryCell[];
  subjects: Record<string, SubjectRecord>;
  diagnoses: Record<string, DiagnosisLike>;
  /** Tonight against the baseline run, when there was one. */
  baseline: BaselineDiff | null;
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
}): MatrixSummary {
  const { subjects, diagnoses } = input.subjects;
  const classification = classifyCells(input.cells, {
    machine: input.machine,
    expectOf: (target) => Object.values(subjects).find((s) => s.target === target && s.variant === null)?.expect ?? null,
    diagnosisOf: (target, variant, cpu) => diagnoses[diagnosisKey(target, variant, cpu)] ?? null,
  });
  const cells: SummaryCell[] = input.cells.map((c) => ({
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
    ...(c.repeats ? { repeats: c.repeats, flaky: isFlaky(c) } : {}),
  }));
  const counts: MatrixSummary['counts'] = { cells: cells.length };
  for (const c of cells) counts[c.outcome] = (counts[c.outcome] ?? 0) + 1;
  const flaky = cells.filter((c) => c.flaky).length;
  if (flaky) counts['flaky'] = flaky;
  const baseline = input.baseline ? diffAgainstBaseline(cells, input.baseline.cells, input.baseline.runId) : null;
  if (baseline) counts['regressions'] = baseline.counts.regression ?? 0;
  return { version: RESULT_FORMAT_VERSION, runId: input.runId, interrupted: input.interrupted, shard: input.shard, counts, cells, subjects, diagnoses, baseline };
}

/** A cell is flaky when its repeats disagree on verdict, DONE or any marker. */
export function isFlaky(cell: Pick<CellResult, 'repeats'>): boolean {
  const keys = new Set((cell.repeats ?? []).map((r) => JSON.stringify([r.verdict, r.done, Object.entries(r.markers).sort()])));
  return keys.size > 1;
}
