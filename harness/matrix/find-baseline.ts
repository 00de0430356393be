// Finds the baseline: a given results folder or summary.json, or else the newest earlier run of
// the same matrix (its matrix key) that finished whole (not sharded, not interrupted), among the
// runs kept beside the current one.
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { matrixKey } from '../baseline/key.js';
import { WbdiffError } from '../errors.js';
import { readSummaryFile, ResultsStore } from './store.js';
import type { MatrixSummary } from './summarize.js';

export interface LoadedBaseline {
  runId: string;
  dir: string;
  summary: MatrixSummary;
}

export interface BaselineQuery {
  /** The run being made: never its own baseline. */
  currentDir: string;
  /** Where runs are kept (default: the current run's parent folder). */
  root?: string;
  /** Only runs of this matrix (harness/baseline/key.ts); any when absent. */
  matrixKey?: string;
  /** Only runs started before this ISO time. */
  before?: string;
}

export async function loadBaseline(spec: string | undefined, query: BaselineQuery): Promise<LoadedBaseline | null> {
  if (spec !== undefined) {
    const path = resolve(spec);
    const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'summary.json') : path;
    if (!existsSync(file))
      throw new WbdiffError('no summary.json for the baseline', {
        where: spec,
        hint: 'give a results folder of a finished run, or its summary.json',
      });
    const summary = await readSummaryFile(file, 'give a results folder of a finished run, or its summary.json');
    return { runId: summary.runId ?? basename(dirname(file)), dir: dirname(file), summary };
  }
  const root = query.root ?? dirname(resolve(query.currentDir));
  if (!existsSync(root)) return null;
  let best: (LoadedBaseline & { startedAt: string }) | null = null;
  for (const name of await readdir(root)) {
    const dir = join(root, name);
    if (resolve(dir) === resolve(query.currentDir) || !existsSync(join(dir, 'summary.json'))) continue;
    // A folder this wbdiff cannot read as a finished run (corrupt, another result format) is not a baseline.
    const run = await new ResultsStore(dir).peekRun();
    if (!run || run.summary.interrupted || run.summary.shard) continue;
    const { summary, info } = run;
    const key = summary.matrixKey ?? (info?.config ? matrixKey(info.config) : undefined);
    if (query.matrixKey !== undefined && key !== query.matrixKey) continue;
    const startedAt = summary.startedAt ?? info?.startedAt ?? statSync(join(dir, 'summary.json')).mtime.toISOString();
    if (query.before !== undefined && startedAt >= query.before) continue;
    if (!best || startedAt > best.startedAt || (startedAt === best.startedAt && name > basename(best.dir)))
      best = { runId: summary.runId ?? name, dir, summary, startedAt };
  }
  return best && { runId: best.runId, dir: best.dir, summary: best.summary };
}
