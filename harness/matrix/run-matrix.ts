// One matrix run, start to finish: plan, prepare bytes, diagnose redirected calls, run cells
// (skipping those a resumed run already has), summarise. The CLI adds progress and the table.
import { availableParallelism } from 'node:os';
import { listKernels, type Kernel } from '../build/manifest.js';
import type { DiagnosisLike } from '../compare/classify.js';
import type { RunnerFactory } from '../runners/index.js';
import type { RunResult } from '../runners/types.js';
import type { MachineOptions } from '../machine/description.js';
import { RESULT_FORMAT_VERSION, type CellResult, type RepeatOutcome, type SummaryCell } from './cells.js';
import type { MatrixConfig } from './config.js';
import { executeCells } from './execute.js';
import { shardOf, type MatrixPlan, type PlannedCell, type PlannedSubject } from './plan.js';
import { planValidMatrix } from './validate.js';
import { matrixKey } from '../baseline/key.js';
import { prepareSubjects, type PreparedSubject } from './prepare.js';
import { machineProfile } from '../machine-profile.js';
import type { MatrixRunInfo, ResultsStore } from './store.js';
import { summarize, type MatrixSummary, type SubjectRecord, type SubjectsFile } from './summarize.js';
import { toolVersions } from './versions.js';

export { diagnosisKey } from './summarize.js';
export type { MatrixSummary, SubjectRecord } from './summarize.js';

export type Diagnoser = (
  subjects: readonly PlannedSubject[],
  prepared: ReadonlyMap<string, PreparedSubject>,
  cpus: readonly string[],
) => Promise<Map<string, DiagnosisLike>>;

export interface MatrixOptions {
  config: MatrixConfig;
  store: ResultsStore;
  runId: string;
  resume?: boolean;
  shard?: { index: number; count: number };
  /** Run every cell this many times; cells whose runs disagree are flaky. */
  repeat?: number;
  signal?: AbortSignal;
  concurrency?: number;
  argv?: string[];
  log?: (line: string) => void;
  onPlan?: (plan: MatrixPlan, todo: number) => void;
  onCell?: (cell: CellResult) => void;
  /** Makes the emulator diagnoses of redirected call sites (harness/diagnose); none when absent. */
  diagnose?: Diagnoser;
  /** The run to compare with (regressions, fixes, new and gone cells). */
  baseline?: { runId: string; cells: readonly SummaryCell[] } | null;
  /** The plan, when the caller already made and validated it (planValidMatrix). */
  plan?: MatrixPlan;
  /** Recorded in run.json, so --resume can keep every option of the run (e.g. the baseline). */
  runOptions?: Record<string, unknown>;
  /** Where the cells' runners come from; the registry's matrixRunners(config.boards) when absent. */
  runners?: RunnerFactory;
}

export type { MatrixRunInfo } from './store.js';

export async function runMatrix(options: MatrixOptions): Promise<MatrixSummary> {
  // One run writes a results folder at a time (two with the same --out would mix their files).
  const lock = await options.store.lock();
  try {
    return await runLocked(options);
  } finally {
    await lock.release();
  }
}

async function runLocked(options: MatrixOptions): Promise<MatrixSummary> {
  const log = options.log ?? (() => undefined);
  const plan =
    options.plan ?? (await planValidMatrix(options.config, new Map<string, Kernel>((await listKernels()).map((k) => [k.name, k]))));
  const key = matrixKey(options.config);
  const shard = options.shard ?? null;
  const cells = shard ? plan.cells.filter((c) => shardOf(c.id, shard.count) === shard.index) : plan.cells;
  const previous = options.resume ? await options.store.readCells() : [];
  const known: SubjectsFile = options.resume
    ? await options.store.readSubjects()
    : { version: RESULT_FORMAT_VERSION, subjects: {}, diagnoses: {} };
  const finished = new Map(previous.map((c) => [c.id, c]));
  const todo = cells.filter((c) => !finished.has(c.id));
  options.onPlan?.(plan, todo.length);

  // Finished cells whose subject record is missing (subjects.json deleted) get it made again.
  const needed = new Set([...todo.map((c) => c.subject), ...previous.filter((c) => !known.subjects[c.subject]).map((c) => c.subject)]);
  const subjects = plan.subjects.filter((s) => needed.has(s.key) || plan.subjects.some((v) => v.baseKey === s.key && needed.has(v.key)));
  const prepared = await prepareSubjects(subjects, options.config, log);
  let startedAt = new Date().toISOString();
  if (options.resume) {
    startedAt = (await options.store.readRunInfo().catch(() => ({}) as Partial<MatrixRunInfo>)).startedAt ?? startedAt;
  } else {
    const info: MatrixRunInfo = {
      runId: options.runId,
      startedAt,
      command: options.argv ?? null,
      config: options.config,
      matrixKey: key,
      shard,
      repeat: options.repeat ?? 1,
      ...(options.runOptions ? { options: options.runOptions } : {}),
      versions: await toolVersions(prepared),
    };
    await options.store.writeRunInfo(info);
  }

  const cpus = [...new Set(todo.map((c) => c.cpu))];
  const diagnoses =
    options.diagnose && options.config.diagnose !== false
      ? await options.diagnose(subjects, prepared, cpus)
      : new Map<string, DiagnosisLike>();
  const subjectsFile: SubjectsFile = {
    version: RESULT_FORMAT_VERSION,
    subjects: { ...known.subjects, ...Object.fromEntries(subjects.map((s) => [s.key, subjectRecord(s, prepared.get(s.key))])) },
    diagnoses: { ...known.diagnoses, ...Object.fromEntries(diagnoses) },
  };
  await options.store.writeSubjects(subjectsFile);

  const subjectMap = new Map(plan.subjects.map((s) => [s.key, s]));
  await executeCells(todo, subjectMap, prepared, {
    concurrency: options.concurrency ?? options.config.concurrency ?? availableParallelism(),
    repeat: options.repeat ?? 1,
    ...(options.config.boards ? { boards: options.config.boards } : {}),
    ...(options.runners ? { runners: options.runners } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onCell: async (cell: PlannedCell, runs: RunResult[]) => {
      const bytes = prepared.get(cell.subject);
      const result: CellResult = {
        target: cell.target,
        variant: cell.variant,
        runner: cell.runner,
        cpu: cell.cpu,
        id: cell.id,
        subject: cell.subject,
        provenance: bytes?.ok
          ? {
              elfHash: bytes.elfHash,
              sourceHash: bytes.sourceHash,
              variantHashes: bytes.variantHashes,
              toolchain: bytes.toolchain,
              ...machineProvenance(subjectMap.get(cell.subject)),
            }
          : { elfHash: '', sourceHash: null, variantHashes: [], toolchain: null },
        run: runs[0]!,
        ...(runs.length > 1 ? { repeats: runs.map(repeatOutcome) } : {}),
      };
      finished.set(result.id, result);
      await options.store.writeCell(result);
      options.onCell?.(result);
    },
  });

  const ordered = cells.map((c) => finished.get(c.id)).filter((c): c is CellResult => c !== undefined);
  const summary = summarize({
    runId: options.runId,
    cells: ordered,
    subjects: subjectsFile,
    interrupted: ordered.length < cells.length,
    shard,
    baseline: options.baseline ?? null,
    machine: machineProfile(),
    scope: { planned: cells.map((c) => c.id), matrix: plan.cells.map((c) => c.id) },
    known: options.config.known ?? [],
    startedAt,
    matrixKey: key,
  });
  await options.store.writeSummary(summary);
  return summary;
}

function machineProvenance(subject: PlannedSubject | undefined): { machine?: MachineOptions } {
  return subject?.machine ? { machine: subject.machine } : {};
}

function subjectRecord(subject: PlannedSubject, prepared: PreparedSubject | undefined): SubjectRecord {
  const base = {
    target: subject.target,
    variant: subject.variant,
    expect: subject.expect,
    ...(subject.expectByCpu ? { expectByCpu: subject.expectByCpu } : {}),
    ...(subject.deterministic ? {} : { deterministic: false }),
  };
  if (!prepared) return { ...base, ok: false, error: 'not prepared' };
  if (!prepared.ok) return { ...base, ok: false, error: prepared.error };
  return {
    ...base,
    ok: true,
    elfHash: prepared.elfHash,
    sourceHash: prepared.sourceHash,
    toolchain: prepared.toolchain,
    ...(prepared.patch ? { sites: prepared.patch.sites } : {}),
  };
}

function repeatOutcome(run: RunResult): RepeatOutcome {
  return { verdict: run.verdict, done: run.done, markers: run.markers, faultPc: run.fault?.pc ?? null };
}
