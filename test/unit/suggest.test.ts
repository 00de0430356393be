import test from 'ava';
import { closest, didYouMean } from '../../harness/util/suggest.js';
import { matrixKey } from '../../harness/baseline/key.js';

test('did you mean: the nearest name, or nothing when none is near', (t) => {
  t.is(didYouMean('helo', ['hello', 'hang', 'fault']), 'did you mean "hello"? ');
  t.deepEqual(closest('matirx', ['matrix', 'merge', 'run']), ['matrix']);
  t.deepEqual(closest('runer', ['runner', 'cpu', 'timeout']), ['runner']);
  t.is(didYouMean('zzzzzz', ['hello', 'fault']), '');
});

test('the matrix key: same cells, same key; kernels, runners or diagnosis change it, descriptions and known entries do not', (t) => {
  const base = { kernels: [{ kernel: 'hello' }], runners: ['qemu'], baseDir: '/a', source: '/a/c.json' };
  t.is(matrixKey(base), matrixKey({ ...base, baseDir: '/b', source: '/b/x.json', description: 'x', known: [{ cells: '*', reason: 'r' }], concurrency: 3 }));
  t.is(matrixKey({ runners: ['qemu'], kernels: [{ kernel: 'hello' }] }), matrixKey(base), 'key order does not matter');
  t.not(matrixKey(base), matrixKey({ ...base, kernels: [{ kernel: 'hello' }, { kernel: 'fault' }] }));
  t.not(matrixKey(base), matrixKey({ ...base, diagnose: false }));
});
