import test from 'ava';
import { checkExpectation, runsAgree } from '../../harness/compare/expect.js';
import { runResult } from '../helpers/run-result.js';

const run = runResult;

test('a run matching the manifest has no mismatches; "*" matches any present value', (t) => {
  t.deepEqual(
    checkExpectation(run({ markers: { T1: 'Y', MIDR: '0x1' } }), { verdict: 'completed', done: true, markers: { T1: 'Y', MIDR: '*' } }),
    [],
  );
});

test('each difference is named', (t) => {
  const m = checkExpectation(run({ verdict: 'fault', done: false, markers: { T1: 'N' } }), {
    verdict: 'completed',
    done: true,
    markers: { T1: 'Y', T2: 'Y' },
  });
  t.deepEqual(
    m.map((x) => x.what),
    ['verdict', 'done', 'marker', 'marker'],
  );
  t.is(m[3]!.actual, '(missing)');
});

test('unexpected and missing conflicts are mismatches', (t) => {
  const conflicted = run({ markers: { T3: 'Y/N' }, conflicts: [{ id: 'T3', values: ['Y', 'N'], lines: [1, 2] }] });
  t.deepEqual(checkExpectation(conflicted, { conflicts: ['T3'] }), []);
  t.is(checkExpectation(conflicted, {}).length, 1);
});

test('runners agree on same verdict and markers; error runs are left out', (t) => {
  t.true(runsAgree([run({ markers: { T1: 'Y' } }), run({ runner: 'emu', markers: { T1: 'Y' } })]));
  t.false(runsAgree([run({ markers: { T1: 'Y' } }), run({ runner: 'emu', verdict: 'fault', markers: { T1: 'Y' } })]));
  t.true(runsAgree([run({ markers: { T1: 'Y' } }), run({ runner: 'emu', verdict: 'error' })]));
});

test('two faults at different places are not agreement', (t) => {
  const fault = (pc: string, address: string) => ({
    kind: 'data abort',
    pc,
    pcSymbol: null,
    address,
    addressSymbol: null,
    access: 'read' as const,
    esr: null,
    detail: '',
  });
  t.true(
    runsAgree([
      run({ verdict: 'fault', fault: fault('0x40', '0x50') }),
      run({ runner: 'emu', verdict: 'fault', fault: fault('0x40', '0x50') }),
    ]),
  );
  t.false(
    runsAgree([
      run({ verdict: 'fault', fault: fault('0x40', '0x50') }),
      run({ runner: 'emu', verdict: 'fault', fault: fault('0x44', '0xd0') }),
    ]),
  );
});
