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
