// `npm run bench`: figures, measured side by side in one run, never asserted. Prints the median
// wall time of one emulator run and one QEMU run of the same kernel and their ratio.
import { resolveSubjects } from '../harness/build/subjects.js';
import { EmuRunner } from '../harness/runners/emu.js';
import { QemuRunner } from '../harness/runners/qemu.js';
import type { Runner } from '../harness/runners/types.js';

const RUNS = Number(process.env['WBDIFF_BENCH_RUNS'] ?? 15);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeRuns(runner: Runner, elfPath: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const result = await runner.run({ elfPath, cpu: 'cortex-a57', timeoutMs: 10_000 });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (result.verdict !== 'completed') throw new Error(`${runner.name} on ${elfPath}: ${result.verdict} (${result.reason})`);
  }
  return times;
}

const kernels = ['hello', 'gowb@go1.19', 'gowb@go1.23'];
console.log(`wbdiff bench: ${RUNS} runs each, interleaved per kernel (median wall time per run)\n`);
console.log(`${'kernel'.padEnd(14)} ${'emu ms'.padStart(8)} ${'qemu ms'.padStart(8)} ${'emu/qemu'.padStart(9)}`);
for (const id of kernels) {
  const [subject] = await resolveSubjects(id);
  const emu = median(await timeRuns(new EmuRunner(), subject!.elfPath));
  const qemu = median(await timeRuns(new QemuRunner(), subject!.elfPath));
  console.log(`${id.padEnd(14)} ${emu.toFixed(1).padStart(8)} ${qemu.toFixed(1).padStart(8)} ${(emu / qemu).toFixed(3).padStart(9)}`);
}
console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`);
