// The one resolver from what a user names to what runs, on the bundled kernels: bundled variant
// names, patched bytes and their manifest, the RunSpec, the trace settings, and its errors.
import { join } from 'node:path';
import test from 'ava';
import { resolveRunTarget, resolveRunTargets } from '../harness/build/run-target.js';
import { WbdiffError } from '../harness/errors.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { wbdiff } from './helpers/cli.js';

test('a bundled kernel with a bundled variant name: the build, the patched bytes, their manifest and RunSpec', async (t) => {
  const target = await resolveRunTarget({
    kernel: 'gowb@go1.19',
    variants: ['seed-barrier'],
    overrides: { memoryMiB: 256 },
    timeoutMs: 4000,
    single: 'test',
  });
  t.is(target.subject.id, 'gowb@go1.19');
  t.is(target.variant, 'seed-barrier');
  t.is(target.variants[0]!.path, join(KERNELS_DIR, 'gowb/variants/go1.19/seed-barrier.json'));
  t.not(target.patched.elfHash, target.subject.elfHash, 'the patched bytes differ');
  t.is(target.patch!.sites.filter((s) => s.op === 'redirect-calls').length, 3);
  const spec = target.runSpec('max');
  t.is(spec.elfPath, target.patched.elfPath);
  t.is(spec.cpu, 'max');
  t.is(spec.timeoutMs, 4000);
  t.is(spec.memoryMiB, 256);
  t.is(target.baseRunSpec('max').elfPath, target.subject.elfPath);
  // What a diagnosis or parity run takes: the same timeout and memory, and the manifest's markers.
  t.is(target.trace.timeoutMs, 4000);
  t.is(target.trace.memoryMiB, 256);
  t.deepEqual(target.trace.expectedMarkers, ['T1', 'T2', 'T3']);
});

test('without overrides, the manifest says; without variants, the bytes are the build and no manifest is read', async (t) => {
  const [target] = await resolveRunTargets({ kernel: 'gowb@go1.19' });
  t.is(target!.variant, null);
  t.is(target!.patch, null);
  t.is(target!.patched.elfPath, target!.subject.elfPath);
  t.is(target!.runSpec('cortex-a57').timeoutMs, 10_000);
  t.is(target!.trace.timeoutMs, 10_000);
});

test('a variant name the kernel does not have names those it has; several builds are refused where one is needed', async (t) => {
  const typo = await t.throwsAsync(resolveRunTargets({ kernel: 'gowb@go1.19', variants: ['seed-barier'] }), { instanceOf: WbdiffError });
  t.regex(typo!.message, /no variant named "seed-barier" for gowb \(go1\.19\)/);
  t.regex((typo as WbdiffError).hint ?? '', /did you mean "seed-barrier"\?\); its variants: .*fixed-barrier.*seed-barrier/);
  const several = await t.throwsAsync(resolveRunTarget({ kernel: 'gowb', single: 'bisect' }), { instanceOf: WbdiffError });
  t.regex(several!.message, /"gowb" names 2 builds \(gowb@go1\.19, gowb@go1\.23\); bisect needs one/);
});

test('bisect --series takes bundled variant names, as run and the matrix do', async (t) => {
  const result = await wbdiff(['bisect', 'gowb@go1.19', '--series', 'fixed-barrier', 'seed-barrier', '--marker', 'T2', '--want', 'Y']);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /first variant that flips T2 \(want Y\): #2 seed-barrier \(seed-barrier\)/);
});
