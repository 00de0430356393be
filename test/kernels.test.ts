// Every bundled kernel, for real, on QEMU and on the Unicorn emulator: verdicts and markers as
// their manifests say, and the same on both runners.
import test from 'ava';
import { buildTargets, listKernels } from '../harness/build/manifest.js';
import { checkExpectation, formatMismatch, runsAgree } from '../harness/compare/expect.js';
import { runSubject } from '../harness/cli/run-command.js';
import { subject } from './helpers/subjects.js';

const targets = (await listKernels()).flatMap(buildTargets);

test('the bundled set has the kernels the foundation promises', (t) => {
  const ids = targets.map((x) => x.id);
  for (const id of ['hello', 'gowb@go1.19', 'gowb@go1.23', 'fault', 'hang', 'cpuid', 'tap', 'noisy']) t.true(ids.includes(id), id);
});

for (const target of targets) {
  // A kernel that needs what the emulator does not model yet (smp, semihosting, raw images) names its runners.
  const runners = target.kernel.manifest.runners ?? ['qemu', 'emu'];
  test(`${target.id} behaves as its manifest expects on ${runners.join(' and ')}${target.kernel.manifest.deterministic === false || runners.length < 2 ? '' : ', and they agree'}`, async (t) => {
    const s = await subject(target.id);
    const result = await runSubject(s, runners, 'cortex-a57');
    for (const run of result.runs) {
      t.deepEqual(
        checkExpectation(run, target.kernel.manifest.expect).map(formatMismatch),
        [],
        `${run.runner}: ${run.reason}\n${run.serial}`,
      );
    }
    if (target.kernel.manifest.deterministic !== false) {
      t.true(runsAgree(result.runs), JSON.stringify(result.runs.map((r) => [r.runner, r.verdict, r.markers, r.fault?.pc])));
    }
  });
}

test('fault: both runners fault on the same read of 0x50000000 at the same pc', async (t) => {
  const { runs } = await runSubject(await subject('fault'), ['qemu', 'emu'], 'cortex-a57');
  const [qemu, emu] = runs;
  for (const run of runs) {
    t.is(run.verdict, 'fault');
    t.is(run.fault?.address, '0x50000000');
    t.is(run.fault?.access, 'read');
    t.regex(run.fault?.pcSymbol ?? '', /^main\+0x[0-9a-f]+$/);
  }
  t.is(qemu!.fault!.pc, emu!.fault!.pc);
  t.is(qemu!.fault!.esr, '0x96000010', 'QEMU reports the syndrome of a synchronous external abort on a read');
});

test('hang: both runners stop it at the timeout, in bounded time', async (t) => {
  // 2.5 s: QEMU must have booted and printed T1 before the limit even on a loaded machine.
  const { runs } = await runSubject(await subject('hang'), ['qemu', 'emu'], 'cortex-a57', 2500);
  for (const run of runs) {
    t.is(run.verdict, 'timeout');
    t.is(run.markers['T1'], 'Y', run.serial);
    t.true(run.durationMs < 12_000, `${run.runner} took ${run.durationMs} ms`);
  }
});

test('noisy: the conflict is reported with both values and lines, look-alikes are ignored', async (t) => {
  const { runs } = await runSubject(await subject('noisy'), ['qemu', 'emu'], 'cortex-a57');
  for (const run of runs) {
    t.deepEqual(
      run.conflicts.map((c) => [c.id, c.values]),
      [['T3', ['Y', 'N']]],
    );
    t.deepEqual(Object.keys(run.markers).sort(), ['T1', 'T2', 'T3']);
    t.true(run.serial.includes('\\xff\\xfe'), 'raw bytes are kept, escaped');
  }
});

test('flood: the serial cap stops the kernel with output-limit and keeps only the cap', async (t) => {
  const s = await subject('flood');
  const { runs } = await runSubject(s, ['qemu', 'emu'], 'cortex-a57');
  for (const run of runs) {
    t.is(run.verdict, 'output-limit');
    t.true(run.serialBytes > s.maxSerialBytes!);
    t.true(run.serial.length <= s.maxSerialBytes!, `${run.runner} kept ${run.serial.length} chars`);
  }
});

test('cpuid: MIDR follows the CPU model on both runners', async (t) => {
  const s = await subject('cpuid');
  const a57 = await runSubject(s, ['qemu', 'emu'], 'cortex-a57');
  const a53 = await runSubject(s, ['qemu', 'emu'], 'cortex-a53');
  for (const run of a57.runs) t.is(run.markers['MIDR'], '0x411fd070', run.runner);
  for (const run of a53.runs) t.is(run.markers['MIDR'], '0x410fd034', run.runner);
  for (const run of [...a57.runs, ...a53.runs]) t.is(run.markers['CURRENTEL'], '1');
});

test('gowb unpatched: all Y on both runners with both Go toolchains', async (t) => {
  for (const id of ['gowb@go1.19', 'gowb@go1.23']) {
    const { runs } = await runSubject(await subject(id), ['qemu', 'emu'], 'cortex-a57');
    for (const run of runs) t.deepEqual(run.markers, { T1: 'Y', T2: 'Y', T3: 'Y' }, `${id} on ${run.runner}`);
  }
});
