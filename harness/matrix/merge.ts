// Merges shard results into one run, by the same summarize() a local run uses, so a merged report
// is the same code path as an unsharded one. A cell or subject two shards disagree on is an
// error, never a silent pick.
import { listKernels } from '../build/manifest.js';
import { WbdiffError } from '../errors.js';
import { RESULT_FORMAT_VERSION, type CellResult, type SummaryCell } from './cells.js';
import type { MatrixConfig } from './config.js';
import { planMatrix } from './plan.js';
import { matrixKey } from '../baseline/key.js';
import { machineProfile } from '../machine-profile.js';
import { ResultsStore, type MatrixRunInfo } from './store.js';
import { summarize, type MatrixSummary, type SubjectsFile } from './summarize.js';

export async function mergeRuns(
  dirs: readonly string[],
  out: ResultsStore,
  runId: string,
  baseline?: { runId: string; cells: readonly SummaryCell[] } | null,
): Promise<MatrixSummary> {
  if (dirs.length === 0)
    throw new WbdiffError('name the shard result folders to merge', {
      hint: 'wbdiff merge results/shard-1 results/shard-2 --out results/merged',
    });
  const lock = await out.lock();
  try {
    return await mergeLocked(dirs, out, runId, baseline);
  } finally {
    await lock.release();
  }
}

async function mergeLocked(
  dirs: readonly string[],
  out: ResultsStore,
  runId: string,
  baseline?: { runId: string; cells: readonly SummaryCell[] } | null,
): Promise<MatrixSummary> {
  const cells = new Map<string, { cell: CellResult; from: string }>();
  const subjects: SubjectsFile = { version: RESULT_FORMAT_VERSION, subjects: {}, diagnoses: {} };
  let config: MatrixConfig | null = null;
  let configFrom = '';
  const infos: MatrixRunInfo[] = [];
  for (const dir of dirs) {
    const store = new ResultsStore(dir);
    const info = await store.readRunInfo();
    infos.push(info);
    if (config === null) {
      config = info.config;
      configFrom = dir;
    } else if (configKey(config) !== configKey(info.config)) {
      throw new WbdiffError(`${dir} ran a different matrix config than ${configFrom}`, {
        hint: 'merge only shards of one run (same config, --shard i/n)',
      });
    }
    for (const cell of await store.readCells()) {
      const seen = cells.get(cell.id);
      if (seen && outcomeKey(seen.cell) !== outcomeKey(cell)) {
        throw new WbdiffError(
          `conflicting results for cell ${cell.id}: ${seen.from} says ${outcomeKey(seen.cell)}, ${dir} says ${outcomeKey(cell)}`,
          {
            hint: 'a cell must be run by one shard only; re-run the shards with the same --shard n',
          },
        );
      }
      if (!seen) cells.set(cell.id, { cell, from: dir });
    }
    const file = await store.readSubjects();
    for (const [key, record] of Object.entries(file.subjects)) {
      const known = subjects.subjects[key];
      if (known?.ok && record.ok && known.elfHash !== record.elfHash) {
        throw new WbdiffError(
          `shards built different bytes for ${key} (${known.elfHash?.slice(0, 12)} vs ${record.elfHash?.slice(0, 12)} in ${dir})`,
          {
            hint: 'shards must build from the same commit and toolchains',
          },
        );
      }
      if (!known || (!known.ok && record.ok)) subjects.subjects[key] = record;
    }
    Object.assign(subjects.diagnoses, file.diagnoses);
  }
  // Order as the unsharded run would, and note cells no shard ran.
  const plan = planMatrix(config!, new Map((await listKernels()).map((k) => [k.name, k])));
  const ordered = plan.cells.map((c) => cells.get(c.id)?.cell).filter((c): c is CellResult => c !== undefined);
  const extra = [...cells.keys()].filter((id) => !plan.cells.some((c) => c.id === id));
  if (extra.length)
    throw new WbdiffError(`cells not in the config's matrix: ${extra.slice(0, 5).join(', ')}`, {
      hint: 'the shards ran a different kernel set',
    });
  const summary = summarize({
    runId,
    cells: ordered,
    subjects,
    interrupted: ordered.length < plan.cells.length,
    shard: null,
    baseline: baseline ?? null,
    machine: machineProfile(),
    scope: { planned: plan.cells.map((c) => c.id), matrix: plan.cells.map((c) => c.id) },
    known: config!.known ?? [],
    matrixKey: matrixKey(config!),
    startedAt:
      infos
        .map((i) => i.startedAt)
        .filter((t): t is string => Boolean(t))
        .sort()[0] ?? new Date().toISOString(),
  });
  for (const { cell } of cells.values()) await out.writeCell(cell);
  await out.writeSubjects(subjects);
  await out.writeRunInfo({
    runId,
    startedAt: summary.startedAt ?? new Date().toISOString(),
    config: config!,
    matrixKey: summary.matrixKey ?? matrixKey(config!),
    shard: null,
    mergedFrom: [...dirs],
    versions: infos[0]?.versions ?? null,
  });
  await out.writeSummary(summary);
  return summary;
}

function configKey(config: MatrixConfig): string {
  const { baseDir: _b, source: _s, ...rest } = config;
  return JSON.stringify(rest);
}

function outcomeKey(cell: CellResult): string {
  return JSON.stringify([cell.provenance.elfHash, cell.run.verdict, cell.run.done, cell.run.markers]);
}
