// Finds the baseline: a given results folder or summary.json, or else the newest finished,
// whole (not sharded, not interrupted) run in results/ other than the current one.
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WbdiffError } from '../errors.js';
import type { MatrixSummary } from '../matrix/summarize.js';
import { RESULTS_DIR } from '../paths.js';

export interface LoadedBaseline {
  runId: string;
  dir: string;
  summary: MatrixSummary;
}

export async function loadBaseline(spec: string | undefined, currentDir: string, root = RESULTS_DIR): Promise<LoadedBaseline | null> {
  if (spec !== undefined) {
    const path = resolve(spec);
    const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'summary.json') : path;
    if (!existsSync(file)) throw new WbdiffError('no summary.json for the baseline', { where: spec, hint: 'give a results folder of a finished run, or its summary.json' });
    const summary = JSON.parse(await readFile(file, 'utf8')) as MatrixSummary;
    return { runId: summary.runId ?? basename(dirname(file)), dir: dirname(file), summary };
  }
  if (!existsSync(root)) return null;
  const candidates = (await readdir(root)).sort().reverse();
  for (const name of candidates) {
    const dir = join(root, name);
    if (resolve(dir) === resolve(currentDir) || !existsSync(join(dir, 'summary.json'))) continue;
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as MatrixSummary;
    if (summary.interrupted || summary.shard) continue;
    return { runId: summary.runId ?? name, dir, summary };
  }
  return null;
}
