// What --deterministic costs: median wall time of one run with and without it, per runner. QEMU
// gains -icount shift=3,sleep=off (TCG counts instructions per block and ends blocks at I/O;
// idle waits take no host time); the emulator's clock counts instructions either way, so its
// figure shows the noise floor. Runs interleaved, figures printed, never asserted.
import { resolveSubjects } from '../harness/build/subjects.js';
import { EmuRunner } from '../harness/runners/emu.js';
import { QemuRunner } from '../harness/runners/qemu.js';
import { runSpecFor, type Runner, type RunSpec } from '../harness/runners/types.js';
import { median } from './stats.js';

export interface DeterministicCost {
  kernel: string;
  runner: string;
  plainMs: number;
  deterministicMs: number;
}

async function timed(runner: Runner, spec: RunSpec): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await runner.run(spec);
  if (result.verdict !== 'completed') throw new Error(`${runner.name} on ${spec.elfPath}: ${result.verdict} (${result.reason})`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export async function measureDeterministicCost(
  runs: number,
  kernels = ['hello', 'gowb@go1.23', 'timer-irq'],
): Promise<DeterministicCost[]> {
  const out: DeterministicCost[] = [];
  for (const id of kernels) {
    const [subject] = await resolveSubjects(id);
    const plain = runSpecFor(subject!.elfPath, 'cortex-a57', subject!);
    const deterministic: RunSpec = { ...plain, machine: { ...plain.machine, deterministic: true } };
    for (const runner of [new QemuRunner(), new EmuRunner()]) {
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < runs; i++) {
        a.push(await timed(runner, plain));
        b.push(await timed(runner, deterministic));
      }
      out.push({ kernel: id, runner: runner.name, plainMs: median(a), deterministicMs: median(b) });
    }
  }
  return out;
}

export function formatDeterministicCost(rows: readonly DeterministicCost[], runs: number): string[] {
  return [
    `--deterministic (QEMU -icount shift=3,sleep=off), median of ${runs}, runs interleaved`,
    `   ${'kernel'.padEnd(14)} ${'runner'.padEnd(6)} ${'plain ms'.padStart(9)} ${'determ. ms'.padStart(11)} ${'ratio'.padStart(6)}`,
    ...rows.map(
      (r) =>
        `   ${r.kernel.padEnd(14)} ${r.runner.padEnd(6)} ${r.plainMs.toFixed(1).padStart(9)} ${r.deterministicMs.toFixed(1).padStart(11)} ${(r.deterministicMs / r.plainMs).toFixed(2).padStart(6)}`,
    ),
  ];
}
