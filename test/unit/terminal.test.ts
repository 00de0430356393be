// Golden tests of what `wbdiff matrix` prints (harness/report/terminal.ts).
import test from 'ava';
import type { SummaryCell } from '../../harness/matrix/cells.js';
import type { MatrixSummary } from '../../harness/matrix/summarize.js';
import type { Outcome } from '../../harness/compare/classify.js';
import {
  plural,
  progressLine,
  progressRecord,
  renderMatrixResult,
  renderMergeResult,
  renderBaseline,
  renderCounts,
  renderFailing,
  renderKnown,
  renderTable,
  terminalStyle,
} from '../../harness/report/terminal.js';

function cell(
  target: string,
  variant: string | null,
  runner: 'qemu' | 'emu',
  cpu: string,
  outcome: Outcome,
  markers: Record<string, string>,
  extra: Partial<SummaryCell> = {},
): SummaryCell {
  return {
    id: `${target}/${variant ?? 'unpatched'}/${runner}/${cpu}`,
    target,
    variant,
    runner,
    cpu,
    subject: `${target}/${variant ?? 'unpatched'}`,
    outcome,
    findings: outcome === 'expected' ? [] : [{ kind: outcome, summary: `${outcome} summary`, evidence: [] }],
    verdict: 'completed',
    reason: '',
    markers,
    done: true,
    fault: null,
    durationMs: 1,
    provenance: { elfHash: '', sourceHash: null, variantHashes: [], toolchain: null },
    ...extra,
  };
}
const Y = { T1: 'Y', T2: 'Y', T3: 'Y' };
const cells: SummaryCell[] = [];
for (const cpu of ['cortex-a57', 'cortex-a53']) {
  for (const runner of ['qemu', 'emu'] as const) {
    cells.push(cell('hello', null, runner, cpu, 'expected', { T1: 'Y' }));
    cells.push(cell('gowb@go1.23', null, runner, cpu, 'expected', Y));
    cells.push(
      runner === 'qemu'
        ? cell('gowb@go1.23', 'seed-barrier', runner, cpu, 'known', Y, {
            known: {
              cells: 'gowb@go1.23/seed-barrier/qemu/*',
              reason: 'QEMU flash absorbs the store',
              link: 'https://example.org/7',
              until: '2027-01-31',
              outcome: 'masked-failure',
            },
          })
        : cell(
            'gowb@go1.23',
            'seed-barrier',
            runner,
            cpu,
            'convention-bug',
            {},
            { verdict: 'fault', failingSince: { runId: '2026-11-29T02-00-00Z', runs: 3 } },
          ),
    );
    cells.push(
      cell(
        'gowb@go1.19',
        'force-barrier',
        runner,
        cpu,
        'patch-bug',
        { T1: 'N', T2: 'N', T3: 'N' },
        { failingSince: { runId: 'now', runs: 1 } },
      ),
    );
  }
}
const plain80 = { width: 80, colour: false };
const a57 = cells.filter((c) => c.cpu === 'cortex-a57');

test('at 80 columns the table drops markers and shortens CPU names instead of wrapping', (t) => {
  const text = renderTable(cells, plain80);
  t.is(
    text,
    [
      'kernel + variant             qemu/a57   emu/a57     qemu/a53   emu/a53',
      '---------------------------  ---------  ----------  ---------  ----------',
      'hello                        ok         ok          ok         ok',
      'gowb@go1.23                  ok         ok          ok         ok',
      'gowb@go1.23 + seed-barrier   KNOWN      CONVENTION  KNOWN      CONVENTION',
      'gowb@go1.19 + force-barrier  PATCH-BUG  PATCH-BUG   PATCH-BUG  PATCH-BUG',
    ].join('\n'),
  );
  t.true(text.split('\n').every((l) => l.length <= 80));
});

test('with room, the table shows markers; one CPU model is left out of the header', (t) => {
  t.is(
    renderTable(a57, { width: Infinity, colour: false }),
    [
      'kernel + variant             qemu                       emu',
      '---------------------------  -------------------------  -------------------------',
      'hello                        ok: T1=Y                   ok: T1=Y',
      'gowb@go1.23                  ok: T1=Y T2=Y T3=Y         ok: T1=Y T2=Y T3=Y',
      'gowb@go1.23 + seed-barrier   KNOWN: T1=Y T2=Y T3=Y      CONVENTION: fault',
      'gowb@go1.19 + force-barrier  PATCH-BUG: T1=N T2=N T3=N  PATCH-BUG: T1=N T2=N T3=N',
    ].join('\n'),
  );
});

test('failing cells say since when; known ones are apart with reason, link and date; xpass is reported', (t) => {
  t.is(
    renderFailing(a57, plain80),
    [
      'failing: 3 cells',
      '  PATCH-BUG gowb@go1.19/force-barrier/qemu/cortex-a57: patch-bug summary (failing since this run)',
      '  CONVENTION gowb@go1.23/seed-barrier/emu/cortex-a57: convention-bug summary (failing since 2026-11-29T02-00-00Z, 3 runs)',
      '  PATCH-BUG gowb@go1.19/force-barrier/emu/cortex-a57: patch-bug summary (failing since this run)',
      '',
    ].join('\n'),
  );
  t.is(
    renderKnown(
      { cells: a57, known: { xpass: [{ cell: 'hello/unpatched/qemu/cortex-a57', entry: { cells: 'hello/*', reason: 'flaky UART' } }] } },
      plain80,
    ),
    [
      'known failures: 1 cell (not failing the run)',
      '  KNOWN gowb@go1.23/seed-barrier/qemu/cortex-a57: masked-failure: QEMU flash absorbs the store <https://example.org/7> (until 2027-01-31)',
      '  XPASS hello/unpatched/qemu/cortex-a57 passes, but the known-failure entry "hello/*" lists it (flaky UART): remove or narrow the entry',
      '',
    ].join('\n'),
  );
  t.is(renderCounts(cells, plain80), '16 cells: 2 CONVENTION, 4 PATCH-BUG, 2 KNOWN, 8 ok');
  t.is(
    renderBaseline(
      {
        runId: 'r1',
        changes: [
          { cell: 'a', kind: 'new', text: 'new cell' },
          { cell: 'b', kind: 'regression', text: 'regression: x' },
        ],
      },
      plain80,
    ),
    'against baseline r1:\n  REGRESSION        b: regression: x\n  NEW               a: new cell\n',
  );
  t.is(plural(1, 'cell'), '1 cell');
  t.is(plural(2, 'regression'), '2 regressions');
});

test('the progress line fits the terminal, with elapsed time and ETA; colour only when wanted', (t) => {
  const line = progressLine(
    {
      done: 12,
      total: 40,
      failing: 2,
      infrastructure: 0,
      elapsedMs: 5000,
      last: 'gowb@go1.23/buffer-convention/qemu/cortex-a57-and-a-very-long-name-indeed',
    },
    plain80,
  );
  t.is(line, '[12/40] 2 failing · 0:05, ~0:12 left · gowb@go1.23/buffer-convention/qemu/cort…');
  t.is(line.length, 79);
  t.is(renderCounts(cells.slice(0, 2), { width: 80, colour: true }), '2 cells: \u001b[32m2 ok\u001b[0m');
  t.false(renderTable(cells, plain80).includes('\u001b['));
  t.deepEqual(terminalStyle({ isTTY: true, columns: 80 }, {}), { width: 80, colour: true });
  t.deepEqual(terminalStyle({ isTTY: true, columns: 80 }, { NO_COLOR: '1' }), { width: 80, colour: false });
  t.deepEqual(terminalStyle({ isTTY: false }, { FORCE_COLOR: '1', COLUMNS: '100' }), { width: 100, colour: true });
  t.deepEqual(terminalStyle({ isTTY: false }, {}), { width: Infinity, colour: false });
  t.deepEqual(terminalStyle({ isTTY: true, columns: 120 }, { FORCE_COLOR: '0' }), { width: 120, colour: false });
});

test('without a terminal, one line per finished cell', (t) => {
  const run = { verdict: 'completed' as const, markers: { T1: 'Y', T2: 'N' } };
  t.is(
    progressRecord({ done: 3, total: 40 }, { id: 'hello/unpatched/qemu/cortex-a57', run } as never),
    '[3/40] hello/unpatched/qemu/cortex-a57: completed T1=Y T2=N\n',
  );
});

test('the end of a matrix run: table, failing, known, counts, where the results and the report are', (t) => {
  const pick = (id: string) => a57.find((c) => c.id === id)!;
  const two = [
    pick('hello/unpatched/qemu/cortex-a57'),
    pick('hello/unpatched/emu/cortex-a57'),
    pick('gowb@go1.19/force-barrier/emu/cortex-a57'),
  ];
  const summary = { cells: two, baseline: { runId: 'r0', changes: [] } } as unknown as MatrixSummary;
  t.is(
    renderMatrixResult(summary, { width: 120, colour: false }, { durationMs: 65_000, dir: 'results/r1', report: 'results/r1/index.html' }),
    [
      '',
      'kernel + variant             qemu      emu',
      '---------------------------  --------  -------------------------',
      'hello                        ok: T1=Y  ok: T1=Y',
      'gowb@go1.19 + force-barrier            PATCH-BUG: T1=N T2=N T3=N',
      'against baseline r0: no changes',
      '',
      'failing: 1 cell',
      '  PATCH-BUG gowb@go1.19/force-barrier/emu/cortex-a57: patch-bug summary (failing since this run)',
      '',
      '3 cells: 1 PATCH-BUG, 2 ok in 1:05',
      'results: results/r1',
      'report: results/r1/index.html',
      '',
    ].join('\n'),
  );
  t.is(
    renderMergeResult({ cells: [a57[0]!], interrupted: true }, plain80, { shards: 2, dir: 'results/m' }),
    'kernel + variant  qemu\n----------------  --------\nhello             ok: T1=Y\n\nmerged 2 shard(s): 1 cell (some cells missing: a shard did not finish)\nresults: results/m\n',
  );
});
