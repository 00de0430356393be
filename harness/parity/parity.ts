// Register-level parity of one ELF: QEMU's gdbstub and the emulator stop at the same breakpoints,
// and the snapshots are compared (registers.ts). The emulator runs up to four times: normal,
// repeat (nondeterminism), poisoned (which registers the code determines), and — only when the
// reset states differ — seeded with QEMU's reset registers. Each run is bounded.
import { symbolContext } from '../diagnose/describe.js';
import type { ElfImage } from '../elf/elf.js';
import { readElf } from '../elf/read-elf.js';
import { WbdiffError } from '../errors.js';
import { snapshotOnQemu, type QemuSnapshotOptions } from '../gdb/qemu-gdb.js';
import type { SnapshotRun } from '../gdb/snapshot.js';
import { resolveLocation } from '../patch/location.js';
import { unicornModelFor, UNICORN_CPU_MODELS } from '../runners/emu.js';
import { hex } from '../util/hex.js';
import { snapshotOnEmulator } from './emu-snapshots.js';
import { compareRuns, poisonedResetRegisters, resetDifferences, comparedRegisters, type ParityComparison } from './registers.js';

/** Guest time at which the repeat run starts: far from 0, so counter-derived values differ. */
const REPEAT_CLOCK_START_NS = 1_000_000_000n;

export interface Breakpoint {
  address: bigint;
  /** How people should read it: "main.kmain+0x7c". */
  label: string;
}

export interface ParityOptions {
  breakpoints: readonly Breakpoint[];
  /** QEMU -cpu; the emulator uses its matching model (default cortex-a57). */
  cpu?: string;
  memoryMiB?: number;
  /** Hits to record per runner, all breakpoints together (default 64). */
  maxHits?: number;
  /** Limit for the QEMU session (default 30 s) and for each emulator run (default 10 s). */
  timeoutMs?: number;
  requestTimeoutMs?: number;
  /** After as many hits as the emulator had (when it ended by itself), how long QEMU may take to show more (default 1000 ms). */
  graceMs?: number;
  maxSerialBytes?: number;
  /** Skip the repeat/poisoned/seeded emulator runs (every difference is then a divergence). */
  noAnalysis?: boolean;
  qemuBinary?: string;
  signal?: AbortSignal;
  onTraffic?: QemuSnapshotOptions['onTraffic'];
}

export interface RunSummary {
  end: SnapshotRun['end'];
  hits: number;
  durationMs: number;
  reset: Record<string, string>;
  details: Record<string, unknown>;
}

export interface ParityReport {
  elf: string;
  cpu: string;
  model: string;
  breakpoints: { address: string; location: string }[];
  qemu: RunSummary;
  emu: RunSummary;
  analysis: { repeat: RunSummary | null; poisoned: RunSummary | null; seeded: RunSummary | null };
  comparison: ParityComparison;
}

/** Breakpoints from `--at` words: "main.kmain+0x7c", "main.wbSeed", "0x400c7b5c". */
export function resolveBreakpoints(image: ElfImage, words: readonly string[]): Breakpoint[] {
  return words.map((word) => {
    try {
      const { address, label } = resolveLocation(word, image.symbols);
      if (address % 4n !== 0n) throw new Error(`${hex(address)} is not 4-byte aligned: A64 instructions are`);
      return { address, label };
    } catch (error) {
      throw new WbdiffError(`--at ${word}: ${(error as Error).message}`, {
        where: image.path,
        hint: 'give a symbol, symbol+0xoffset, or a 0x address of an instruction',
      });
    }
  });
}

/** The redirected call sites (`redirect-calls`, `call`) of a patch manifest: where the emulator's diagnosis snapshots too. */
export function breakpointsFromManifest(sites: readonly { op: string; address: string; location: string }[]): Breakpoint[] {
  return sites.filter((s) => s.op === 'redirect-calls' || s.op === 'call').map((s) => ({ address: BigInt(s.address), label: s.location }));
}

export async function checkParity(elfPath: string, options: ParityOptions): Promise<ParityReport> {
  if (options.breakpoints.length === 0) {
    throw new WbdiffError('no breakpoints: nothing says where to compare registers', {
      where: elfPath,
      hint: 'give --at sym|addr, or a patched ELF whose manifest lists redirected call sites (--variant)',
    });
  }
  const image = await readElf(elfPath);
  const cpu = options.cpu ?? 'cortex-a57';
  const model = unicornModelFor(cpu);
  if (!model)
    throw new WbdiffError(`the emulator has no CPU model for -cpu "${cpu}"`, {
      hint: `it has: ${Object.keys(UNICORN_CPU_MODELS).join(', ')}`,
    });
  const addresses = options.breakpoints.map((b) => b.address);
  const maxHits = options.maxHits ?? 64;
  const emuTimeout = Math.min(options.timeoutMs ?? 10_000, 10_000);
  const emuRun = (initialRegisters?: Record<string, bigint>, clockStartNs?: bigint) =>
    snapshotOnEmulator(image, {
      model,
      breakpoints: addresses,
      maxHits,
      timeoutMs: emuTimeout,
      ...(options.memoryMiB ? { memoryMiB: options.memoryMiB } : {}),
      ...(options.maxSerialBytes ? { maxSerialBytes: options.maxSerialBytes } : {}),
      ...(initialRegisters ? { initialRegisters } : {}),
      ...(clockStartNs ? { clockStartNs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });

  // The emulator first: when it ends by itself (power-off, fault, WFI, output cap) after N hits,
  // QEMU gets a short grace after its own Nth hit instead of its whole time limit.
  const emu = await emuRun();
  const emuEndedByItself = emu.end.kind !== 'timeout' && emu.end.kind !== 'max-hits';
  const qemu = await snapshotOnQemu({
    ...(emuEndedByItself ? { settleAfter: { hits: emu.hits.length, graceMs: options.graceMs ?? 1000 } } : {}),
    elfPath,
    cpu,
    breakpoints: addresses,
    maxHits,
    ...(options.memoryMiB ? { memoryMiB: options.memoryMiB } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.qemuBinary ? { binary: options.qemuBinary } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onTraffic ? { onTraffic: options.onTraffic } : {}),
  });
  let repeat: SnapshotRun | null = null;
  let poisoned: SnapshotRun | null = null;
  let seeded: SnapshotRun | null = null;
  if (!options.noAnalysis) {
    // The emulator's time is executed instructions, so a plain repeat reads the same counters:
    // repeat from a later time (1 s) instead, and what the counters set shows as differing.
    repeat = await emuRun(undefined, REPEAT_CLOCK_START_NS);
    poisoned = await emuRun(poisonedResetRegisters());
    const registers = comparedRegisters(qemu.reset, emu.reset);
    if (resetDifferences(qemu.reset, emu.reset, registers).length) {
      const seed: Record<string, bigint> = {};
      for (const r of registers) if (r !== 'pc' && qemu.reset[r] !== undefined) seed[r] = qemu.reset[r]!;
      seeded = await emuRun(seed);
    }
  }
  const comparison = compareRuns({ qemu, emu, repeat, poisoned, seeded, symbols: symbolContext(image) });
  return {
    elf: elfPath,
    cpu,
    model,
    breakpoints: options.breakpoints.map((b) => ({ address: hex(b.address), location: b.label })),
    qemu: summary(qemu),
    emu: summary(emu),
    analysis: { repeat: repeat && summary(repeat), poisoned: poisoned && summary(poisoned), seeded: seeded && summary(seeded) },
    comparison,
  };
}

function summary(run: SnapshotRun): RunSummary {
  return {
    end: run.end,
    hits: run.hits.length,
    durationMs: run.durationMs,
    reset: Object.fromEntries(Object.entries(run.reset).map(([k, v]) => [k, hex(v)])),
    details: run.details,
  };
}
