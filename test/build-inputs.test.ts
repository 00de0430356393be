// What the build cache hashes: a kernel is rebuilt when any file that reaches its build changes.
import test from 'ava';
import { collectInputs } from '../harness/build/builder.js';
import { loadKernel } from '../harness/build/manifest.js';
import { buildTargets, quotedIncludes } from '../harness/build/targets.js';

test('quotedIncludes finds the quoted #include names, not the <...> ones or other lines', (t) => {
  const text = [
    '#include "virt.h"',
    '  #  include "../timer-irq/start.S"',
    '#include <stdint.h>',
    '// #include "commented.h"',
    'mov x0, #1',
  ].join('\n');
  t.deepEqual(quotedIncludes(text), ['virt.h', '../timer-irq/start.S']);
});

test("a kernel that includes a sibling kernel's source hashes that file too", async (t) => {
  const kernel = await loadKernel('timer-irq-gicv3');
  const inputs = await collectInputs(buildTargets(kernel)[0]!);
  const names = inputs.map((f) => f.rel);
  t.true(names.includes('timer-irq/start.S'), names.join(', '));
  t.true(names.includes('timer-irq-gicv3/start.S'));
  t.true(names.includes('common/virt.h'));
  t.is(new Set(names).size, names.length, 'each file once');
});
