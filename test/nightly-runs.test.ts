// The nightly over several real "nights" (small fast kernels on the emulator): baselines of the
// same matrix found on their own, failures that persist, known failures, resume keeping options.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { loadMatrixConfig } from '../harness/matrix/config.js';
import { runMatrix } from '../harness/matrix/run-matrix.js';
import { ResultsStore } from '../harness/matrix/store.js';
import { WBDIFF } from './helpers/cli.js';
import { subject } from './helpers/subjects.js';

/** The CLI from a folder, as a user in their kernel repository would type it. */
const wbdiffIn = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [WBDIFF, ...args], { cwd, reject: false, timeout: 120_000, env: { WBDIFF_RESULTS: '', ...env } });

async function project(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(dir, 'src', 'deep'), { recursive: true });
  return dir;
}

const summaryOf = async (dir: string) => JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
const runDirs = async (root: string) =>
  (await readdir(root))
    .filter((n) => /^\d{4}-/.test(n))
    .sort()
    .map((n) => join(root, n));

test('three nights: a regression on the second still fails the third, "failing since" the second', async (t) => {
  const dir = await project('wbdiff-nights-');
  const hello = (await subject('hello')).elfPath;
  const fault = (await subject('fault')).elfPath;
  await copyFile(hello, join(dir, 'mine.elf'));
  await writeFile(
    join(dir, 'wbdiff.config.json'),
    JSON.stringify({
      runners: ['emu'],
      diagnose: false,
      kernels: ['hello', { elf: 'mine.elf', name: 'mine', expect: { verdict: 'completed', markers: { T1: 'Y' } } }],
    }),
  );
  const cwd = join(dir, 'src', 'deep');

  const night1 = await wbdiffIn(cwd, ['matrix']);
  t.is(night1.exitCode, 0, night1.stdout + night1.stderr);
  t.regex(night1.stdout, /baseline: none \(no earlier complete run of this matrix\)/);
  t.regex(night1.stdout, new RegExp(`config: ${join(dir, 'wbdiff.config.json')}`), 'found from a folder below it');
  // A run of part of the matrix in between is not tomorrow's baseline.
  const partial = await wbdiffIn(cwd, ['matrix', 'hello']);
  t.is(partial.exitCode, 0, partial.stderr);
  t.regex(partial.stdout, /baseline: none/);

  await copyFile(fault, join(dir, 'mine.elf'));
  const night2 = await wbdiffIn(cwd, ['matrix']);
  t.is(night2.exitCode, 1, night2.stdout);
  const runs = await runDirs(join(dir, 'results'));
  t.is(runs.length, 3, 'results next to the config');
  t.regex(night2.stdout, new RegExp(`baseline: ${runs[0]}`));
  t.regex(
    night2.stdout,
    /REGRESSION\s+mine\/unpatched\/emu\/cortex-a57: regression: was expected, now unexpected: not as the kernel expects: verdict: expected completed, got fault/,
  );
  t.notRegex(night2.stdout, /NEW|GONE/);
  t.regex(night2.stdout, /failing: 1 cell\n {2}FAIL mine\/unpatched\/emu\/cortex-a57: .* \(failing since this run\)/);

  const night3 = await wbdiffIn(cwd, ['matrix']);
  t.is(night3.exitCode, 1, 'still failing: still exit 1');
  const [, , second, third] = await runDirs(join(dir, 'results'));
  t.regex(night3.stdout, new RegExp(`baseline: ${second}`));
  t.regex(night3.stdout, /no changes/);
  const secondId = second!.split('/').pop()!;
  t.regex(night3.stdout, new RegExp(`FAIL mine/unpatched/emu/cortex-a57: .* \\(failing since ${secondId}, 2 runs\\)`));
  const summary = await summaryOf(third!);
  t.deepEqual(summary.cells.find((c: { target: string }) => c.target === 'mine').failingSince, { runId: secondId, runs: 2 });
  const junit = await readFile(join(third!, 'junit.xml'), 'utf8');
  t.regex(junit, /failures="[1-9]/, 'JUnit agrees with the exit code');

  // A new kernel entry that is not as expected fails the run (here against an explicit baseline).
  await writeFile(
    join(dir, 'wbdiff.config.json'),
    JSON.stringify({ runners: ['emu'], diagnose: false, kernels: ['hello', { kernel: 'fault', expect: { verdict: 'completed' } }] }),
  );
  const added = await wbdiffIn(cwd, ['matrix', '--baseline', runs[0]!]);
  t.is(added.exitCode, 1);
  t.regex(added.stdout, /NEW\s+fault\/unpatched\/emu\/cortex-a57: new cell: unexpected/);
});

test('known failures: outcome known and exit 0, JUnit skipped; a pass is reported; an expired entry fails again', async (t) => {
  const dir = await project('wbdiff-known-');
  await copyFile((await subject('fault')).elfPath, join(dir, 'mine.elf'));
  const config = (known: object[]) =>
    writeFile(
      join(dir, 'wbdiff.config.json'),
      JSON.stringify({
        runners: ['emu'],
        diagnose: false,
        kernels: ['hello', { elf: 'mine.elf', name: 'mine', expect: { verdict: 'completed' } }],
        known,
      }),
    );
  const mine = {
    cells: 'mine/*',
    finding: 'unexpected',
    reason: 'faults after T1 (upstream bug 7)',
    link: 'https://example.org/bug/7',
    until: '2099-12-31',
  };
  const helloKnown = { cells: 'hello/*', reason: 'was failing on the old UART' };
  await config([mine, helloKnown]);
  const first = await wbdiffIn(dir, ['matrix', '--no-baseline']);
  t.is(first.exitCode, 0, first.stdout + first.stderr);
  t.regex(
    first.stdout,
    /KNOWN mine\/unpatched\/emu\/cortex-a57: unexpected: faults after T1 \(upstream bug 7\) <https:\/\/example\.org\/bug\/7> \(until 2099-12-31\)/,
  );
  t.regex(first.stdout, /XPASS hello\/unpatched\/emu\/cortex-a57 passes, but the known-failure entry "hello\/\*" lists it/);
  t.regex(first.stdout, /2 cells: 1 KNOWN, 1 ok/);
  const [run] = await runDirs(join(dir, 'results'));
  const junit = await readFile(join(run!, 'junit.xml'), 'utf8');
  t.regex(junit, /<skipped message="known failure: faults after T1 \(upstream bug 7\)/);
  t.regex(junit, /failures="0"/);
  t.regex(await readFile(join(run!, 'results.tap'), 'utf8'), /not ok 2 - mine\/unpatched\/emu\/cortex-a57 # TODO known failure/);

  await config([
    { ...mine, until: '2020-01-31' },
    { cells: 'mien/*', reason: 'a typo' },
  ]);
  const expired = await wbdiffIn(dir, ['matrix', '--no-baseline']);
  t.is(expired.exitCode, 1, 'past its date the failure counts again');
  t.regex(expired.stdout, /FAIL mine\/unpatched\/emu\/cortex-a57: .*\[its known-failure entry expired on 2020-01-31\]/);
  t.regex(expired.stdout, /warning: known\[1\]: "mien\/\*" matches no cell of this matrix/);
});

test('an interrupted run lists unfinished cells as "not run"; --resume keeps --repeat and refuses changes', async (t) => {
  const dir = await project('wbdiff-resume-');
  await writeFile(
    join(dir, 'wbdiff.config.json'),
    JSON.stringify({ runners: ['emu'], diagnose: false, kernels: ['hello', 'fault', 'tap'] }),
  );
  const config = await loadMatrixConfig(join(dir, 'wbdiff.config.json'));
  const whole = await runMatrix({ config, store: new ResultsStore(join(dir, 'results', 'night1')), runId: 'night1' });
  const controller = new AbortController();
  const cut = await runMatrix({
    config,
    store: new ResultsStore(join(dir, 'results', 'night2')),
    runId: 'night2',
    signal: controller.signal,
    onCell: () => controller.abort(),
    baseline: { runId: 'night1', cells: whole.cells },
  });
  t.true(cut.interrupted);
  const kinds = cut.baseline!.changes.map((c) => c.kind);
  t.true(kinds.includes('not-run'), JSON.stringify(cut.baseline));
  t.false(kinds.includes('gone'));

  const out = join(dir, 'results', 'repeat');
  const first = await wbdiffIn(dir, ['matrix', '--repeat', '2', '--out', out, '--no-baseline']);
  t.is(first.exitCode, 0, first.stdout + first.stderr);
  // Make it an interrupted run: one cell and the summary gone.
  await rm(join(out, 'cells', 'tap_unpatched_emu_cortex-a57.json'));
  await rm(join(out, 'summary.json'));
  const refused = await wbdiffIn(dir, ['matrix', '--resume', out, '--repeat', '3']);
  t.is(refused.exitCode, 2);
  t.regex(refused.stderr, /--resume keeps every option of the run it resumes; drop --repeat/);
  const resumed = await wbdiffIn(dir, ['matrix', '--resume', out]);
  t.is(resumed.exitCode, 0, resumed.stdout + resumed.stderr);
  t.regex(resumed.stdout, /1 to run, 2 times each/);
  const tap = JSON.parse(await readFile(join(out, 'cells', 'tap_unpatched_emu_cortex-a57.json'), 'utf8'));
  t.is(tap.repeats.length, 2, 'the resumed cell ran as often as the others');
  t.false(existsSync(join(out, 'cells', 'tap_unpatched_emu_cortex-a57.json.tmp')));
});

test('a non-deterministic kernel is compared on what it pins: never flaky or changed for its counter', async (t) => {
  const dir = await project('wbdiff-jitter-');
  await copyFile((await subject('jitter')).elfPath, join(dir, 'jitter-copy.elf'));
  // The same bytes as a plain ELF entry say nothing about determinism: their counter is flakiness.
  // (COUNT is made a marker there too: T1 alone is one bit, equal in 3 runs one time in 4.)
  const count = { regex: '(?<id>COUNT)=(?<result>[0-9a-f]+)' };
  await writeFile(
    join(dir, 'c.json'),
    JSON.stringify({
      runners: ['qemu'],
      diagnose: false,
      kernels: ['jitter', { elf: 'jitter-copy.elf', name: 'undeclared', resultPatterns: [count] }],
    }),
  );
  const config = await loadMatrixConfig(join(dir, 'c.json'));
  const night1 = await runMatrix({ config, store: new ResultsStore(join(dir, 'r1')), runId: 'r1', repeat: 3 });
  const declared = night1.cells.find((c) => c.target === 'jitter')!;
  const undeclared = night1.cells.find((c) => c.target === 'undeclared')!;
  t.false(declared.flaky, JSON.stringify(declared.repeats));
  t.true(undeclared.flaky, JSON.stringify(undeclared.repeats));
  t.deepEqual(declared.varying?.sort(), ['COUNT', 'T1']);
  const night2 = await runMatrix({
    config,
    store: new ResultsStore(join(dir, 'r2')),
    runId: 'r2',
    baseline: { runId: 'r1', cells: night1.cells },
  });
  t.deepEqual(
    night2.baseline!.changes.filter((c) => c.cell.startsWith('jitter/')).map((c) => c.kind),
    [],
    'no CHANGED for the counter',
  );
});
