// The one result model every runner produces and every consumer (CLI, matrix, reports) reads.
import type { ImageFormat, MachineOptions } from '../machine/description.js';
import type { MarkerReport } from '../markers/parse.js';

/** How a run ended. `error` is the harness's or the infrastructure's failure, never the kernel's. */
export type Verdict =
  | 'completed' // powered off (PSCI SYSTEM_OFF) or printed DONE
  | 'timeout' // wall-clock / instruction budget ran out, or silence for too long
  | 'fault' // the guest took a data/instruction abort or an unhandled exception
  | 'output-limit' // the kernel flooded the console past the cap and was stopped
  | 'crash' // the emulator/QEMU process itself failed
  | 'error'; // harness or infrastructure: missing tool, bad ELF, build failure

export type RunnerName = 'qemu' | 'emu' | 'board' | 'replay' | `board:${string}`;

/** Runners that see only the serial console: they cannot report a fault, only its silence. */
export function reportsFaults(runner: string): boolean {
  return runner === 'qemu' || runner === 'emu';
}

export interface FaultInfo {
  /** What kind of exception, in words: "data abort", "undefined instruction", "unmapped read"... */
  kind: string;
  /** Program counter of the faulting instruction (hex string, e.g. "0x40080010"). */
  pc: string | null;
  /** `pc` as symbol+offset when the ELF has a symbol table. */
  pcSymbol: string | null;
  /** Faulting data address (FAR) when known. */
  address: string | null;
  addressSymbol: string | null;
  /** read | write | fetch | null */
  access: 'read' | 'write' | 'fetch' | null;
  /** Exception syndrome register value when the runner knows it (QEMU). */
  esr: string | null;
  /** The runner's raw words about it (QEMU's log line, Unicorn's error). */
  detail: string;
}

export interface RunResult {
  runner: RunnerName;
  /** The CPU model this ran on (QEMU -cpu name, or the Unicorn model). */
  cpu: string | null;
  verdict: Verdict;
  /** Why the runner stopped, in words (e.g. "PSCI SYSTEM_OFF", "timeout after 5000 ms"). */
  reason: string;
  markers: Record<string, string>;
  conflicts: MarkerReport['conflicts'];
  done: boolean;
  poweredOff: boolean;
  fault: FaultInfo | null;
  /** Serial output, decoded for people: non-UTF-8 bytes shown as \xNN escapes. */
  serial: string;
  /** Bytes of serial output seen (may exceed serial.length when the cap cut it). */
  serialBytes: number;
  durationMs: number;
  /** The kernel's own exit status (semihosting SYS_EXIT, `EXIT: STATUS=n`, chr-testdev) when it gave one. */
  exitStatus?: number | null;
  /** Runner-specific extras (instruction count, QEMU stderr tail, ...). */
  details: Record<string, unknown>;
}

/** What to run: an ELF and how the kernel expects to be judged. */
export interface RunSpec {
  elfPath: string;
  /** QEMU -cpu name; the emulator maps it to its own model. */
  cpu: string;
  /** Wall-clock limit for the whole run. */
  timeoutMs: number;
  /** Stop after this long without serial output (0 = never). */
  silenceTimeoutMs?: number;
  /** How long to keep running after DONE for a PSCI power-off before stopping anyway. */
  afterDoneMs?: number;
  /** Serial output cap in bytes; past it the run is stopped with verdict `output-limit`. */
  maxSerialBytes?: number;
  /** Extra result patterns from the kernel manifest. */
  resultPatterns?: ResultPattern[];
  /** Memory size in MiB of the modelled machine (QEMU -m). */
  memoryMiB?: number;
  /** How `elfPath` is to be loaded; 'elf' when absent. A raw image may name `symbolsElf`. */
  imageFormat?: ImageFormat;
  /** An ELF whose symbols describe a raw image (symbolisation only). */
  symbolsElf?: string;
  /** SMP, -machine options, command line, initrd, devices, semihosting, extra QEMU args. */
  machine?: MachineOptions;
}

export interface ResultPattern {
  /** A regular expression with named groups `id` and `result`. */
  regex: string;
  flags?: string;
  /** Optional mapping of captured results to canonical values (e.g. {"PASS":"Y","FAIL":"N"}). */
  map?: Record<string, string>;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Live serial bytes, for progress displays and board consoles. */
  onSerial?: (chunk: Uint8Array) => void;
}

export interface Runner {
  readonly name: RunnerName;
  run(spec: RunSpec, options?: RunOptions): Promise<RunResult>;
}

export const DEFAULTS = {
  cpu: 'cortex-a57',
  timeoutMs: 10_000,
  afterDoneMs: 300,
  maxSerialBytes: 1 << 20,
  memoryMiB: 128,
} as const;

/** What a kernel says about how to run it (its manifest's limits and result patterns). */
export interface RunLimits {
  timeoutMs?: number | undefined;
  memoryMiB?: number | undefined;
  maxSerialBytes?: number | undefined;
  resultPatterns?: ResultPattern[] | undefined;
}

/** The one way a RunSpec is made from a kernel's limits, so every command runs a kernel alike. */
export function runSpecFor(elfPath: string, cpu: string, limits: RunLimits, timeoutOverride?: number): RunSpec {
  return {
    elfPath,
    cpu,
    timeoutMs: timeoutOverride ?? limits.timeoutMs ?? DEFAULTS.timeoutMs,
    resultPatterns: limits.resultPatterns ?? [],
    ...(limits.memoryMiB ? { memoryMiB: limits.memoryMiB } : {}),
    ...(limits.maxSerialBytes ? { maxSerialBytes: limits.maxSerialBytes } : {}),
  };
}
