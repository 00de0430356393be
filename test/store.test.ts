// The results store is the one reader and writer of a run's files: each carries the result
// format version; a newer one is refused with what to do, a corrupt one is named, never a stack trace.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadMatrixConfig } from '../harness/matrix/config.js';
import { RESULT_FORMAT_VERSION } from '../harness/matrix/cells.js';
import { loadBaseline } from '../harness/matrix/find-baseline.js';
import { runMatrix } from '../harness/matrix/run-matrix.js';
import { ResultsStore } from '../harness/matrix/store.js';
import { wbdiff } from './helpers/cli.js';

/** A finished one-cell run (hello on the emulator), made through the store. */
async function oneCellRun(): Promise<ResultsStore> {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-store-'));
  const config = join(dir, 'wbdiff.config.json');
  await writeFile(config, JSON.stringify({ runners: ['emu'], diagnose: false, kernels: [{ kernel: 'hello' }] }));
  const store = new ResultsStore(join(dir, '2026-12-01T00-00-00Z'));
  await runMatrix({ config: await loadMatrixConfig(config), store, runId: '2026-12-01T00-00-00Z' });
  return store;
}

const FILES = ['summary.json', 'run.json', 'subjects.json', 'cells/hello_unpatched_emu_cortex-a57.json'];

test('every file of a run carries the result format version, and reads back through the store', async (t) => {
  const store = await oneCellRun();
  for (const file of FILES) t.is(JSON.parse(await readFile(join(store.dir, file), 'utf8')).version, RESULT_FORMAT_VERSION, file);
  const summary = await store.readSummary();
  t.is(summary.cells.length, 1);
  t.is((await store.readCell(summary.cells[0]!))!.run.verdict, 'completed');
  t.is((await store.readRunInfo()).runId, '2026-12-01T00-00-00Z');
  t.deepEqual(Object.keys((await store.readSubjects()).subjects), ['hello/unpatched']);
  t.is(await store.readCell({ ...summary.cells[0]!, cpu: 'max', id: 'hello/unpatched/emu/max' }), null, 'a missing cell file is null');
});

test('a file of a newer result format is refused by name, saying to use the wbdiff that wrote it', async (t) => {
  const store = await oneCellRun();
  const reads: Record<string, () => Promise<unknown>> = {
    'summary.json': () => store.readSummary(),
    'run.json': () => store.readRunInfo(),
    'subjects.json': () => store.readSubjects(),
    'cells/hello_unpatched_emu_cortex-a57.json': () => store.readCells(),
  };
  for (const file of FILES) {
    const path = join(store.dir, file);
    const good = await readFile(path, 'utf8');
    await writeFile(path, JSON.stringify({ ...JSON.parse(good), version: RESULT_FORMAT_VERSION + 1 }));
    const error = await t.throwsAsync(reads[file]!());
    t.regex(
      error!.message,
      new RegExp(`result format ${RESULT_FORMAT_VERSION + 1}, written by a newer wbdiff; this one reads format ${RESULT_FORMAT_VERSION}`),
      file,
    );
    t.is((error as { where?: string }).where, path);
    t.regex((error as { hint?: string }).hint ?? '', /the wbdiff that wrote it/);
    await writeFile(path, good);
  }
  // Looking for a baseline, such a run is passed over, not an error.
  const summaryPath = join(store.dir, 'summary.json');
  await writeFile(summaryPath, JSON.stringify({ ...JSON.parse(await readFile(summaryPath, 'utf8')), version: 99 }));
  t.is(await new ResultsStore(store.dir).peekRun(), null);
  t.is(await loadBaseline(undefined, { currentDir: join(store.dir, '..', 'next') }), null);
});

test('wbdiff report and --baseline name a corrupt or newer summary.json with what to do, exit 2, no stack trace', async (t) => {
  const store = await oneCellRun();
  const summaryPath = join(store.dir, 'summary.json');
  const good = await readFile(summaryPath, 'utf8');
  await writeFile(summaryPath, good.slice(0, 30));
  const corrupt = await wbdiff(['report', store.dir]);
  t.is(corrupt.exitCode, 2);
  t.regex(corrupt.stderr, /summary\.json:\d+:\d+: malformed JSON in the summary\.json.*\n {2}hint: .*wbdiff matrix --resume/);
  t.notRegex(corrupt.stderr, /\n\s+at /);
  await writeFile(summaryPath, JSON.stringify({ ...JSON.parse(good), version: 7 }));
  const newer = await wbdiff(['report', store.dir]);
  t.is(newer.exitCode, 2);
  t.regex(newer.stderr, /summary\.json: the summary\.json is of result format 7, written by a newer wbdiff/);
  const baseline = await t.throwsAsync(loadBaseline(summaryPath, { currentDir: join(store.dir, '..', 'next') }));
  t.regex(baseline!.message, /result format 7/);
});
