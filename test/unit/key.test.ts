import test from 'ava';
import { matrixKey } from '../../harness/baseline/key.js';

test('the matrix key: same cells, same key; kernels, runners or diagnosis change it, descriptions and known entries do not', (t) => {
  const base = { kernels: [{ kernel: 'hello' }], runners: ['qemu'], baseDir: '/a', source: '/a/c.json' };
  t.is(
    matrixKey(base),
    matrixKey({ ...base, baseDir: '/b', source: '/b/x.json', description: 'x', known: [{ cells: '*', reason: 'r' }], concurrency: 3 }),
  );
  t.is(matrixKey({ runners: ['qemu'], kernels: [{ kernel: 'hello' }] }), matrixKey(base), 'key order does not matter');
  t.not(matrixKey(base), matrixKey({ ...base, kernels: [{ kernel: 'hello' }, { kernel: 'fault' }] }));
  t.not(matrixKey(base), matrixKey({ ...base, diagnose: false }));
});
