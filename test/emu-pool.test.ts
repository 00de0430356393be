// The engine pool (harness/emu/engine-pool.ts): every bundled kernel and variant, in a shuffled
// order, run on pooled (reset) engines and on new ones give byte-for-byte the same results.
import test from 'ava';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { resolveSubjects, type Subject } from '../harness/build/subjects.js';
import { EnginePool } from '../harness/emu/engine-pool.js';
import { Unicorn } from '../harness/emu/unicorn.js';
import { patchedElf } from '../harness/patch/patched-build.js';
import { loadVariant } from '../harness/patch/variant.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { EmuRunner } from '../harness/runners/emu.js';
import { EmuThreadRunner } from '../harness/runners/emu-thread.js';
import { runSpecFor, type RunResult, type RunSpec } from '../harness/runners/types.js';

/** Every bundled build, and every bundled variant applied to the build it is written for. */
async function everything(): Promise<{ name: string; spec: RunSpec }[]> {
  const out: { name: string; spec: RunSpec }[] = [];
  const specOf = (s: Subject, elfPath: string): RunSpec => ({
    // Guest time: 1 s is ample for every kernel that ends by itself; the hang and loop kernels end alike on both.
    ...runSpecFor(elfPath, 'cortex-a57', s, 1000),
    maxSerialBytes: 64 * 1024,
  });
  for (const kernel of readdirSync(KERNELS_DIR)
    .filter((k) => existsSync(join(KERNELS_DIR, k, 'kernel.json')))
    .sort()) {
    for (const s of await resolveSubjects(kernel)) {
      out.push({ name: s.id, spec: specOf(s, s.elfPath) });
      const go = /@(go[\d.]+)$/.exec(s.id)?.[1];
      const dirs = [join(KERNELS_DIR, kernel, 'variants'), ...(go ? [join(KERNELS_DIR, kernel, 'variants', go)] : [])];
      for (const dir of dirs.filter(existsSync)) {
        for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
          const variant = await loadVariant(join(dir, file));
          const patched = await patchedElf(s.elfPath, s.elfHash, [variant]);
          out.push({ name: `${s.id}/${file}`, spec: specOf(s, patched.elfPath) });
        }
      }
    }
  }
  return out;
}

/**
 * A result without what may differ between two runs of the same bytes: wall time and the number
 * of slices, which engine ran it; and for a run the wall-clock backstop ended (svc-loop: an exception every few
 * instructions runs far slower than guest time), where it stopped.
 */
function comparable(result: RunResult): string {
  const { durationMs: _d, details, ...rest } = result;
  // slices: how many uc_emu_start calls, which follows the wall time a slice takes (emu-loop.ts), like durationMs.
  const { engine: _e, slices: _slices, ...kept } = details;
  if (/of the emulator's CPU time|on the wall clock/.test(result.reason)) {
    const { guestInstructions: _g, stopPc: _p, stopPcSymbol: _y, ...stable } = kept;
    // Which backstop (CPU time, or the wall clock on a starved host) depends on the host too.
    return JSON.stringify({ ...rest, reason: 'timeout on a backstop', details: stable });
  }
  return JSON.stringify({ ...rest, details: kept });
}

test('pooled engines give byte-for-byte the results of new ones: every bundled kernel and variant, shuffled', async (t) => {
  const cases = await everything();
  t.true(cases.length >= 30, `${cases.length} kernels and variants`);
  // A fixed shuffle (xorshift), so a failure names a reproducible order; run twice so each engine also follows itself.
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const order = [...cases, ...cases]
    .map((c) => ({ c, k: random() }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.c);
  const pool = new EnginePool();
  const pooled = new EmuRunner({ pool });
  const fresh = new EmuRunner({ pool: false });
  const expected = new Map<string, string>();
  for (const c of cases) expected.set(c.name, comparable(await fresh.run(c.spec)));
  const mismatches: string[] = [];
  for (const c of order) {
    const got = comparable(await pooled.run(c.spec));
    if (got !== expected.get(c.name))
      mismatches.push(`${c.name}:\n  pooled ${got.slice(0, 600)}\n  fresh  ${expected.get(c.name)!.slice(0, 600)}`);
  }
  pool.close();
  t.deepEqual(mismatches, []);
  t.true(pool.stats.reused > cases.length, `engines reused ${pool.stats.reused} times (${JSON.stringify(pool.stats)})`);
  t.log(`${order.length} pooled runs: ${JSON.stringify(pool.stats)}`);
});

test("a reset engine's memory reads zero, but for what the next image writes: pages it covers whole are overwritten, the rest zeroed", (t) => {
  const base = 0x4000_0000n;
  const size = 16 * 4096;
  const uc = Unicorn.open({ model: 'A57', reusable: true });
  try {
    uc.memMap(base, size);
    uc.savePristine();
    uc.memWrite(base, new Uint8Array(size).fill(0xaa));
    uc.resetForReuse([]);
    uc.memMap(base, size);
    uc.dropUnadopted();
    // 0x1800-0x3800: page 1 from its middle, page 2 whole, page 3 up to its middle.
    uc.memWriteWhole([{ address: base + 0x1800n, bytes: new Uint8Array(0x2000).fill(0x11) }]);
    const after = uc.memRead(base, size);
    const expected = new Uint8Array(size);
    expected.fill(0x11, 0x1800, 0x3800);
    t.deepEqual(after, expected);
    uc.resetForReuse([]);
    uc.memMap(base, size);
    uc.dropUnadopted();
    t.deepEqual(uc.memRead(base, size), new Uint8Array(size), 'nothing written: every page reads zero');
  } finally {
    uc.close();
  }
});

test('an engine that ran code outside its image (codecopy) goes back closed, not pooled, and the next run gets a new one', async (t) => {
  const [subject] = await resolveSubjects('codecopy');
  const pool = new EnginePool();
  const pooled = new EmuRunner({ pool });
  try {
    for (let i = 0; i < 2; i++) {
      const result = await pooled.run(runSpecFor(subject!.elfPath, 'cortex-a57', subject!, 5000));
      t.is(result.verdict, 'completed', result.reason);
      t.deepEqual(result.markers, { T1: 'Y', T2: 'Y' });
    }
    t.deepEqual(pool.stats, { reused: 0, fresh: 2, refused: { "code outside the image's code": 2 } });
  } finally {
    pool.close();
  }
});

test("the emulator's worker thread, closed with no run pending, closes its engines and ends by itself (not terminated: that would leave their native memory)", async (t) => {
  const [subject] = await resolveSubjects('hello');
  const runner = new EmuThreadRunner();
  const result = await runner.run(runSpecFor(subject!.elfPath, 'cortex-a57', subject!, 5000));
  t.is(result.verdict, 'completed', result.reason);
  const worker = (runner as unknown as { worker: Worker }).worker;
  const exitCode = new Promise<number>((resolve) => worker.once('exit', resolve));
  await runner.close();
  // worker.terminate() ends a thread with exit code 1; a thread that ends by itself, 0.
  t.is(await exitCode, 0);
});
