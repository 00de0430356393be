import test from 'ava';
import { diffAgainstBaseline } from '../../harness/baseline/diff.js';
import type { SummaryCell } from '../../harness/matrix/cells.js';

function cell(id: string, partial: Partial<SummaryCell> = {}): SummaryCell {
  return {
    id,
    target: 'k',
    variant: null,
    runner: 'qemu',
    cpu: 'cortex-a57',
    subject: 'k/unpatched',
    outcome: 'expected',
    findings: [],
    verdict: 'completed',
    reason: '',
    markers: { T1: 'Y' },
    done: true,
    fault: null,
    durationMs: 1,
    provenance: { elfHash: 'x', sourceHash: null, variantHashes: [], toolchain: null },
    ...partial,
  };
}

test('regression, fix, new, gone, changed and changed diagnosis', (t) => {
  const before = [
    cell('a'),
    cell('b', { outcome: 'patch-bug' }),
    cell('c'),
    cell('e', { outcome: 'patch-bug', findings: [{ kind: 'patch-bug', summary: 'x', evidence: [] }] }),
    cell('f', { outcome: 'patch-bug' }),
  ];
  const after = [
    cell('a', {
      outcome: 'unexpected',
      markers: { T1: 'N' },
      findings: [{ kind: 'unexpected', summary: 'T1: expected Y, got N', evidence: [] }],
    }),
    cell('b'),
    cell('d'),
    cell('e', { outcome: 'patch-bug', findings: [{ kind: 'patch-bug', summary: 'y', evidence: [] }] }),
    cell('f', { outcome: 'parity-divergence' }),
  ];
  const diff = diffAgainstBaseline(after, before, 'night1');
  t.deepEqual(
    diff.changes.map((c) => [c.cell, c.kind]),
    [
      ['a', 'regression'],
      ['b', 'fix'],
      ['d', 'new'],
      ['e', 'changed-diagnosis'],
      ['f', 'changed'],
      ['c', 'gone'],
    ],
  );
  t.regex(diff.changes[0]!.text, /was expected, now unexpected: T1: expected Y, got N/);
  t.is(diff.counts.regression, 1);
});

test('infrastructure errors are never regressions', (t) => {
  const diff = diffAgainstBaseline(
    [cell('a', { outcome: 'infrastructure', verdict: 'error', reason: 'qemu-system-aarch64 not found' })],
    [cell('a')],
    'n',
  );
  t.deepEqual(
    diff.changes.map((c) => c.kind),
    ['infrastructure'],
  );
  t.is(diff.counts.regression, undefined);
  const back = diffAgainstBaseline([cell('a')], [cell('a', { outcome: 'infrastructure' })], 'n');
  t.deepEqual(
    back.changes.map((c) => c.kind),
    ['infrastructure'],
    'nor is recovering from one a fix',
  );
});

test('flaky cells are reported with their observed rates', (t) => {
  const repeats = [
    { verdict: 'completed' as const, done: true, markers: { T1: 'Y' }, faultPc: null },
    { verdict: 'completed' as const, done: true, markers: { T1: 'N' }, faultPc: null },
    { verdict: 'completed' as const, done: true, markers: { T1: 'Y' }, faultPc: null },
  ];
  const diff = diffAgainstBaseline([cell('a', { repeats, flaky: true })], [cell('a')], 'n');
  t.is(diff.changes[0]!.kind, 'flaky');
  t.regex(diff.changes[0]!.text, /2\/3 runs: completed T1=Y; 1\/3 runs: completed T1=N/);
});

test('cells this run was to run but did not finish are "not run", never "gone"; other shards are not compared', (t) => {
  const before = [cell('a'), cell('b'), cell('c'), cell('d')];
  const diff = diffAgainstBaseline([cell('a')], before, 'n', { planned: ['a', 'b'], matrix: ['a', 'b', 'c'] });
  t.deepEqual(
    diff.changes.map((c) => [c.cell, c.kind]),
    [
      ['b', 'not-run'],
      ['d', 'gone'],
    ],
  );
});

test('a new failing cell, known cells and markers a non-deterministic kernel does not pin', (t) => {
  const failing = cell('a', { outcome: 'patch-bug', findings: [{ kind: 'patch-bug', summary: 'T1 is N', evidence: [] }] });
  t.deepEqual(
    diffAgainstBaseline([failing], [cell('a', { outcome: 'cpu-dependent' })], 'n').changes.map((c) => c.kind),
    ['regression'],
    'from any passing outcome',
  );
  const known = cell('a', { outcome: 'known', known: { cells: 'a', reason: 'upstream bug', outcome: 'patch-bug' } });
  t.deepEqual(
    diffAgainstBaseline([known], [failing], 'n').changes.map((c) => c.kind),
    ['known'],
  );
  const jitter = (count: string) => cell('j', { markers: { T1: 'Y', COUNT: count }, varying: ['COUNT'] });
  t.deepEqual(diffAgainstBaseline([jitter('2f')], [jitter('a1')], 'n').changes, []);
});
