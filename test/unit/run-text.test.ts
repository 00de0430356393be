// Golden test of what `wbdiff run` prints for one subject (harness/report/run-text.ts).
import test from 'ava';
import { renderSubjectRuns } from '../../harness/report/run-text.js';
import type { RunResult } from '../../harness/runners/types.js';
import { runResult } from '../helpers/run-result.js';

const run = (runner: 'qemu' | 'emu', extra: Partial<RunResult> = {}): RunResult =>
  runResult({ runner, reason: 'PSCI SYSTEM_OFF', markers: { T1: 'Y', T2: 'N' }, durationMs: 12, ...extra });

test('a subject: each run, its layout finding, what is not as expected, agreement, then the verdict', (t) => {
  const text = renderSubjectRuns({
    target: 'gowb@go1.23',
    variant: 'seed-barrier',
    elf: '/c/k.elf',
    runs: [
      { run: run('qemu'), layout: null, notAsExpected: 'T2 is N, expected Y' },
      {
        run: run('emu', { markers: { T1: 'Y', T2: 'Y' } }),
        layout: { text: '2 stores to flash dropped', lines: ['runtime.zerobase at 0x358000'] },
        notAsExpected: null,
      },
    ],
    agree: false,
    verdict: '  verdict: patch-bug\n',
  });
  t.is(
    text,
    [
      'gowb@go1.23 + seed-barrier  (/c/k.elf)',
      '  qemu  completed T1=Y T2=N DONE  (12 ms; PSCI SYSTEM_OFF)',
      '  emu   completed T1=Y T2=Y DONE  (12 ms; PSCI SYSTEM_OFF)',
      '  emu: 2 stores to flash dropped',
      '    runtime.zerobase at 0x358000',
      '  qemu: not as expected: T2 is N, expected Y',
      '  runners DISAGREE',
      '  verdict: patch-bug',
      '',
    ].join('\n'),
  );
  t.is(
    renderSubjectRuns({
      target: 'hello',
      variant: null,
      elf: 'h.elf',
      runs: [{ run: run('emu'), layout: null, notAsExpected: null }],
      agree: true,
      verdict: '',
    }),
    'hello  (h.elf)\n  emu   completed T1=Y T2=N DONE  (12 ms; PSCI SYSTEM_OFF)\n',
  );
});
