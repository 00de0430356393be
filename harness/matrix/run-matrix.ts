// One matrix run, start to finish: plan, prepare bytes, run cells (skipping those a resumed run
// already has), classify, summarise. The CLI only adds progress display and the table.
import { availableParallelism } from 'node:os';
import { listKernels, type Kernel } from '../build/manifest.js';
import { classifyCells, type DiagnosisLike } from '../compare/classify.js';
import type { RunResult } from '../runners/types.js';
import { cellId, RESULT_FORMAT_VERSION, type CellResult, type SummaryCell } from './cells.js';
import type { MatrixConfig } from './config.js';
import { executeCells } from './execute.js';
import { planMatrix, shardOf, type MatrixPlan, type PlannedCell } from './plan.js';
import { prepareSubjects, type PreparedSubject } from './prepare.js';
import { ResultsStore } from './store.js';
import { toolVersions } from './versions.js';

export interface MatrixOptions {
  config: MatrixConfig;
  store: ResultsStore;
  runId: string;
  resume?: boolean;
  shard?: { index: number; count: number };
  signal?: AbortSignal;
  concurrency?: number;
  argv?: string[];
  log?: (line: string) => void;
  onPlan?: (plan: MatrixPlan, todo: number) => void;
  onCell?: (cell: CellResult) => void;
  /** Makes the emulator diagnoses of redirected call sites (harness/diagnose); none when absent. */
  diagnose?: (subjects: MatrixPlan['subjects'], prepared: Awaited<ReturnType<typeof prepareSubjects>>, cpus: string[]) => Promise<Map<string, DiagnosisLike>>;
}

export interface MatrixSummary {
  version: number;
  runId: string;
  interrupted: boolean;
  shard: { index: number; count: number } | null;
  counts: Record<string, number> & { cells: number; infrastructure: number };
  cells: SummaryCell[];
  /** The bytes each subject ran: hashes, and the patched sites of variants. */
  subjects: Record<string, SubjectRecord>;
  diagnoses: Record<string, DiagnosisLike>;
}

export interface SubjectRecord {
  ok: boolean;
  error?: string;
  elfHash?: string;
  sourceHash?: string | null;
  toolchain?: string | null;
  sites?: NonNullable<Extract<PreparedSubject, { ok: true }>['patch']>['sites'];
}

export function diagnosisKey(target: string, variant: string | null, cpu: string): string {
  return `${target}/${variant ?? 'unpatched'}/${cpu}`;
}

export async function runMatrix(options: MatrixOptions): Promise<MatrixSummary> {
  const log = options.log ?? (() => undefined);
  const kernels = new Map<string, Kernel>((await listKernels()).map((k) => [k.name, k]));
  const plan = planMatrix(options.config, kernels);
  const shard = options.shard ?? null;
  const cells = shard ? plan.cells.filter((c) => shardOf(c.id, shard.count) === shard.index) : plan.cells;
  const previous = options.resume ? await options.store.readCells() : [];
  const finished = new Map(previous.map((c) => [c.id, c]));
  const todo = cells.filter((c) => !finished.has(c.id));
  options.onPlan?.(plan, todo.length);

  const needed = new Set(todo.map((c) => c.subject));
  const subjects = plan.subjects.filter((s) => needed.has(s.key) || (s.variant === null && plan.subjects.some((v) => v.baseKey === s.key && needed.has(v.key))));
  const prepared = await prepareSubjects(subjects, options.config, log);
  await options.store.writeRunInfo({
    runId: options.runId,
    startedAt: new Date().toISOString(),
    command: options.argv ?? null,
    config: { ...options.config },
    shard,
    versions: await toolVersions(prepared),
  });

  const cpus = [...new Set(cells.map((c) => c.cpu))];
  const diagnoses = options.diagnose && options.config.diagnose !== false ? await options.diagnose(subjects, prepared, cpus) : new Map<string, DiagnosisLike>();

  const subjectMap = new Map(plan.subjects.map((s) => [s.key, s]));
  await executeCells(todo, subjectMap, prepared, {
    concurrency: options.concurrency ?? options.config.concurrency ?? availableParallelism(),
    ...(options.signal ? { signal: options.signal } : {}),
    onCell: async (cell: PlannedCell, run: RunResult) => {
      const bytes = prepared.get(cell.subject);
      const result: CellResult = {
        target: cell.target,
        variant: cell.variant,
        runner: cell.runner,
        cpu: cell.cpu,
        id: cell.id,
        subject: cell.subject,
        provenance: bytes?.ok
          ? { elfHash: bytes.elfHash, sourceHash: bytes.sourceHash, variantHashes: bytes.variantHashes, toolchain: bytes.toolchain }
          : { elfHash: '', sourceHash: null, variantHashes: [], toolchain: null },
        run,
      };
      finished.set(result.id, result);
      await options.store.writeCell(result);
      options.onCell?.(result);
    },
  });

  const ordered = cells.map((c) => finished.get(c.id)).filter((c): c is CellResult => c !== undefined);
  const expectOf = (target: string) => plan.subjects.find((s) => s.target === target && s.variant === null)?.expect ?? null;
  // Diagnoses of a resumed run's earlier part are in its earlier summary: recompute only what is new.
  const classification = classifyCells(ordered, {
    expectOf,
    diagnosisOf: (target, variant, cpu) => diagnoses.get(diagnosisKey(target, variant, cpu)) ?? null,
  });
  const summaryCells: SummaryCell[] = ordered.map((c) => ({
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
  }));
  const counts: MatrixSummary['counts'] = { cells: summaryCells.length, infrastructure: 0 };
  for (const c of summaryCells) counts[c.outcome] = (counts[c.outcome] ?? 0) + 1;
  const summary: MatrixSummary = {
    version: RESULT_FORMAT_VERSION,
    runId: options.runId,
    interrupted: ordered.length < cells.length,
    shard,
    counts,
    cells: summaryCells,
    subjects: Object.fromEntries(
      [...prepared].map(([key, p]): [string, SubjectRecord] => [
        key,
        p.ok ? { ok: true, elfHash: p.elfHash, sourceHash: p.sourceHash, toolchain: p.toolchain, ...(p.patch ? { sites: p.patch.sites } : {}) } : { ok: false, error: p.error },
      ]),
    ),
    diagnoses: Object.fromEntries(diagnoses),
  };
  await options.store.writeSummary(summary);
  return summary;
}

export { cellId };
