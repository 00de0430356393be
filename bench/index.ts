// `npm run bench [-- --json]`: figures measured side by side in one run, never asserted. With
// --json every figure is one JSON document on stdout and the table goes to stderr.
//  1. median wall time of one emulator run vs one QEMU run of the same kernel (runs interleaved), and
//     CPU time per run (this process for the emulator, its reaped children for QEMU), and each
//     back to back (as a matrix's lanes run them),
//     the emulator counting slices with Unicorn's own count and, side by side, with the block hook;
//  2. what the UART costs per byte (a callback per store, #16 item 4);
//  3. the default matrix's wall time against the ideal (each cell's time alone, summed, / cores; hang
//     cells included), and 200 runs of it (--repeat);
//  4. bisection run counts; 5. QEMU's -d int flood; 6. peak RSS of this process;
//  7. (bench/deterministic.ts) the cost of --deterministic per runner.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSubjects } from '../harness/build/subjects.js';
import { loadMatrixConfig } from '../harness/matrix/config.js';
import { runMatrix } from '../harness/matrix/run-matrix.js';
import { ResultsStore } from '../harness/matrix/store.js';
import { EmuRunner } from '../harness/runners/emu.js';
import { EnginePool } from '../harness/emu/engine-pool.js';
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
const JSON_OUT = process.argv.includes('--json');
/** The table: stdout, or stderr when the JSON document takes stdout. */
const say = (line = '') => (JSON_OUT ? process.stderr.write(`${line}\n`) : process.stdout.write(`${line}\n`));
const round = (n: number, digits = 3) => Number(n.toFixed(digits));
const figures: Record<string, unknown> = { unicorn: unicornVersion().text, cores: availableParallelism() };

export { median };

/** CPU time of this process (the emulator runs in it) and of its waited-for children (QEMU), in ms. */
function cpuNow(): { self: number; children: number } {
  const usage = process.cpuUsage();
  // /proc/self/stat fields 16 and 17: cutime, cstime, in clock ticks (USER_HZ = 100 on Linux).
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return { self: (usage.user + usage.system) / 1000, children: (Number(fields[13]) + Number(fields[14])) * 10 };
}

interface Lane {
  wall: number[];
  /** CPU ms summed over the lane's runs (children's CPU is counted in 10 ms ticks, so only the sum is exact enough). */
  cpuMs: number;
}

async function timeOne(runner: Runner, elfPath: string, lane: Lane): Promise<void> {
  const cpuBefore = cpuNow();
  const started = process.hrtime.bigint();
  const result = await runner.run({ elfPath, cpu: 'cortex-a57', timeoutMs: 10_000 });
  if (result.verdict !== 'completed') throw new Error(`${runner.name} on ${elfPath}: ${result.verdict} (${result.reason})`);
  lane.wall.push(Number(process.hrtime.bigint() - started) / 1e6);
  const cpuAfter = cpuNow();
  lane.cpuMs += runner.name === 'qemu' ? cpuAfter.children - cpuBefore.children : cpuAfter.self - cpuBefore.self;
}

say(`wbdiff bench (${availableParallelism()} cores, Unicorn ${unicornVersion().text})\n`);
say(`1. one run, median of ${RUNS}, emulator and QEMU runs interleaved`);
say(
  `   ${'kernel'.padEnd(14)} ${'emu ms'.padStart(8)} ${'qemu ms'.padStart(8)} ${'emu/qemu'.padStart(9)} ${'pooled ms'.padStart(10)} ${'ratio'.padStart(7)} ${'block-hook ms'.padStart(14)} ${'ratio'.padStart(7)}`,
);
say('   (emu: a new engine per run; pooled: an engine reset between runs; block-hook: slices counted by a JS block hook, as before)');
const emuRunner = new EmuRunner({ pool: false });
const perRunPool = new EnginePool();
const pooledRunner = new EmuRunner({ pool: perRunPool });
const blockHookRunner = new EmuRunner({ instructionCounting: 'block-hook', pool: false });
const qemuRunner = new QemuRunner();
const perRun: Record<string, unknown>[] = [];
for (const id of ['hello', 'gowb@go1.19', 'gowb@go1.23']) {
  const [subject] = await resolveSubjects(id);
  const emu: Lane = { wall: [], cpuMs: 0 };
  const pooled: Lane = { wall: [], cpuMs: 0 };
  const blockHook: Lane = { wall: [], cpuMs: 0 };
  const qemu: Lane = { wall: [], cpuMs: 0 };
  // The order rotates: the run right after a QEMU run is measurably slower (caches), whichever it is.
  const lanes: [Runner, Lane][] = [
    [emuRunner, emu],
    [pooledRunner, pooled],
    [blockHookRunner, blockHook],
    [qemuRunner, qemu],
  ];
  for (let i = 0; i < RUNS; i++) {
    for (let k = 0; k < lanes.length; k++) {
      const [runner, lane] = lanes[(i + k) % lanes.length]!;
      await timeOne(runner, subject!.elfPath, lane);
    }
  }
  // Back to back, as a matrix's emulator lane runs its cells (and QEMU's lane its own): each
  // runner RUNS times in a row. The interleaved figures above stay the ones the targets are read on.
  const pooledInRow: Lane = { wall: [], cpuMs: 0 };
  const qemuInRow: Lane = { wall: [], cpuMs: 0 };
  for (let i = 0; i < RUNS; i++) await timeOne(pooledRunner, subject!.elfPath, pooledInRow);
  for (let i = 0; i < RUNS; i++) await timeOne(qemuRunner, subject!.elfPath, qemuInRow);
  const perRunCpu = (lane: Lane) => lane.cpuMs / RUNS;
  const row = {
    kernel: id,
    emuMs: round(median(emu.wall)),
    qemuMs: round(median(qemu.wall)),
    ratio: round(median(emu.wall) / median(qemu.wall)),
    pooledRatio: round(median(pooled.wall) / median(qemu.wall)),
    pooledEmuMs: round(median(pooled.wall)),
    blockHookEmuMs: round(median(blockHook.wall)),
    blockHookRatio: round(median(blockHook.wall) / median(qemu.wall)),
    cpu: {
      emuMs: round(perRunCpu(emu)),
      pooledEmuMs: round(perRunCpu(pooled)),
      qemuMs: round(perRunCpu(qemu)),
      ratio: round(perRunCpu(emu) / perRunCpu(qemu)),
      pooledRatio: round(perRunCpu(pooled) / perRunCpu(qemu)),
    },
    backToBack: {
      pooledEmuMs: round(median(pooledInRow.wall)),
      qemuMs: round(median(qemuInRow.wall)),
      pooledRatio: round(median(pooledInRow.wall) / median(qemuInRow.wall)),
    },
  };
  perRun.push(row);
  say(
    `   ${id.padEnd(14)} ${row.emuMs.toFixed(1).padStart(8)} ${row.qemuMs.toFixed(1).padStart(8)} ${row.ratio.toFixed(3).padStart(9)} ${row.pooledEmuMs.toFixed(2).padStart(10)} ${row.pooledRatio.toFixed(3).padStart(7)} ${row.blockHookEmuMs.toFixed(1).padStart(14)} ${row.blockHookRatio.toFixed(3).padStart(7)}   (target <= ${id === 'hello' ? '0.030' : '0.100'})`,
  );
  say(
    `   ${''.padEnd(14)} CPU time per run: emu ${row.cpu.emuMs.toFixed(2)} ms, pooled ${row.cpu.pooledEmuMs.toFixed(2)} ms, QEMU ${row.cpu.qemuMs.toFixed(1)} ms -> ${row.cpu.ratio.toFixed(3)}, pooled ${row.cpu.pooledRatio.toFixed(3)}`,
  );
  say(
    `   ${''.padEnd(14)} back to back (${RUNS} of each in a row): pooled ${row.backToBack.pooledEmuMs.toFixed(2)} ms, QEMU ${row.backToBack.qemuMs.toFixed(1)} ms -> ${row.backToBack.pooledRatio.toFixed(3)}`,
  );
}
figures['perRun'] = perRun;
// Its engines are done: the peak RSS below is the matrix's, not this section's leftovers.
perRunPool.close();

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
  figures['guestStoreNs'] = round(ns, 1);
  say(
    `   (Unicorn ${unicornVersion().text}: one 8-byte guest store costs ~${ns.toFixed(0)} ns; gowb's entry zeroes 276 KiB of Go runtime bss = 34,500 stores)`,
  );
}

say('\n2. serial: flood printing to a 64 KiB cap (each byte: a UARTFR poll and a UARTDR store, both MMIO callbacks)');
{
  const flood = (await resolveSubjects('flood'))[0]!;
  const times: number[] = [];
  let instructions = 0;
  for (let i = 0; i < 5; i++) {
    const started = process.hrtime.bigint();
    const r = await emuRunner.run({ elfPath: flood.elfPath, cpu: 'cortex-a57', timeoutMs: 10_000, maxSerialBytes: 65_536 });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    instructions = Number(r.details['guestInstructions']);
  }
  const ms = median(times);
  figures['serial'] = { bytes: 65_536, ms: round(ms), usPerByte: round((ms * 1000) / 65_536), guestInstructions: instructions };
  say(`   ${ms.toFixed(1)} ms: ${((ms * 1000) / 65_536).toFixed(2)} us per byte, ${instructions} guest instructions`);
}

say('\n3. the default matrix (wbdiff.config.json), builds cached');
// The ideal is every cell's time when it runs alone (concurrency 1: one QEMU cell and the emulator
// lane at once on >= 2 cores), summed, over the cores; hang cells count like any other. A cell's
// time measured inside a busy matrix would include its wait for a core and flatter the ratio.
const cores = availableParallelism();
const matrixConfig = await loadMatrixConfig();
async function timedMatrix(concurrency: number, repeat: number) {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-bench-'));
  try {
    const started = process.hrtime.bigint();
    const summary = await runMatrix({ config: matrixConfig, store: new ResultsStore(dir), runId: 'bench', concurrency, repeat });
    return { summary, wallMs: Number(process.hrtime.bigint() - started) / 1e6 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const alone = await timedMatrix(1, 1);
const aloneMs = alone.summary.cells.reduce((sum, c) => sum + c.durationMs, 0);
const idealMs = aloneMs / cores;
const full = await timedMatrix(cores, 1);
const qemuCells = full.summary.cells.filter((c) => c.runner === 'qemu');
const hangCells = alone.summary.cells.filter((c) => c.target === 'hang').map((c) => ({ runner: c.runner, durationMs: c.durationMs }));
figures['matrix'] = {
  cells: full.summary.cells.length,
  wallMs: round(full.wallMs, 1),
  idealMs: round(idealMs, 1),
  ratio: round(full.wallMs / idealMs),
  qemuCells: qemuCells.length,
  hangCells,
};
say(`   cells: ${full.summary.cells.length} (${qemuCells.length} on QEMU), wall time ${full.wallMs.toFixed(0)} ms at concurrency ${cores}`);
say(
  `   ideal = each cell's time alone (${aloneMs.toFixed(0)} ms in all) / ${cores} cores = ${idealMs.toFixed(0)} ms -> wall/ideal ${(full.wallMs / idealMs).toFixed(2)} (target <= 1.3)`,
);
say(`   hang cells alone: ${hangCells.map((c) => `${c.runner} ${c.durationMs} ms`).join(', ')}`);
// 200 runs: the default matrix with --repeat, so that each run's ideal is the same as above.
const repeat = Math.max(1, Math.round(200 / full.summary.cells.length));
const many = await timedMatrix(cores, repeat);
const manyRuns = many.summary.cells.length * repeat;
const manyIdealMs = idealMs * repeat;
figures['matrix200'] = {
  runs: manyRuns,
  repeat,
  wallMs: round(many.wallMs, 1),
  idealMs: round(manyIdealMs, 1),
  ratio: round(many.wallMs / manyIdealMs),
};
say(
  `   ${manyRuns} runs (--repeat ${repeat}): wall ${many.wallMs.toFixed(0)} ms, ideal ${manyIdealMs.toFixed(0)} ms -> ${(many.wallMs / manyIdealMs).toFixed(2)} (target <= 1.2)`,
);

say('\n4. bisection run counts (QEMU, gowb@go1.19)');
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
say(
  `   ddmin over ${report.sites} sites: ${report.ddminTests} search runs, ${report.totalRuns} runs with checks and verification -> ${found}`,
);
const seriesSteps = await bisectSeries(
  Array.from({ length: 16 }, (_, i) => ({ path: `v${i + 1}`, hash: '', variant: { name: `v${i + 1}`, edits: [] } })),
  'Y',
  async (index) => (index >= 10 ? 'N' : 'Y'),
);
figures['bisection'] = {
  sites: report.sites,
  ddminRuns: report.ddminTests,
  totalRuns: report.totalRuns,
  seriesSteps: seriesSteps.steps.length,
};
say(
  `   series of 16 (first bad #11): ${seriesSteps.steps.length} search steps (the algorithm alone; test/bisect.test.ts checks <= 5 on real runs)`,
);

say('\n5. a flood of -d int log lines (svc-loop: SVC taken and handled in a loop), QEMU runner');
const svcLoop = (await resolveSubjects('svc-loop'))[0]!;
for (const seconds of [2, 6]) {
  const before = process.memoryUsage().rss;
  const flood = await new QemuRunner().run(runSpecFor(svcLoop.elfPath, 'cortex-a57', svcLoop, seconds * 1000));
  const exceptions = (flood.details['exceptions'] as { taken: number }).taken;
  ((figures['qemuIntLog'] ??= []) as unknown[]).push({ seconds, verdict: flood.verdict, exceptions });
  say(
    `   ${seconds} s: ${flood.verdict}, ${exceptions} exceptions logged (${(exceptions / seconds).toFixed(0)}/s), RSS ${(before / 2 ** 20).toFixed(0)} -> ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (bounded: the log is streamed)`,
  );
}

const peakRssMiB = process.resourceUsage().maxRSS / 1024;
figures['peakRssMiB'] = round(peakRssMiB, 1);
say(`\n6. peak RSS of this process: ${peakRssMiB.toFixed(1)} MiB (target <= 250)`);
// The cost of --deterministic (bench/deterministic.ts), after the RSS figure so it does not change it.
const determinismRuns = Math.min(RUNS, 7);
const determinism = await measureDeterministicCost(determinismRuns);
figures['deterministic'] = determinism;
say(`\n7. ${formatDeterministicCost(determinism, determinismRuns).join('\n')}`);
if (JSON_OUT) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
