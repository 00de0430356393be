// The nightly loop on real runs: regressions against a baseline, flakiness, shards and merge.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadMatrixConfig } from '../harness/matrix/config.js';
import { mergeRuns } from '../harness/matrix/merge.js';
import { runMatrix } from '../harness/matrix/run-matrix.js';
import { ResultsStore } from '../harness/matrix/store.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { wbdiff } from './helpers/cli.js';

const temp = (prefix: string) => mkdtemp(join(tmpdir(), prefix));

test('a variant edited between two real runs is a regression (exit 1), and the edit back a fix', async (t) => {
  const dir = await temp('wbdiff-nightly-');
  const variant = join(dir, 'my-barrier.json');
  const good = await readFile(join(KERNELS_DIR, 'gowb/variants/go1.19/fixed-barrier.json'), 'utf8');
  await writeFile(variant, good);
  const config = join(dir, 'wbdiff.config.json');
  await writeFile(
    config,
    JSON.stringify({ kernels: [{ kernel: 'gowb@go1.19', variants: ['./my-barrier.json'] }], runners: ['emu'], diagnose: false }),
  );
  const night1 = join(dir, 'night1');
  const first = await wbdiff(['matrix', '--config', config, '--out', night1, '--no-baseline']);
  t.is(first.exitCode, 0, first.stdout + first.stderr);

  // Someone "simplifies" the barrier routine: the redirect now goes to the seed's routine.
  await writeFile(variant, good.replace('"to": "main.wbOld"', '"to": "main.wbSeed"'));
  const night2 = join(dir, 'night2');
  const second = await wbdiff(['matrix', '--config', config, '--out', night2, '--baseline', night1]);
  t.is(second.exitCode, 1, 'regressions exit 1');
  t.regex(
    second.stdout,
    /REGRESSION\s+gowb@go1\.19\/my-barrier\/emu\/cortex-a57: regression: was expected, now patch-bug: variant my-barrier changes the outcome on every runner: T1 is N/,
  );
  const summary = JSON.parse(await readFile(join(night2, 'summary.json'), 'utf8'));
  t.is(summary.baseline.counts.regression, 1);
  t.is(summary.counts.regressions, 1);

  await writeFile(variant, good);
  const third = await wbdiff(['matrix', '--config', config, '--out', join(dir, 'night3'), '--baseline', night2]);
  t.is(third.exitCode, 0);
  t.regex(third.stdout, /FIX\s+gowb@go1\.19\/my-barrier\/emu\/cortex-a57: fixed: was patch-bug, now as expected/);
});

test('three shards merged give the same summary as the unsharded run', async (t) => {
  const dir = await temp('wbdiff-shards-');
  await writeFile(
    join(dir, 'c.json'),
    JSON.stringify({
      kernels: [
        { kernel: 'hello' },
        { kernel: 'fault' },
        { kernel: 'cpuid', cpus: ['cortex-a57', 'cortex-a53'] },
        { kernel: 'gowb@go1.19', variants: ['seed-barrier', 'fixed-barrier'] },
      ],
      diagnose: false,
    }),
  );
  const config = await loadMatrixConfig(join(dir, 'c.json'));
  const whole = await runMatrix({ config, store: new ResultsStore(join(dir, 'whole')), runId: 'whole' });
  const shardDirs: string[] = [];
  let shardCells = 0;
  for (let i = 0; i < 3; i++) {
    const shardDir = join(dir, `shard-${i + 1}`);
    const part = await runMatrix({ config, store: new ResultsStore(shardDir), runId: `s${i}`, shard: { index: i, count: 3 } });
    shardCells += part.cells.length;
    shardDirs.push(shardDir);
  }
  t.is(shardCells, whole.cells.length, 'each cell in exactly one shard');
  const merged = await mergeRuns(shardDirs, new ResultsStore(join(dir, 'merged')), 'merged');
  const view = (s: typeof whole) => s.cells.map((c) => [c.id, c.outcome, c.verdict, c.markers, c.findings.map((f) => f.kind)]);
  t.deepEqual(view(merged), view(whole));
  t.deepEqual(merged.counts, whole.counts);
  t.false(merged.interrupted);

  const dup = await mergeRuns([shardDirs[0]!, shardDirs[0]!, shardDirs[1]!, shardDirs[2]!], new ResultsStore(join(dir, 'merged2')), 'm2');
  t.is(dup.cells.length, whole.cells.length, 'identical duplicates are fine');
});

test('conflicting duplicates across shards are an error, not a silent pick', async (t) => {
  const dir = await temp('wbdiff-conflict-');
  await writeFile(join(dir, 'c.json'), JSON.stringify({ kernels: [{ kernel: 'hello' }], runners: ['emu'], diagnose: false }));
  const config = await loadMatrixConfig(join(dir, 'c.json'));
  await runMatrix({ config, store: new ResultsStore(join(dir, 'a')), runId: 'a' });
  await runMatrix({ config, store: new ResultsStore(join(dir, 'b')), runId: 'b' });
  const cellFile = join(dir, 'b', 'cells', 'hello_unpatched_emu_cortex-a57.json');
  const cell = JSON.parse(await readFile(cellFile, 'utf8'));
  cell.run.markers.T1 = 'N';
  await writeFile(cellFile, JSON.stringify(cell));
  const error = await t.throwsAsync(mergeRuns([join(dir, 'a'), join(dir, 'b')], new ResultsStore(join(dir, 'm')), 'm'));
  t.regex(error!.message, /conflicting results for cell hello\/unpatched\/emu\/cortex-a57/);
  const cli = await wbdiff(['merge', join(dir, 'a'), join(dir, 'b'), '--out', join(dir, 'm2')]);
  t.is(cli.exitCode, 2);
  t.regex(cli.stderr, /conflicting results/);
});
