import test from 'ava';
import { ddmin, split } from '../../harness/bisect/ddmin.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const needs =
  (...culprits: number[]) =>
  async (subset: number[]) =>
    culprits.every((c) => subset.includes(c));

test('one culprit among many is found in about log2(n) tests', async (t) => {
  const result = await ddmin(range(64), needs(37), String);
  t.deepEqual(result.minimal, [37]);
  t.true(result.tests <= 12, `${result.tests} tests`);
});

test('a two-site interaction is returned as a pair', async (t) => {
  const result = await ddmin(range(20), needs(4, 5), String);
  t.deepEqual(result.minimal, [4, 5]);
  t.true(result.tests < 20, `${result.tests} tests`);
  const apart = await ddmin(range(20), needs(2, 17), String);
  t.deepEqual(apart.minimal, [2, 17]);
});

test('the result is 1-minimal: removing any element makes the failure go away', async (t) => {
  const predicate = async (s: number[]) => (s.includes(1) && s.includes(6)) || s.includes(9);
  const { minimal } = await ddmin(range(12), predicate, String);
  t.true(await predicate(minimal));
  for (const item of minimal) t.false(await predicate(minimal.filter((x) => x !== item)), `without ${item}`);
});

test('split makes contiguous, nearly equal parts', (t) => {
  t.deepEqual(split(range(7), 3), [
    [0, 1],
    [2, 3],
    [4, 5, 6],
  ]);
  t.deepEqual(split(range(2), 4), [[0], [1]]);
});
