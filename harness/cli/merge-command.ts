import { rmdir } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { loadBaseline } from '../matrix/find-baseline.js';
import { matrixKey } from '../baseline/key.js';
import { EXIT, WbdiffError } from '../errors.js';
import { mergeRuns } from '../matrix/merge.js';
import { matrixExitCode } from '../matrix/summarize.js';
import { ResultsStore } from '../matrix/store.js';
import { RESULTS_DIR } from '../paths.js';
import { parseCommandArgs } from './args.js';
import { renderMergeResult, terminalStyle } from '../report/terminal.js';

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('merge', argv, {
    out: { type: 'string', short: 'o' },
    baseline: { type: 'string' },
    'no-baseline': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length === 0)
    throw new WbdiffError('name the shard result folders to merge', { hint: 'wbdiff merge shard-1 shard-2 shard-3 --out results/merged' });
  // By default the newest earlier whole run of the same matrix as the shards (their config).
  const shardConfig = (await new ResultsStore(resolve(positionals[0]!)).readRunInfo()).config;
  const claimed = values.out === undefined;
  const outDir = resolve(values.out ?? (await ResultsStore.claimRunDir(RESULTS_DIR)));
  let summary: Awaited<ReturnType<typeof mergeRuns>>;
  try {
    const baseline = values['no-baseline']
      ? null
      : await loadBaseline(values.baseline, { currentDir: outDir, ...(shardConfig ? { matrixKey: matrixKey(shardConfig) } : {}) });
    summary = await mergeRuns(
      positionals.map((p) => resolve(p)),
      new ResultsStore(outDir),
      basename(outDir),
      baseline ? { runId: baseline.runId, cells: baseline.summary.cells } : null,
    );
  } catch (error) {
    // A refused merge leaves no empty results folder behind (mergeRuns writes only once it has checked).
    if (claimed) await rmdir(outDir).catch(() => undefined);
    throw error;
  }
  if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else
    process.stdout.write(
      renderMergeResult(summary, terminalStyle(process.stdout, process.env), { shards: positionals.length, dir: outDir }),
    );
  return summary.interrupted ? EXIT.harness : matrixExitCode(summary);
}
