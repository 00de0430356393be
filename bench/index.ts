// `npm run bench`: figures measured side by side in one run, never asserted.
//  1. median wall time of one emulator run vs one QEMU run of the same kernel (runs interleaved);
//  2. the default matrix's wall time against the ideal (QEMU cells x median QEMU cell / cores);
//  3. peak RSS of this process.
//  6. (bench/deterministic.ts) the cost of --deterministic per runner.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSubjects } from '../harness/build/subjects.js';
import { loadMatrixConfig } from '../harness/matrix/config.js';
import { runMatrix } from '../harness/matrix/run-matrix.js';
import { ResultsStore } from '../harness/matrix/store.js';
import { EmuRunner } from '../harness/runners/emu.js';
import { UC_PROT, Unicorn, version as unicornVersion } from '../harness/emu/unicorn.js';
import { QemuRunner } from '../harness/runners/qemu.js';
import { runSpecFor, type Runner } from '../harness/runners/types.js';
import { bisectVariant } from '../harness/bisect/bisect.js';
import { bisectSeries } from '../harness/bisect/series.js';
import { readElf } from '../harness/elf/read-elf.js';
import { loadVariant } from '../harness/patch/variant.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { formatDeterministicCost, measureDeterministicCost } from './deterministic.js';
import { median } from './stats.js';

const RUNS = Number(process.env['WBDIFF_BENCH_RUNS'] ?? 15);

export { median };

async function timeOne(runner: Runner, elfPath: string): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await runner.run({ elfPath, cpu: 'cortex-a57', timeoutMs: 10_000 });
  if (result.verdict !== 'completed') throw new Error(`${runner.name} on ${elfPath}: ${result.verdict} (${result.reason})`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

console.log(`wbdiff bench (${availableParallelism()} cores)\n`);
console.log(`1. one run, median of ${RUNS}, emulator and QEMU runs interleaved`);
console.log(`   ${'kernel'.padEnd(14)} ${'emu ms'.padStart(8)} ${'qemu ms'.padStart(8)} ${'emu/qemu'.padStart(9)}`);
const emuRunner = new EmuRunner();
const qemuRunner = new QemuRunner();
for (const id of ['hello', 'gowb@go1.19', 'gowb@go1.23']) {
  const [subject] = await resolveSubjects(id);
  const emu: number[] = [];
  const qemu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    emu.push(await timeOne(emuRunner, subject!.elfPath));
    qemu.push(await timeOne(qemuRunner, subject!.elfPath));
  }
  console.log(
    `   ${id.padEnd(14)} ${median(emu).toFixed(1).padStart(8)} ${median(qemu).toFixed(1).padStart(8)} ${(median(emu) / median(qemu)).toFixed(3).padStart(9)}   (target <= 0.100)`,
  );
}

// Why memory-heavy kernels sit above the target: what one guest store costs in Unicorn 2.0.1.
{
  // movz x0,#0x4000,lsl#16; add x0,x0,#1,lsl#12; movz x1,#0x4009,lsl#16; loop: cmp; b.hs end; str xzr,[x0],#8; b loop
  const stores = (0x40090000 - 0x40001000) / 8;
  const code = [0xd2a80000, 0x91400400, 0xd2a80121, 0xeb01001f, 0x54000062, 0xf800841f, 0x17fffffd, 0xd503201f];
  const uc = Unicorn.open({ model: 'A57' });
  uc.memMap(0x40000000n, 128 << 20, UC_PROT.ALL);
  const bytes = new Uint8Array(code.length * 4);
  code.forEach((w, k) => new DataView(bytes.buffer).setUint32(k * 4, w >>> 0, true));
  const at = 0x47fff000n;
  uc.memWrite(at, bytes);
  const started = process.hrtime.bigint();
  uc.emuStart(at, at + BigInt(code.length * 4 - 4), 0, 0);
  const ns = Number(process.hrtime.bigint() - started) / stores;
  uc.close();
  console.log(
    `   (Unicorn ${unicornVersion().text}: one 8-byte guest store costs ~${ns.toFixed(0)} ns; gowb's entry zeroes 276 KiB of Go runtime bss = 34,500 stores)`,
  );
}

console.log('\n2. the default matrix (wbdiff.config.json), builds cached');
const dir = await mkdtemp(join(tmpdir(), 'wbdiff-bench-'));
const started = process.hrtime.bigint();
const summary = await runMatrix({ config: await loadMatrixConfig(), store: new ResultsStore(dir), runId: 'bench' });
const wall = Number(process.hrtime.bigint() - started) / 1e6;
const qemuCells = summary.cells.filter((c) => c.runner === 'qemu');
const cores = availableParallelism();
const ideal = (qemuCells.length * median(qemuCells.map((c) => c.durationMs))) / cores;
const idealBySum = qemuCells.reduce((sum, c) => sum + c.durationMs, 0) / cores;
console.log(`   cells: ${summary.cells.length} (${qemuCells.length} on QEMU), wall time ${wall.toFixed(0)} ms`);
console.log(
  `   ideal = QEMU cells x median QEMU cell / cores = ${qemuCells.length} x ${median(qemuCells.map((c) => c.durationMs)).toFixed(0)} / ${cores} = ${ideal.toFixed(0)} ms -> wall/ideal ${(wall / ideal).toFixed(2)} (target <= 1.3)`,
);
console.log(
  `   (with the sum of QEMU cell times instead, the slow hang/flood cells included: ${idealBySum.toFixed(0)} ms -> ${(wall / idealBySum).toFixed(2)})`,
);
await rm(dir, { recursive: true, force: true });

console.log('\n3. bisection run counts (QEMU, gowb@go1.19)');
const gowb = (await resolveSubjects('gowb@go1.19'))[0]!;
const example = await loadVariant(join(KERNELS_DIR, 'gowb/variants/go1.19/bisect-example.json'));
const report = await bisectVariant(await readElf(gowb.elfPath), example.variant, {
  marker: 'T2',
  runner: 'qemu',
  repeat: 3,
  confirmOnQemu: false,
  spec: { cpu: 'cortex-a57', timeoutMs: 10_000 },
});
const found = report.answer.kind === 'culprits' ? report.answer.sites.map((s) => s.location).join(' + ') : report.answer.kind;
console.log(
  `   ddmin over ${report.sites} sites: ${report.ddminTests} search runs, ${report.totalRuns} runs with checks and verification -> ${found}`,
);
const seriesSteps = await bisectSeries(
  Array.from({ length: 16 }, (_, i) => ({ path: `v${i + 1}`, hash: '', variant: { name: `v${i + 1}`, edits: [] } })),
  'Y',
  async (index) => (index >= 10 ? 'N' : 'Y'),
);
console.log(
  `   series of 16 (first bad #11): ${seriesSteps.steps.length} search steps (the algorithm alone; test/bisect.test.ts checks <= 5 on real runs)`,
);

console.log('\n4. a flood of -d int log lines (svc-loop: SVC taken and handled in a loop), QEMU runner');
const svcLoop = (await resolveSubjects('svc-loop'))[0]!;
for (const seconds of [2, 6]) {
  const before = process.memoryUsage().rss;
  const flood = await new QemuRunner().run(runSpecFor(svcLoop.elfPath, 'cortex-a57', svcLoop, seconds * 1000));
  const exceptions = (flood.details['exceptions'] as { taken: number }).taken;
  console.log(
    `   ${seconds} s: ${flood.verdict}, ${exceptions} exceptions logged (${(exceptions / seconds).toFixed(0)}/s), RSS ${(before / 2 ** 20).toFixed(0)} -> ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (bounded: the log is streamed)`,
  );
}

console.log(`\n5. peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`);

// The cost of --deterministic (bench/deterministic.ts), after the RSS figure so it does not change it.
const determinismRuns = Math.min(RUNS, 7);
console.log(`\n6. ${formatDeterministicCost(await measureDeterministicCost(determinismRuns), determinismRuns).join('\n')}`);
