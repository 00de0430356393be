import test from 'ava';
import { runResult } from '../helpers/run-result.js';
import { checkExpectation, DEFAULT_EXPECTATION } from '../../harness/compare/expect.js';
import { detectImageFormat, placeImage } from '../../harness/machine/boot-image.js';
import { canonicalMachine, machineLabel, mergeMachine, unsupportedOptions } from '../../harness/machine/description.js';
import { explainEtDyn } from '../../harness/elf/et-dyn.js';
import { parseMarkers, validatePattern } from '../../harness/markers/parse.js';
import { presetPatterns } from '../../harness/markers/presets.js';
import { runSpecFor, type RunResult } from '../../harness/runners/types.js';

test('machine layers: scalars replaced, -machine merged per key, lists appended once', (t) => {
  const merged = mergeMachine(
    { smp: 2, machine: { 'gic-version': '2' }, devices: ['pci-testdev'] },
    null,
    { machine: { mte: 'on' }, devices: ['pci-testdev', 'virtio-rng-device'], append: 'x' },
    { smp: 1 },
  );
  t.deepEqual(merged, { smp: 1, machine: { 'gic-version': '2', mte: 'on' }, devices: ['pci-testdev', 'virtio-rng-device'], append: 'x' });
  t.deepEqual(
    canonicalMachine(merged),
    { machine: { 'gic-version': '2', mte: 'on' }, append: 'x', devices: ['pci-testdev', 'virtio-rng-device'] },
    'smp 1 is the default',
  );
  t.is(machineLabel({ smp: 2, machine: { mte: 'on', 'gic-version': '3' } }), 'smp=2,gic-version=3,mte=on');
  t.deepEqual(unsupportedOptions({ smp: 2, semihosting: true, append: '' }, new Set(['semihosting'])), ['smp']);
});

test('runSpecFor lays the command line over the kernel and puts a preset before its own patterns', (t) => {
  const spec = runSpecFor(
    '/k',
    'max',
    { memoryMiB: 128, machine: { smp: 2 }, results: 'kvm-unit-tests', resultPatterns: [{ regex: '(?<id>A)=(?<result>\\d)' }] },
    undefined,
    { memoryMiB: 256, machine: { append: 'a b' } },
  );
  t.is(spec.memoryMiB, 256);
  t.deepEqual(spec.machine, { smp: 2, append: 'a b' });
  t.is(spec.resultPatterns![0]!.regex, presetPatterns('kvm-unit-tests')[0]!.regex);
  t.is(spec.resultPatterns!.at(-1)!.regex, '(?<id>A)=(?<result>\\d)');
});

test('boot formats are told from the bytes and placed where QEMU places them', (t) => {
  const header = new Uint8Array(0x100);
  const view = new DataView(header.buffer);
  header.set([0x41, 0x52, 0x4d, 0x64], 0x38);
  view.setBigUint64(8, 0x80000n, true);
  view.setBigUint64(16, 0x10000n, true);
  t.is(detectImageFormat(header), 'linux-image');
  t.is(placeImage(header).loadAddress, 0x40080000n);
  view.setBigUint64(8, 0n, true);
  t.is(placeImage(header).loadAddress, 0x40200000n, 'text_offset inside the boot stub: 2 MiB up (measured on QEMU 7.2)');
  view.setBigUint64(16, 0n, true);
  t.is(placeImage(header).loadAddress, 0x40080000n, 'image_size 0: text_offset is not valid');
  t.is(detectImageFormat(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1])), 'elf');
  t.is(detectImageFormat(new Uint8Array(64)), 'raw');
  t.is(placeImage(new Uint8Array(64)).loadAddress, 0x40080000n);
  t.regex(explainEtDyn(0n, 0n).what, /inside the virt flash/);
});

test('the kvm-unit-tests preset: PASS/FAIL/SKIP lines by name, SUMMARY, and EXIT: STATUS= read as arm/run reads it', (t) => {
  const serial =
    'INFO: noise\nPASS: selftest: setup: smp\nFAIL: gic: mmio: ITARGETSR\nSKIP: pmu: event 0x8 not supported\nSUMMARY: 3 tests, 1 unexpected failures\n\nEXIT: STATUS=3\n';
  const report = parseMarkers(serial, { resultPatterns: presetPatterns('kvm-unit-tests') });
  t.deepEqual(report.markers, {
    'selftest: setup: smp': 'PASS',
    'gic: mmio: ITARGETSR': 'FAIL',
    'pmu: event 0x8 not supported': 'SKIP',
    SUMMARY: '3 tests, 1 unexpected failures',
  });
  t.is(report.exitStatus, 3);
  t.is(parseMarkers('EXIT: STATUS=1\n', { resultPatterns: presetPatterns('kvm-unit-tests') }).exitStatus, 0, '(0 << 1) | 1 is a pass');
  const ktap = parseMarkers('KTAP version 1\n1..3\nok 1 first\nnot ok 2 second\nok 3 third # SKIP no device\n', {
    resultPatterns: presetPatterns('ktap'),
  });
  t.like(ktap.markers, { first: 'Y', second: 'N', third: 'SKIP' });
});

test('a custom pattern may give a fixed id and a value map', (t) => {
  const pattern = { regex: 'Global pointer assignment (?<result>failed|succeeded)!', id: 'T2', map: { failed: 'N', succeeded: 'Y' } };
  t.is(validatePattern(pattern), null);
  t.deepEqual(parseMarkers('T1 Y\nGlobal pointer assignment failed!\n', { resultPatterns: [pattern] }).markers, { T1: 'Y', T2: 'N' });
  t.deepEqual(parseMarkers('boom\n', { resultPatterns: [{ regex: 'boom', id: 'T3', map: { '*': 'N' } }] }).markers, { T3: 'N' });
  t.regex(validatePattern({ regex: 'no groups' })!, /named group \(\?<id>/);
});

test('exit statuses in expectations: the default wants 0 and no failing marker; a list allows several', (t) => {
  const run = (over: Partial<RunResult>): RunResult =>
    runResult({ cpu: 'max', done: false, poweredOff: false, durationMs: 0, exitStatus: null, ...over });
  t.deepEqual(checkExpectation(run({}), DEFAULT_EXPECTATION), []);
  t.deepEqual(
    checkExpectation(run({ exitStatus: 3 }), DEFAULT_EXPECTATION).map((m) => m.what),
    ['exit status'],
  );
  t.deepEqual(
    checkExpectation(run({ markers: { a: 'FAIL', T1: 'N' } }), DEFAULT_EXPECTATION).map((m) => m.id),
    ['a', 'T1'],
  );
  t.deepEqual(checkExpectation(run({ exitStatus: 77 }), { exitStatus: [0, 77] }), []);
  t.deepEqual(
    checkExpectation(run({}), { exitStatus: 3 }).map((m) => m.actual),
    ['(none)'],
  );
});

test('the matrix exit code counts every unexpected finding of a cell, not only the outcome shown first', async (t) => {
  const { matrixExitCode } = await import('../../harness/matrix/summarize.js');
  const cell = (outcome: string, kinds: string[]) => ({ outcome, findings: kinds.map((kind) => ({ kind, summary: '', evidence: [] })) });
  const summary = (cells: object[]) =>
    ({ counts: { cells: cells.length }, cells, baseline: null }) as unknown as Parameters<typeof matrixExitCode>[0];
  t.is(matrixExitCode(summary([cell('expected', [])])), 0);
  t.is(matrixExitCode(summary([cell('parity-divergence', ['parity-divergence', 'unexpected'])])), 1);
  t.is(
    matrixExitCode({ ...summary([cell('infrastructure', ['infrastructure'])]), counts: { cells: 1, infrastructure: 1 } } as Parameters<
      typeof matrixExitCode
    >[0]),
    2,
  );
});
