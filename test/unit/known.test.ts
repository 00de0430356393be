import test from 'ava';
import { applyKnown, globMatcher, type KnownCell, type KnownEntry } from '../../harness/compare/known.js';
import type { Finding, Outcome } from '../../harness/compare/classify.js';

const cell = (id: string, outcome: Outcome, findings: Finding[] = []): KnownCell => ({ id, outcome, findings });
const masked = (id: string) =>
  cell(id, 'masked-failure', [{ kind: 'masked-failure', summary: 'passes on qemu, but x25 was not set', evidence: [] }]);

test('globs over cell ids: "*" crosses "/", "?" is one character, the rest is literal', (t) => {
  t.true(globMatcher('gowb@go1.23/seed-barrier/*').test('gowb@go1.23/seed-barrier/qemu/cortex-a57'));
  t.false(globMatcher('gowb@go1.23/seed-barrier/*').test('gowb@go1x23/seed-barrier/qemu/cortex-a57'));
  t.true(globMatcher('k/v?/emu/*').test('k/v2/emu/max'));
});

test('a known entry turns a failing cell known, with its filters; expired entries and passes are reported', (t) => {
  const entries: KnownEntry[] = [
    {
      cells: 'g/seed/*',
      finding: 'masked-failure',
      reason: 'QEMU flash absorbs the store',
      link: 'https://example.org/1',
      until: '2027-01-31',
    },
    { cells: 'h/*', marker: 'T2', reason: 'upstream', until: '2020-01-01' },
    { cells: 'ok/*', reason: 'was broken' },
  ];
  const cells = [
    masked('g/seed/qemu/a57'),
    cell('g/seed/emu/a57', 'convention-bug', [{ kind: 'convention-bug', summary: 'x25 was not set', evidence: [] }]),
    cell('h/v/emu/a57', 'patch-bug', [
      { kind: 'patch-bug', summary: 'variant v changes the outcome on every runner: T2 is N with v but Y unpatched', evidence: [] },
    ]),
    cell('ok/unpatched/emu/a57', 'expected'),
  ];
  const { cells: out, report } = applyKnown(cells, entries, '2026-12-01');
  t.deepEqual(
    out.map((c) => c.outcome),
    ['known', 'convention-bug', 'patch-bug', 'expected'],
  );
  t.is(out[0]!.known!.reason, 'QEMU flash absorbs the store');
  t.is(out[0]!.known!.outcome, 'masked-failure');
  t.is(out[2]!.knownExpired!.until, '2020-01-01');
  t.deepEqual(
    report.expired.map((e) => e.cell),
    ['h/v/emu/a57'],
  );
  t.deepEqual(
    report.xpass.map((e) => e.cell),
    ['ok/unpatched/emu/a57'],
  );
  t.is(applyKnown(cells, entries, '2019-12-31').cells[2]!.outcome, 'known', 'on or before until it holds');
});
