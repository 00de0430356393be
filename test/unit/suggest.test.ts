import test from 'ava';
import { didYouMean, editDistance, suggest } from '../../harness/util/suggest.js';

test('edit distance counts insertions, deletions, substitutions and transpositions as 1', (t) => {
  t.is(editDistance('runner', 'runner'), 0);
  t.is(editDistance('runer', 'runner'), 1);
  t.is(editDistance('matirx', 'matrix'), 1);
  t.is(editDistance('qemu', 'emu'), 1);
  t.is(editDistance('', 'abc'), 3);
});

test('suggest picks the closest name within a third of its length, or nothing', (t) => {
  t.is(suggest('matirx', ['build', 'run', 'matrix', 'merge']), 'matrix');
  t.is(suggest('helo', ['hello', 'hang', 'fault']), 'hello');
  t.is(suggest('xyz', ['hello', 'hang']), null);
  t.is(
    didYouMean('runer', ['runner', 'cpu'], (s) => `--${s}`),
    ' (did you mean --runner?)',
  );
  t.is(didYouMean('zzz', ['runner']), '');
});

test('with a budget, the distance is exact up to it and budget + 1 beyond it, transpositions included', (t) => {
  // A fixed pseudo-random set of near and far pairs over a small alphabet (so transpositions occur).
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const word = (n: number) => Array.from({ length: n }, () => 'abcd'[next() % 4]).join('');
  for (let k = 0; k < 400; k++) {
    const a = word(next() % 9);
    const b = k % 2 ? word(next() % 9) : a.slice(0, 2) + a.slice(3, 4) + a.slice(2, 3) + a.slice(4);
    const exact = editDistance(a, b);
    for (const budget of [0, 1, 2, 3]) t.is(editDistance(a, b, budget), exact <= budget ? exact : budget + 1, `${a} ${b} budget ${budget}`);
  }
  t.is(editDistance('runtime.gcWriteBarrier2', 'runtime.gcWriteBarreir2', 1), 1);
});
