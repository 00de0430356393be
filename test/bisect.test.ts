// Bisecting on real kernels: ddmin culprits, a two-site interaction, verification, parity and
// flakiness, series mode, and `git bisect run` with `wbdiff check`.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { bisectVariant } from '../harness/bisect/bisect.js';
import { readElf } from '../harness/elf/read-elf.js';
import { loadVariant, parseVariant, type Variant } from '../harness/patch/variant.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { WBDIFF, wbdiff } from './helpers/cli.js';
import { subject } from './helpers/subjects.js';

/** Twelve NOPs in code that never runs here (the stack-growth path: stack checks always pass). */
const harmless = (symbol: string, from = 0) =>
  Array.from({ length: 12 }, (_, i) => ({ op: 'nop' as const, at: `${symbol}+0x${(from + 4 * i).toString(16)}` }));

/** The seed's three redirects, forced branches at T1 and T2 only, and a dozen harmless edits. */
const mixed: Variant = (await loadVariant(join(KERNELS_DIR, 'gowb/variants/go1.19/bisect-example.json'))).variant;

const spec = { cpu: 'cortex-a57', timeoutMs: 10_000 };

test('a two-site interaction (forced branch + redirect) is found as a pair, in fewer runs than sites', async (t) => {
  const image = await readElf((await subject('gowb@go1.19')).elfPath);
  const report = await bisectVariant(image, mixed, { marker: 'T2', runner: 'qemu', repeat: 3, confirmOnQemu: true, spec });
  t.is(report.sites, 17);
  t.is(report.answer.kind, 'culprits', report.answer.kind === 'culprits' ? '' : JSON.stringify(report.answer));
  if (report.answer.kind !== 'culprits') return;
  t.deepEqual(
    report.answer.sites.map((s) => s.location),
    ['main.kmain+0xb4', 'main.kmain+0xd4'],
  );
  t.deepEqual(
    report.answer.sites.map((s) => s.new.symbolic),
    ['b main.kmain+0xc8', 'bl main.wbSeed.abi0'],
  );
  t.is(report.answer.want, 'Y');
  t.is(report.answer.observed, 'N');
  t.true(report.ddminTests < report.sites, `ddmin made ${report.ddminTests} runs for ${report.sites} sites`);
  t.log(`${report.sites} sites: ${report.ddminTests} search runs, ${report.totalRuns} runs with verification`);
});

test("on the emulator the same question gets QEMU's answer, confirmed there, now that the emulator models the flash", async (t) => {
  // Forcing the branch alone calls Go's own barrier, which reads g.m at 0xd0 and writes at 0: virt's
  // flash on both machines (the emulator used to fault there and call it a parity problem).
  const image = await readElf((await subject('gowb@go1.19')).elfPath);
  const report = await bisectVariant(image, mixed, { marker: 'T1', runner: 'emu', repeat: 2, confirmOnQemu: true, spec });
  t.is(
    report.answer.kind,
    'culprits',
    JSON.stringify(report.answer, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)),
  );
  if (report.answer.kind === 'culprits') t.regex(report.answer.confirmation, /qemu|QEMU/);
});

test('the CLI prints the culprits, confirms on QEMU, and writes a variant that reproduces the flip', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-bisect-'));
  const variant = join(dir, 'check-bug.json');
  // gowb: forcing main.check's test of `ok` prints N for every check; a dozen NOPs in code that never runs.
  await writeFile(
    variant,
    JSON.stringify({
      name: 'check-bug',
      edits: [...harmless('runtime.morestack.abi0'), { op: 'branch-always', at: 'main.check+0x58', expect: 'tbz w2, #0, *' }],
    }),
  );
  const out = join(dir, 'culprits.json');
  const result = await wbdiff(['bisect', 'gowb@go1.19', '--variant', variant, '--marker', 'T1', '-o', out]);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /13 sites; \d+ runs \(\d+ on emu, 2 on qemu\)/);
  t.regex(result.stdout, /1 site\(s\) flip T1 \(Y -> N\); confirmed on QEMU/);
  t.regex(result.stdout, /main\.check\+0x58\s+tbz w2, #0, main\.check\+0x64\s+b main\.check\+0x64/);
  const written = parseVariant(await readFile(out, 'utf8'), out);
  t.is(written.edits.length, 1);
  const rerun = await wbdiff(['run', 'gowb@go1.19', '--variant', out, '--json']);
  for (const run of JSON.parse(rerun.stdout).runs) t.deepEqual(run.markers, { T1: 'N', T2: 'N', T3: 'N' });
});

test('unresolvable cases are reported, never a bogus culprit', async (t) => {
  const image = await readElf((await subject('gowb@go1.19')).elfPath);
  const noFlip = await bisectVariant(image, parseVariant(JSON.stringify({ name: 'h', edits: harmless('runtime.morestack.abi0') })), {
    marker: 'T1',
    runner: 'emu',
    repeat: 1,
    confirmOnQemu: false,
    spec,
  });
  t.is(noFlip.answer.kind, 'unresolvable');
  if (noFlip.answer.kind === 'unresolvable') t.regex(noFlip.answer.reason, /stays Y with all 12 sites applied/);
  const already = await bisectVariant(image, parseVariant(JSON.stringify({ name: 'h', edits: harmless('runtime.morestack.abi0') })), {
    marker: 'T1',
    want: 'N',
    runner: 'emu',
    repeat: 1,
    confirmOnQemu: false,
    spec,
  });
  t.is(already.answer.kind, 'unresolvable');
  if (already.answer.kind === 'unresolvable') t.regex(already.answer.reason, /T1 is Y with no edit at all \(want N\)/);
});

test('a flaky marker is detected and reported with its rates', async (t) => {
  const image = await readElf((await subject('jitter')).elfPath);
  const variant = parseVariant(JSON.stringify({ name: 'h', edits: [{ op: 'nop', at: 'main', expect: 'movz x19, *' }] }));
  // COUNT (a timer reading) differs on every run.
  const report = await bisectVariant(image, variant, {
    marker: 'COUNT',
    runner: 'qemu',
    repeat: 3,
    confirmOnQemu: false,
    spec: { ...spec, resultPatterns: [{ regex: '(?<id>COUNT)=(?<result>[0-9a-f]+)' }] },
  });
  t.is(report.answer.kind, 'flaky');
  if (report.answer.kind === 'flaky') t.regex(report.answer.rates[0]!, /unpatched: .*over 3 runs/);
});

test('series: the first bad variant of 16 in at most 5 runs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-series-'));
  const files: string[] = [];
  for (let i = 1; i <= 16; i++) {
    // The history of a patch: growing harmless edits, and from version 11 on, the check of `ok` forced.
    const edits: object[] = harmless('runtime.morestack.abi0').slice(0, Math.min(12, i));
    if (i >= 11) edits.push({ op: 'branch-always', at: 'main.check+0x58', expect: 'tbz w2, #0, *' });
    const file = join(dir, `v${String(i).padStart(2, '0')}.json`);
    await writeFile(file, JSON.stringify({ name: `v${i}`, edits }));
    files.push(file);
  }
  const result = await wbdiff(['bisect', 'gowb@go1.19', '--series', ...files, '--marker', 'T1', '--want', 'Y']);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /first variant that flips T1 \(want Y\): #11 v11 .* found in [1-5] runs of 16 variants/);
});

test('git bisect run with wbdiff check finds the commit that introduced the bug', async (t) => {
  const repo = await mkdtemp(join(tmpdir(), 'wbdiff-gitbisect-'));
  const git = (...args: string[]) =>
    execa('git', args, {
      cwd: repo,
      env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
    });
  await cp(join(KERNELS_DIR, 'common'), join(repo, 'kernels', 'common'), { recursive: true });
  await cp(join(KERNELS_DIR, 'hello'), join(repo, 'kernels', 'hello'), { recursive: true });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-qm', 'c0: hello');
  const source = join(repo, 'kernels', 'hello', 'start.S');
  const original = await readFile(source, 'utf8');
  const commits: string[] = [];
  for (let i = 1; i <= 7; i++) {
    let text = `${await readFile(source, 'utf8')}\n/* change ${i} */\n`;
    if (i === 5) text = text.replace('say\t"T1 Y\\n"', 'say\t"T1 N\\n"');
    await writeFile(source, text);
    await git('commit', '-qam', `c${i}`);
    commits.push((await git('rev-parse', 'HEAD')).stdout);
  }
  t.not(await readFile(source, 'utf8'), original);
  await git('bisect', 'start', 'HEAD', 'HEAD~7');
  const env = { WBDIFF_KERNELS: join(repo, 'kernels'), WBDIFF_CACHE: join(repo, '.cache') };
  const run = await execa('git', ['bisect', 'run', process.execPath, WBDIFF, 'check', 'hello', '--marker', 'T1=Y'], {
    cwd: repo,
    env,
    reject: false,
  });
  t.regex(run.stdout, new RegExp(`${commits[4]} is the first bad commit`), run.stdout + run.stderr);
});

test('check exits 125 when the kernel does not build, so git bisect skips the commit', async (t) => {
  const kernels = await mkdtemp(join(tmpdir(), 'wbdiff-check-'));
  await cp(join(KERNELS_DIR, 'common'), join(kernels, 'common'), { recursive: true });
  await cp(join(KERNELS_DIR, 'hello'), join(kernels, 'hello'), { recursive: true });
  await writeFile(join(kernels, 'hello', 'start.S'), 'this does not assemble\n');
  const result = await wbdiff(['check', 'hello', '--marker', 'T1=Y'], { WBDIFF_KERNELS: kernels, WBDIFF_CACHE: join(kernels, '.cache') });
  t.is(result.exitCode, 125, result.stderr);
  const ok = await wbdiff(['check', 'hello', '--marker', 'T1=Y']);
  t.is(ok.exitCode, 0);
  const bad = await wbdiff(['check', 'hello', '--marker', 'T1=N']);
  t.is(bad.exitCode, 1);
});
