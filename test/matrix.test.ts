// The matrix on real kernels: classification, per-cell files, interruption and --resume.
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadMatrixConfig, type MatrixConfig } from '../harness/matrix/config.js';
import { runMatrix } from '../harness/matrix/run-matrix.js';
import { ResultsStore } from '../harness/matrix/store.js';
import { matrixRunners } from '../harness/runners/index.js';
import { wbdiff } from './helpers/cli.js';
import { subject } from './helpers/subjects.js';

async function config(doc: object): Promise<MatrixConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-config-'));
  const path = join(dir, 'wbdiff.config.json');
  await writeFile(path, JSON.stringify(doc, null, 2));
  return loadMatrixConfig(path);
}

async function store(): Promise<ResultsStore> {
  return new ResultsStore(await mkdtemp(join(tmpdir(), 'wbdiff-results-')));
}

test('gowb go1.19: seed-barrier is a patch bug on both runners, fixed-barrier is expected', async (t) => {
  const results = await store();
  const summary = await runMatrix({
    config: await config({ kernels: [{ kernel: 'gowb@go1.19', variants: ['seed-barrier', 'fixed-barrier'] }], diagnose: false }),
    store: results,
    runId: 'test',
  });
  const outcome = (id: string) => summary.cells.find((c) => c.id === id)?.outcome;
  t.is(summary.cells.length, 6);
  t.is(outcome('gowb@go1.19/unpatched/qemu/cortex-a57'), 'expected');
  t.is(outcome('gowb@go1.19/seed-barrier/qemu/cortex-a57'), 'patch-bug');
  t.is(outcome('gowb@go1.19/seed-barrier/emu/cortex-a57'), 'patch-bug');
  t.is(outcome('gowb@go1.19/fixed-barrier/emu/cortex-a57'), 'expected');
  t.is((await readdir(join(results.dir, 'cells'))).length, 6, 'one file per cell');
  const onDisk = JSON.parse(await readFile(join(results.dir, 'summary.json'), 'utf8'));
  t.is(onDisk.version, 1);
  t.deepEqual(onDisk.counts, summary.counts);
  const run = JSON.parse(await readFile(join(results.dir, 'run.json'), 'utf8'));
  t.regex(run.versions.qemu, /QEMU emulator version/);
  t.regex(run.versions.unicorn, /^2\./);
  t.regex(run.versions.toolchains, /go1\.19/);
  const seed = summary.subjects['gowb@go1.19/seed-barrier']!;
  t.is(seed.sites!.filter((s) => s.op === 'redirect-calls').length, 3);
});

test('fault on both runners at the same address is no divergence', async (t) => {
  const summary = await runMatrix({
    config: await config({ kernels: [{ kernel: 'fault' }], diagnose: false }),
    store: await store(),
    runId: 't',
  });
  t.deepEqual(
    summary.cells.map((c) => c.outcome),
    ['expected', 'expected'],
  );
});

test('cpuid on two CPU models: cpu-dependent (not a failure), naming MIDR; a per-CPU expectation judges it', async (t) => {
  const summary = await runMatrix({
    config: await config({ kernels: [{ kernel: 'cpuid', cpus: ['cortex-a57', 'cortex-a53'] }], runners: ['qemu'], diagnose: false }),
    store: await store(),
    runId: 't',
  });
  for (const cell of summary.cells) {
    t.is(cell.outcome, 'cpu-dependent');
    t.regex(cell.findings[0]!.summary, /^differs from qemu on cortex-a5[37] on the same bytes: MIDR is 0x41[01]fd0[37][04]/);
    t.regex(cell.findings[0]!.evidence[0]!, /MIDR 0x41/);
  }
  t.is(summary.counts['failing'], 0);
  // Say what a53 must report (a wrong value on purpose): that cell fails, a57 stays cpu-dependent.
  const strict = await runMatrix({
    config: await config({
      kernels: [
        { kernel: 'cpuid', cpus: ['cortex-a57', 'cortex-a53'], expectByCpu: { 'cortex-a53': { markers: { MIDR: '0x410fd030' } } } },
      ],
      runners: ['qemu'],
      diagnose: false,
    }),
    store: await store(),
    runId: 't',
  });
  const byCpu = Object.fromEntries(strict.cells.map((c) => [c.cpu, c]));
  t.is(byCpu['cortex-a53']!.outcome, 'unexpected');
  t.regex(byCpu['cortex-a53']!.findings.find((f) => f.kind === 'unexpected')!.summary, /MIDR: expected 0x410fd030, got 0x410fd034/);
  t.is(byCpu['cortex-a57']!.outcome, 'cpu-dependent');
});

test('any ELF in a config gets the same analysis, with its own expectation', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-anyelf-'));
  await copyFile((await subject('hello')).elfPath, join(dir, 'mine.elf'));
  const cfg = await config({ kernels: [{ elf: join(dir, 'mine.elf'), name: 'mine', expect: { markers: { T1: 'N' } } }], diagnose: false });
  const summary = await runMatrix({ config: cfg, store: await store(), runId: 't' });
  t.deepEqual(
    summary.cells.map((c) => [c.target, c.outcome]),
    [
      ['mine', 'unexpected'],
      ['mine', 'unexpected'],
    ],
  );
});

test('an interrupted matrix keeps finished cells, and --resume runs only the rest', async (t) => {
  const results = await store();
  const cfg = await config({ kernels: [{ kernel: 'hello' }, { kernel: 'tap' }, { kernel: 'noisy' }], runners: ['emu'], diagnose: false });
  const controller = new AbortController();
  const first = await runMatrix({ config: cfg, store: results, runId: 't', signal: controller.signal, onCell: () => controller.abort() });
  t.true(first.interrupted);
  const kept = await readdir(join(results.dir, 'cells'));
  t.true(kept.length >= 1 && kept.length < 3, `kept ${kept.length}`);
  const ran: string[] = [];
  const second = await runMatrix({ config: cfg, store: results, runId: 't', resume: true, onCell: (c) => ran.push(c.id) });
  t.false(second.interrupted);
  t.is(second.cells.length, 3);
  t.is(ran.length, 3 - kept.length, 'finished cells are not run again');
});

test('bytes that cannot be prepared are an infrastructure error of their cells, and the rest still runs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-notelf-'));
  await writeFile(join(dir, 'broken.elf'), 'not an ELF at all');
  const summary = await runMatrix({
    config: await config({ kernels: ['hello', { elf: join(dir, 'broken.elf'), name: 'broken' }], runners: ['emu'], diagnose: false }),
    store: await store(),
    runId: 't',
  });
  const byId = Object.fromEntries(summary.cells.map((c) => [c.id, c]));
  t.is(byId['hello/unpatched/emu/cortex-a57']!.outcome, 'expected');
  t.is(byId['broken/unpatched/emu/cortex-a57']!.outcome, 'infrastructure');
  t.regex(byId['broken/unpatched/emu/cortex-a57']!.reason, /broken\.elf/);
  t.is(summary.counts['infrastructure'], 1);
});

test('wbdiff matrix --config runs, prints the table, and --explain shows the evidence', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-cli-matrix-'));
  const cfgPath = join(dir, 'm.json');
  await writeFile(cfgPath, JSON.stringify({ kernels: [{ kernel: 'gowb@go1.19', variants: ['seed-barrier'] }], diagnose: false }));
  const out = join(dir, 'results');
  const result = await wbdiff(['matrix', '--config', cfgPath, '--out', out, '--no-baseline']);
  t.is(result.exitCode, 1, 'a patch bug fails the run');
  t.regex(result.stdout, /gowb@go1\.19 \+ seed-barrier\s+PATCH-BUG: T1=N T2=N T3=N\s+PATCH-BUG: T1=N T2=N T3=N/);
  t.regex(result.stdout, /4 cells: 2 PATCH-BUG, 2 ok/);
  const explain = await wbdiff(['matrix', '--explain', 'seed-barrier/emu', '--from', out]);
  t.is(explain.exitCode, 0, explain.stderr);
  t.regex(explain.stdout, /patch-bug: variant seed-barrier changes the outcome on every runner: T1 is N with seed-barrier but Y unpatched/);
  t.regex(explain.stdout, /bl runtime\.gcWriteBarrier\s+->\s+bl main\.wbSeed\.abi0/);
  t.regex(explain.stdout, /\| T1 N/);
  await rm(dir, { recursive: true, force: true });
  t.false(existsSync(dir));
});

test('a bad matrix config names the file and the line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-badcfg-'));
  const path = join(dir, 'c.json');
  await writeFile(path, '{\n  "kernels": [\n    { "kernel": "hello", "runners": "qemu" }\n  ]\n}\n');
  const result = await wbdiff(['matrix', '--config', path]);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /c\.json:3:37: invalid matrix config: \/kernels\/0\/runners must be array/);
});

test('with diagnosis: Go 1.19 seed-barrier is a convention bug naming x2, x3, x27 and the slot; fixed-barrier is expected', async (t) => {
  const { diagnoseSubjects } = await import('../harness/diagnose/matrix.js');
  const summary = await runMatrix({
    config: await config({ kernels: [{ kernel: 'gowb@go1.19', variants: ['seed-barrier', 'fixed-barrier'] }] }),
    store: await store(),
    runId: 't',
    diagnose: diagnoseSubjects,
  });
  const cell = (id: string) => summary.cells.find((c) => c.id === id)!;
  for (const runner of ['qemu', 'emu']) {
    const seed = cell(`gowb@go1.19/seed-barrier/${runner}/cortex-a57`);
    t.is(seed.outcome, 'convention-bug');
    const text = seed.findings.find((f) => f.kind === 'convention-bug')!.summary;
    for (const needle of [
      /main\.wbSeed/,
      /stored x2 \(=&main\.gp, the slot\) into \[x27\] \(=&runtime\.writeBarrier\)/,
      /the slot was never written/,
      /x3/,
      /Go 1\.19/,
    ])
      t.regex(text, needle);
    t.true(
      seed.findings.some((f) => f.kind === 'patch-bug'),
      'the markers flip too: the convention bug explains the patch bug',
    );
    t.is(cell(`gowb@go1.19/fixed-barrier/${runner}/cortex-a57`).outcome, 'expected');
  }
});

test('with diagnosis: Go 1.23 wrong routines name x25; QEMU passes are called masked failures', async (t) => {
  const { diagnoseSubjects } = await import('../harness/diagnose/matrix.js');
  const summary = await runMatrix({
    config: await config({ kernels: [{ kernel: 'gowb@go1.23', variants: ['seed-barrier', 'old-convention', 'buffer-convention'] }] }),
    store: await store(),
    runId: 't',
    diagnose: diagnoseSubjects,
  });
  const cell = (id: string) => summary.cells.find((c) => c.id === id)!;
  for (const variant of ['seed-barrier', 'old-convention']) {
    const emu = cell(`gowb@go1.23/${variant}/emu/cortex-a57`);
    t.is(emu.outcome, 'convention-bug');
    t.regex(
      emu.findings.find((f) => f.kind === 'convention-bug')!.summary,
      /x25 was not set by main\.wb(Seed|Old).*the caller stored x0 .* to \[x25\] = 0x0/i,
    );
    const qemu = cell(`gowb@go1.23/${variant}/qemu/cortex-a57`);
    t.deepEqual(qemu.markers, { T1: 'Y', T2: 'Y', T3: 'Y' }, 'every marker says Y on QEMU');
    t.is(qemu.outcome, 'masked-failure');
    t.regex(qemu.findings.find((f) => f.kind === 'masked-failure')!.summary, /passes on qemu, but the emulator's trace .* x25 was not set/);
  }
  t.is(cell('gowb@go1.23/buffer-convention/qemu/cortex-a57').outcome, 'expected');
  t.is(cell('gowb@go1.23/buffer-convention/emu/cortex-a57').outcome, 'expected');
  const diagnosis = summary.diagnoses['gowb@go1.23/seed-barrier/cortex-a57'] as unknown as { convention: string; goVersion: string };
  t.regex(diagnosis.goVersion, /^go1\.23/);
  t.regex(diagnosis.convention, />=\s*1\.21/);
});

test('two runs started in the same second get their own results folders', async (t) => {
  const claimRunDir = (root: string) => ResultsStore.claimRunDir(root);
  const root = await mkdtemp(join(tmpdir(), 'wbdiff-claim-'));
  const dirs = await Promise.all([claimRunDir(root), claimRunDir(root), claimRunDir(root)]);
  t.is(new Set(dirs).size, 3);
  t.true(dirs.every((d) => /\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ(-\d)?$/.test(d)));
});

test('a config may be TypeScript or JavaScript, checked against the same schema', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-tsconfig-'));
  await writeFile(join(dir, 'kernels.mjs'), 'export const names = ["hello", "fault"];\n');
  await writeFile(
    join(dir, 'wbdiff.config.ts'),
    [
      "import type { MatrixConfigFile } from './types.js';",
      "import { names } from './kernels.mjs';",
      'const runners: Array<"qemu" | "emu"> = ["emu"];',
      'export default { runners, diagnose: false, kernels: names.map((kernel: string) => ({ kernel })) } satisfies MatrixConfigFile;',
    ].join('\n'),
  );
  const ts = await loadMatrixConfig(join(dir, 'wbdiff.config.ts'));
  t.deepEqual(ts.kernels, [{ kernel: 'hello' }, { kernel: 'fault' }]);
  t.deepEqual(ts.runners, ['emu']);
  const summary = await runMatrix({ config: ts, store: await store(), runId: 't' });
  t.deepEqual(
    summary.cells.map((c) => c.outcome),
    ['expected', 'expected'],
  );

  await writeFile(join(dir, 'bad.mjs'), 'export default { kernels: [{ kernel: "hello", runners: "qemu" }] };\n');
  const error = await t.throwsAsync(loadMatrixConfig(join(dir, 'bad.mjs')));
  t.regex(error!.message, /invalid matrix config: \/kernels\/0\/runners must be array/);
  t.regex((error as { where?: string }).where ?? '', /bad\.mjs at \/kernels\/0\/runners/);
});

test('the executor takes its runners from an injected factory, asks it per cell and closes it', async (t) => {
  const asked: string[] = [];
  let closed = false;
  const registry = matrixRunners(undefined);
  const summary = await runMatrix({
    config: await config({ kernels: [{ kernel: 'hello' }], runners: ['qemu', 'emu'], diagnose: false }),
    store: await store(),
    runId: 'injected',
    runners: {
      runnerFor: (name, subject) => {
        asked.push(name);
        return registry.runnerFor(name, subject);
      },
      close: async () => {
        closed = true;
        await registry.close();
      },
    },
  });
  t.deepEqual(asked.sort(), ['emu', 'qemu']);
  t.true(closed);
  t.deepEqual(
    summary.cells.map((c) => c.outcome),
    ['expected', 'expected'],
  );
});

test('the matrix emulator (on its worker thread) streams serial to onSerial like every runner', async (t) => {
  const hello = await subject('hello');
  const runners = matrixRunners(undefined);
  const chunks: Uint8Array[] = [];
  try {
    const run = await runners
      .runnerFor('emu', {})
      .run({ elfPath: hello.elfPath, cpu: 'cortex-a57', timeoutMs: 10_000 }, { onSerial: (chunk) => chunks.push(chunk) });
    t.is(run.verdict, 'completed');
    t.is(Buffer.concat(chunks).toString('utf8'), run.serial);
  } finally {
    await runners.close();
  }
});
