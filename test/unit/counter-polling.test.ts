// The polling rule's instruction test (harness/emu/interrupts/counter-polling.ts): which
// instructions a poll loop may hold. The rule itself runs on real kernels in test/emu-polling.test.ts.
import test from 'ava';
import { isPollInstruction } from '../../harness/emu/interrupts/counter-polling.js';

test('poll loops may load with acquire (LDAR, LDAPR), as a flag wait does, but not exclusively, nor store-release', (t) => {
  t.true(isPollInstruction(0x88dffc20), 'ldar w0, [x1]');
  t.true(isPollInstruction(0xc8dffc20), 'ldar x0, [x1]');
  t.true(isPollInstruction(0x08dffc20), 'ldarb w0, [x1]');
  t.true(isPollInstruction(0xb8bfc020), 'ldapr w0, [x1]');
  t.true(isPollInstruction(0xb9400020), 'ldr w0, [x1]');
  t.false(isPollInstruction(0x885ffc20), 'ldaxr w0, [x1]: sets the exclusive monitor');
  t.false(isPollInstruction(0x889ffc20), 'stlr w0, [x1]');
  t.false(isPollInstruction(0xb9000020), 'str w0, [x1]');
});
