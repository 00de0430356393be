// The one emulator run loop (harness/runners/emu-loop.ts): the runner, the diagnosis tracer and
// parity's snapshots all run through it, so all three honour the abort signal, keep serial the
// same way, and give the same result for the same bytes whatever the slice size.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { traceCalls } from '../harness/diagnose/trace.js';
import { parseElf } from '../harness/elf/elf.js';
import { VirtMachine } from '../harness/emu/virt-machine.js';
import { snapshotOnEmulator } from '../harness/parity/emu-snapshots.js';
import { EmuRunner } from '../harness/runners/emu.js';
import { CHECK_INSTRUCTIONS, runEmuLoop, WALL_FACTOR, wallLimits } from '../harness/runners/emu-loop.js';
import type { StopLimits } from '../harness/runners/stop-policy.js';
import { SerialCapture } from '../harness/runners/serial-capture.js';
import { readElf } from '../harness/elf/read-elf.js';
import { emuCounterOffset } from '../harness/emu/unicorn.js';
import { buildElf } from './helpers/tiny-elf.js';
import { subject } from './helpers/subjects.js';

const movz = (rd: number, imm: number, shift = 0) => (0xd2800000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0;
const movk = (rd: number, imm: number, shift = 0) => (0xf2800000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0;
const movzw = (rd: number, imm: number) => (0x52800000 | (imm << 5) | rd) >>> 0;
const strb = (rt: number, rn: number) => (0x39000000 | (rn << 5) | rt) >>> 0;
const b = (insns: number) => (0x14000000 | (insns & 0x3ffffff)) >>> 0;
const NOP = 0xd503201f;
const HVC0 = 0xd4000002;
const poweroff = [movz(0, 0x0008), movk(0, 0x8400, 16), HVC0, b(0)];
/** Bytes to the PL011 data register, one store each. */
const print = (bytes: readonly number[]) => [movz(0, 0x0900, 16), ...bytes.flatMap((byte) => [movzw(1, byte), strb(1, 0)])];

const BASE = 0x40080000n;
const dir = mkdtempSync(join(tmpdir(), 'wbdiff-emu-loop-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function kernel(code: number[]): { path: string; bytes: Uint8Array } {
  const bytes = buildElf(BASE, [{ addr: BASE, code }], [{ name: '_start', value: BASE, size: BigInt(code.length * 4) }]);
  const path = join(dir, `k${counter++}.elf`);
  writeFileSync(path, bytes);
  return { path, bytes };
}

function machineWith(code: number[]): VirtMachine {
  const machine = VirtMachine.create({ model: 'A57' });
  machine.loadElf(parseElf(kernel(code).bytes));
  return machine;
}

// ------------------------------------------------------------ the stop policy on guest time

const limits = (more: Partial<StopLimits> = {}): StopLimits => ({
  timeoutMs: 60_000,
  silenceMs: 0,
  afterDoneMs: 300,
  maxSerialBytes: 1 << 20,
  ...more,
});

test('the wall-clock backstop is the limits times WALL_FACTOR plus a second; off stays off', (t) => {
  t.deepEqual(wallLimits(limits({ timeoutMs: 500, silenceMs: 0, afterDoneMs: 300 })), {
    timeoutMs: 500 * WALL_FACTOR + 1000,
    silenceMs: 0,
    afterDoneMs: 300 * WALL_FACTOR + 1000,
    maxSerialBytes: 1 << 20,
  });
  t.is(wallLimits(limits({ afterDoneMs: Number.POSITIVE_INFINITY })).afterDoneMs, Number.POSITIVE_INFINITY);
});

test('guest time decides: DONE grace, timeout and silence end at the same instruction, with the same serial, at every slice size', async (t) => {
  // A dot every 2000 iterations of a 2-instruction countdown, forever; DONE first for the grace.
  const dots = (done: boolean) => [
    ...(done ? print([...Buffer.from('DONE\n')]) : []),
    movz(2, 2000),
    0xf1000442 /* subs x2, x2, #1 */,
    0x54ffffe1 /* b.ne -1 */,
    ...print([0x2e]),
    b(-(3 + print([0x2e]).length)),
  ];
  for (const [what, code, lim] of [
    ['timeout', dots(false), limits({ timeoutMs: 4 })],
    ['DONE grace', dots(true), limits({ afterDoneMs: 3 })],
    ['silence', [...print([0x2e]), NOP, b(-1)], limits({ silenceMs: 2 })],
  ] as const) {
    const runs = [];
    // (Guest milliseconds: a few hundred thousand instructions, far inside the wall-clock backstop.)
    for (const slice of [1009, 7919, 50_000, 1_000_000]) {
      const machine = machineWith([...code]);
      try {
        const capture = new SerialCapture(1 << 20);
        const end = await runEmuLoop(machine, capture, { limits: lim, sliceInstructions: slice });
        runs.push({ end, serial: capture.text(), executed: String(machine.interrupts.clock.executed) });
      } finally {
        machine.close();
      }
    }
    t.like(runs[0]!.end, { kind: 'stop', clock: 'guest' }, what);
    if (what !== 'silence') t.regex(runs[0]!.serial, /\.{20,}$/, what);
    for (const run of runs.slice(1)) t.deepEqual(run, runs[0], `${what}: ${JSON.stringify(run.end)}`);
  }
});

// ------------------------------------------------------------ abort

test('the loop honours the abort signal mid-run (a loop that would run for a minute)', async (t) => {
  const machine = machineWith([NOP, b(-1)]);
  try {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const end = await runEmuLoop(machine, new SerialCapture(1024), { limits: limits(), signal: controller.signal });
    t.like(end, { kind: 'stop', stop: { cause: 'cancelled', verdict: 'error' } });
    t.true(machine.slices > 1, 'it ran slices before the abort');
  } finally {
    machine.close();
  }
});

test('the tracer and parity snapshots honour the abort signal too (they no longer block to their own limit)', async (t) => {
  const { bytes } = kernel([NOP, b(-1)]);
  const image = parseElf(bytes);
  const abortSoon = () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    return controller.signal;
  };
  const started = Date.now();
  const snapshots = await snapshotOnEmulator(image, { model: 'A57', breakpoints: [], timeoutMs: 60_000, signal: abortSoon() });
  t.like(snapshots.end, { kind: 'timeout', detail: 'cancelled after 0 hits' });
  const trace = await traceCalls(image, [], { timeoutMs: 60_000, signal: abortSoon() });
  t.like(trace.outcome, { kind: 'timeout', detail: 'cancelled' });
  t.true(Date.now() - started < 60_000);
});

// ------------------------------------------------------------ serial, one way

test('serial is kept and escaped one way: runner, tracer and snapshots give the same text for bytes that are not UTF-8', async (t) => {
  // "ok é" in UTF-8, a raw 0xff, a control byte, a newline.
  const bytes = [0x6f, 0x6b, 0x20, 0xc3, 0xa9, 0xff, 0x01, 0x0a];
  const { path, bytes: elf } = kernel([...print(bytes), ...poweroff]);
  const image = parseElf(elf);
  const run = await new EmuRunner().run({ elfPath: path, cpu: 'cortex-a57', timeoutMs: 5000 });
  t.is(run.verdict, 'completed', run.reason);
  t.is(run.serial, 'ok é\\xff\\x01\n');
  const snapshots = await snapshotOnEmulator(image, { model: 'A57', breakpoints: [] });
  t.is(snapshots.end.kind, 'exited');
  t.is(snapshots.serial, run.serial);
  const trace = await traceCalls(image, []);
  t.is(trace.outcome.kind, 'poweroff');
  t.is(trace.serial, run.serial);
});

// ------------------------------------------------------------ same bytes, same result

test('same bytes, same result: the loop ends alike and prints the same bytes at slice sizes 1, 7, 1000 and 50 000', async (t) => {
  const line = [...Buffer.from('T1 Y\n')];
  // Print, count x2 down from 3000 (a loop of two blocks), print again, power off.
  const countdown = [movz(2, 3000), 0xf1000442 /* subs x2, x2, #1 */, 0x54ffffe1 /* b.ne -1 */];
  const code = [...print(line), ...countdown, ...print([...Buffer.from('DONE\n')]), ...poweroff];
  const results = [];
  for (const slice of [1, 7, 1000, 50_000]) {
    const machine = machineWith(code);
    try {
      const capture = new SerialCapture(1 << 20);
      const end = await runEmuLoop(machine, capture, { limits: limits(), sliceInstructions: slice });
      results.push({ end, serial: capture.text(), instructions: machine.interrupts.clock.executed });
    } finally {
      machine.close();
    }
  }
  t.like(results[0]!.end, { kind: 'machine', outcome: { kind: 'poweroff' } });
  t.is(results[0]!.serial, 'T1 Y\nDONE\n');
  for (const r of results.slice(1)) t.deepEqual(r, results[0]);
});

test('a branch to itself with nothing to interrupt it ends the loop at once, with its pc', async (t) => {
  const code = [...print([...Buffer.from('x\n')]), b(0)];
  const machine = machineWith(code);
  try {
    const end = await runEmuLoop(machine, new SerialCapture(1024), { limits: limits() });
    t.deepEqual(end, { kind: 'spin', pc: BASE + BigInt((code.length - 1) * 4) });
    t.is(machine.interrupts.clock.executed, BigInt(CHECK_INSTRUCTIONS), 'seen at the first check point');
  } finally {
    machine.close();
  }
});

// ------------------------------------------------------------ counting slices without a block hook

test("Unicorn 2.0.1's own instruction count is found and used: the machine runs without the per-block JS hook", (t) => {
  t.not(emuCounterOffset(), null, 'uc_struct.emu_counter located and its semantics checked');
  const machine = VirtMachine.create({ model: 'A57' });
  t.is(machine.instructionCounting, 'engine');
  machine.close();
});

test('the engine count and the block-hook count agree exactly: interrupt kernels take the same interrupts at the same instruction, at several slice sizes', async (t) => {
  for (const id of ['timer-irq', 'timer-irq-gicv3', 'jitter', 'sgi-self']) {
    const s = await subject(id);
    const image = await readElf(s.elfPath);
    const runs = [];
    for (const instructionCounting of ['engine', 'block-hook'] as const) {
      for (const slice of [97, 50_000]) {
        const machine = VirtMachine.create({
          model: 'A57',
          instructionCounting,
          ...(id === 'timer-irq-gicv3' ? { gicVersion: 3 as const } : {}),
        });
        try {
          machine.loadElf(image);
          const capture = new SerialCapture(1 << 20);
          const end = await runEmuLoop(machine, capture, { limits: limits(), sliceInstructions: slice });
          runs.push({
            end: end.kind === 'machine' ? end.outcome.kind : end.kind,
            serial: capture.text(),
            instructions: String(machine.interrupts.clock.executed),
            interrupts: machine.interruptsTaken,
            wakeups: machine.wfiWakeups,
          });
        } finally {
          machine.close();
        }
      }
    }
    t.is(runs[0]!.end, 'poweroff', `${id}: ${JSON.stringify(runs[0])}`);
    // jitter takes no interrupt: it reads the counter in a loop, and prints what it saw.
    if (id !== 'jitter') t.true(runs[0]!.interrupts > 0, id);
    else t.regex(runs[0]!.serial, /COUNT/);
    for (const run of runs.slice(1)) t.deepEqual(run, runs[0], id);
  }
});
