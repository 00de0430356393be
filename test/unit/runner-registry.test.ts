import test from 'ava';
import { WbdiffError } from '../../harness/errors.js';
import { capabilitiesOf, createRunner, parseRunnerList, parseRunnerName, RUNNER_CAPABILITIES } from '../../harness/runners/index.js';

test('runner names: the four kinds, "board:<name>" carrying its board', (t) => {
  t.deepEqual(parseRunnerName('qemu'), { kind: 'qemu', board: null });
  t.deepEqual(parseRunnerName('board:pi4'), { kind: 'board', board: 'pi4' });
  t.deepEqual(parseRunnerName('board'), { kind: 'board', board: null });
  t.deepEqual(parseRunnerName('replay'), { kind: 'replay', board: null });
  t.is(parseRunnerName('board:'), null);
  t.is(parseRunnerName('qemuu'), null);
});

test('capabilities are data: who sees faults, who takes register snapshots, which lane', (t) => {
  const sees = (name: string) => capabilitiesOf(name).seesFaults;
  t.deepEqual(['qemu', 'emu', 'board:pi4', 'board', 'replay', 'from-an-old-file'].map(sees), [true, true, false, false, false, false]);
  t.deepEqual(
    Object.values(RUNNER_CAPABILITIES).map((c) => [c.kind, c.registerSnapshots, c.runsKernel, c.honoursMachineOptions, c.lane]),
    [
      ['qemu', true, true, true, 'parallel'],
      ['emu', true, true, true, 'emulator'],
      ['board', false, true, false, 'one-at-a-time'],
      ['replay', false, false, false, 'parallel'],
    ],
  );
});

test('the registry builds every kind by name; a board must be defined; a wrong name is a clear error', (t) => {
  t.is(createRunner('qemu').name, 'qemu');
  t.is(createRunner('emu').name, 'emu');
  t.is(createRunner('replay', { logPath: '/tmp/x.log' }).name, 'replay');
  const board = { console: { tcp: '127.0.0.1:1' } };
  t.is(createRunner('board:pi4', { boards: { pi4: board } }).name, 'board');
  const missing = t.throws(() => createRunner('board:pi5', { boards: { pi4: board } }), { instanceOf: WbdiffError });
  t.regex(missing!.message, /runner board:pi5: no board "pi5" in "boards" \(did you mean "pi4"\?\); boards: pi4/);
  const typo = t.throws(() => createRunner('qmeu'), { instanceOf: WbdiffError });
  t.regex(typo!.message, /unknown runner "qmeu" \(did you mean "qemu"\?\)/);
});

test('runner lists: "both", commas and repeats; only local runners by name', (t) => {
  t.deepEqual(parseRunnerList([]), ['qemu', 'emu']);
  t.deepEqual(parseRunnerList(['emu,qemu', 'emu']), ['emu', 'qemu']);
  t.throws(() => parseRunnerList(['board:pi4']), { instanceOf: WbdiffError, message: /unknown runner "board:pi4"/ });
});
