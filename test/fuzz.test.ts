// A short seeded slice of `npm run fuzz` (bench/fuzz/): mutated ELFs, variants and configs through
// `run`, `patch` and `matrix` as child processes; none may crash or hang.
import test from 'ava';
import { fuzz } from '../bench/fuzz/index.js';
import { mutateElf, mutateJson, Rng } from '../bench/fuzz/mutate.js';

test('mutations are a pure function of the seed', (t) => {
  const elf = Buffer.alloc(256, 7);
  t.deepEqual(mutateElf(elf, new Rng(42)), mutateElf(elf, new Rng(42)));
  const doc = { name: 'v', edits: [{ op: 'nop', at: '_start' }] };
  t.deepEqual(mutateJson(doc, new Rng(42)), mutateJson(doc, new Rng(42)));
  t.notDeepEqual(mutateJson(doc, new Rng(42)).text, mutateJson(doc, new Rng(43)).text);
});

test('a seeded slice of the fuzzer: no crash, no hang', async (t) => {
  const lines: string[] = [];
  const report = await fuzz({
    seed: 13,
    count: 6,
    timeLimitMs: 60_000,
    jobs: 2,
    hangMs: 60_000,
    keepDir: null,
    log: (line) => lines.push(line),
  });
  t.is(report.inputs, 6);
  t.is(report.crashes, 0, lines.join('\n'));
  t.is(report.hangs, 0, lines.join('\n'));
  t.deepEqual(
    Object.keys(report.exitCodes).filter((c) => !['0', '1', '2'].includes(c)),
    [],
  );
});
