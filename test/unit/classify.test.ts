import test from 'ava';
import { classifyCells, firstDifference, isFailing, type ClassifiableCell, type DiagnosisLike } from '../../harness/compare/classify.js';
import type { FaultInfo, RunResult } from '../../harness/runners/types.js';
import { machineProfile } from '../../harness/machine-profile.js';
import { runResult } from '../helpers/run-result.js';

function run(partial: Partial<RunResult>): RunResult {
  return runResult({ markers: { T1: 'Y', T2: 'Y' }, ...partial });
}
function cell(variant: string | null, runner: 'qemu' | 'emu', partial: Partial<RunResult> = {}, cpu = 'cortex-a57'): ClassifiableCell {
  return { id: `k/${variant ?? 'unpatched'}/${runner}/${cpu}`, target: 'k', variant, runner, cpu, run: run({ runner, cpu, ...partial }) };
}
const writeFault = (address: string): FaultInfo => ({
  kind: 'data abort',
  pc: '0x40',
  pcSymbol: 'main.kmain+0x5c',
  address,
  addressSymbol: address,
  access: 'write',
  esr: null,
  detail: '',
});
const machine = machineProfile();
const context = (diagnosis: DiagnosisLike | null = null) => ({
  machine,
  expectOf: () => ({ verdict: 'completed' as const, markers: { T1: 'Y', T2: 'Y' } }),
  diagnosisOf: (_t: string, variant: string | null) => (variant ? diagnosis : null),
});

test('a variant that flips a marker on every runner is a patch bug', (t) => {
  const cells = [
    cell(null, 'qemu'),
    cell(null, 'emu'),
    cell('v', 'qemu', { markers: { T1: 'Y', T2: 'N' } }),
    cell('v', 'emu', { markers: { T1: 'Y', T2: 'N' } }),
  ];
  const result = classifyCells(cells, context());
  t.is(result.get('k/v/qemu/cortex-a57')!.outcome, 'patch-bug');
  t.regex(result.get('k/v/emu/cortex-a57')!.findings[0]!.summary, /changes the outcome on every runner: T2 is N with v but Y unpatched/);
  t.is(result.get('k/unpatched/qemu/cortex-a57')!.outcome, 'expected');
});

test('a flip on one runner only is a parity divergence, with the flash as probable cause', (t) => {
  const cells = [
    cell(null, 'qemu'),
    cell(null, 'emu'),
    cell('v', 'qemu'),
    cell('v', 'emu', { verdict: 'fault', markers: {}, fault: writeFault('0x0') }),
  ];
  // An emulator that does not map the flash (wbdiff's did not before it modelled pflash).
  const result = classifyCells(cells, {
    ...context(),
    machine: { ...machine, emulatorMaps: machine.emulatorMaps.filter((name) => !name.startsWith('flash')) },
  });
  const emu = result.get('k/v/emu/cortex-a57')!;
  t.is(emu.outcome, 'parity-divergence');
  t.regex(emu.findings[0]!.summary, /T1 is \(missing\) on emu\/cortex-a57 but Y on qemu\/cortex-a57/);
  t.regex(emu.findings[0]!.evidence.join('\n'), /emulator faulted on 0x0, which QEMU virt maps as flash/);
  t.is(result.get('k/v/qemu/cortex-a57')!.outcome, 'parity-divergence');
});

test('a bad diagnosis is a convention bug on the emulator and a masked failure where QEMU passes', (t) => {
  const diagnosis = { verdict: 'convention-bug', findings: [{ kind: 'convention-bug', text: 'x25 was not set' }] };
  const cells = [
    cell(null, 'qemu'),
    cell(null, 'emu'),
    cell('v', 'qemu'),
    cell('v', 'emu', { verdict: 'fault', markers: {}, fault: writeFault('0x0') }),
  ];
  const result = classifyCells(cells, context(diagnosis));
  t.is(result.get('k/v/emu/cortex-a57')!.outcome, 'convention-bug');
  const qemu = result.get('k/v/qemu/cortex-a57')!;
  t.is(qemu.outcome, 'masked-failure');
  t.regex(qemu.findings.find((f) => f.kind === 'masked-failure')!.summary, /passes on qemu, but .*x25 was not set/);
});

test('infrastructure errors are never kernel outcomes; unpatched mismatches are unexpected', (t) => {
  const cells = [
    cell(null, 'qemu', { verdict: 'error', reason: 'qemu-system-aarch64 not found' }),
    cell(null, 'emu', { markers: { T1: 'N', T2: 'Y' } }),
  ];
  const result = classifyCells(cells, context());
  t.is(result.get('k/unpatched/qemu/cortex-a57')!.outcome, 'infrastructure');
  t.is(result.get('k/unpatched/emu/cortex-a57')!.outcome, 'unexpected', 'no parity finding against an error run');
  t.deepEqual(
    result.get('k/unpatched/emu/cortex-a57')!.findings.map((f) => f.kind),
    ['unexpected'],
  );
});

test('different CPU models are cpu-dependent (not failing), with MIDR named as the cause', (t) => {
  const a = cell(null, 'qemu', { markers: { MIDR: '0x411fd070' } }, 'cortex-a57');
  const b = cell(null, 'qemu', { markers: { MIDR: '0x410fd034' } }, 'cortex-a53');
  const result = classifyCells([a, b], { machine, expectOf: () => null, diagnosisOf: () => null });
  const finding = result.get(b.id)!.findings[0]!;
  t.is(result.get(b.id)!.outcome, 'cpu-dependent');
  t.false(isFailing('cpu-dependent'));
  t.is(finding.kind, 'cpu-dependent');
  t.regex(finding.evidence[0]!, /CPU models differ \(cortex-a53 vs cortex-a57\): MIDR 0x410fd034 vs 0x411fd070/);
});

test('firstDifference walks markers in order, then verdict, then fault place', (t) => {
  t.is(firstDifference(run({}), run({})), null);
  t.regex(firstDifference(run({ markers: { T1: 'N', T2: 'N' } }), run({}))!, /^T1 is N/);
  t.regex(firstDifference(run({ verdict: 'timeout', reason: 'timeout after 5 ms' }), run({}))!, /on qemu\/cortex-a57 it ends with timeout/);
});

test('a per-CPU expectation still judges a cpu-dependent cell', (t) => {
  const a = cell(null, 'qemu', { markers: { MIDR: '0x411fd070' } }, 'cortex-a57');
  const b = cell(null, 'qemu', { markers: { MIDR: '0x410fd034' } }, 'cortex-a53');
  const expectOf = (_t: string, cpu: string) => ({ markers: { MIDR: cpu === 'cortex-a53' ? '0x410fd035' : '0x411fd070' } });
  const result = classifyCells([a, b], { machine, expectOf, diagnosisOf: () => null });
  t.is(result.get(a.id)!.outcome, 'cpu-dependent');
  t.is(result.get(b.id)!.outcome, 'unexpected');
  t.regex(result.get(b.id)!.findings.find((f) => f.kind === 'unexpected')!.summary, /MIDR: expected 0x410fd035, got 0x410fd034/);
});

test('expectations first: with a failing unpatched kernel a real bug is not ok and the right fix is a fix', (t) => {
  // The unpatched kernel prints T2 N (the bug); "fix" makes it Y; "worse" breaks T1 as well.
  const broken = { markers: { T1: 'Y', T2: 'N' } };
  const cells = [
    cell(null, 'qemu', broken),
    cell(null, 'emu', broken),
    cell('fix', 'qemu'),
    cell('fix', 'emu'),
    cell('same', 'qemu', broken),
    cell('same', 'emu', broken),
    cell('worse', 'qemu', { markers: { T1: 'N', T2: 'N' } }),
    cell('worse', 'emu', { markers: { T1: 'N', T2: 'N' } }),
  ];
  const result = classifyCells(cells, context());
  t.is(result.get('k/unpatched/qemu/cortex-a57')!.outcome, 'unexpected');
  t.is(result.get('k/fix/qemu/cortex-a57')!.outcome, 'fix');
  t.regex(
    result.get('k/fix/emu/cortex-a57')!.findings[0]!.summary,
    /variant fix makes the kernel do what it must: unpatched, T2: expected Y, got N/,
  );
  t.is(result.get('k/same/qemu/cortex-a57')!.outcome, 'unexpected', 'the same as unpatched is still not as expected');
  t.regex(result.get('k/same/qemu/cortex-a57')!.findings[0]!.summary, /the unpatched kernel fails too/);
  t.is(result.get('k/worse/emu/cortex-a57')!.outcome, 'unexpected');
  t.false(isFailing('fix'));
});

test('a kernel declared non-deterministic is compared on what its expectation pins', (t) => {
  const expectOf = () => ({ verdict: 'completed' as const, markers: { T1: '*', COUNT: '*' } });
  const a = cell(null, 'qemu', { markers: { T1: 'Y', COUNT: '1f' } });
  const b = cell(null, 'emu', { markers: { T1: 'N', COUNT: '2a' } });
  const declared = classifyCells([a, b], { machine, expectOf, deterministicOf: () => false, diagnosisOf: () => null });
  t.is(declared.get(a.id)!.outcome, 'expected');
  const undeclared = classifyCells([a, b], { machine, expectOf, diagnosisOf: () => null });
  t.is(undeclared.get(a.id)!.outcome, 'parity-divergence');
  const missing = cell(null, 'emu', { markers: { T1: 'N' } });
  const gone = classifyCells([a, missing], { machine, expectOf, deterministicOf: () => false, diagnosisOf: () => null }).get(missing.id)!;
  t.deepEqual(
    gone.findings.map((f) => f.kind),
    ['parity-divergence', 'unexpected'],
    'a pinned marker missing still counts',
  );
});
