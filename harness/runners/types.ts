// The one result model every runner produces and every consumer (CLI, matrix, reports) reads.
import { canonicalMachine, mergeMachine, type ImageFormat, type MachineOptions } from '../machine/description.js';
import type { MarkerReport } from '../markers/parse.js';
import { presetPatterns } from '../markers/presets.js';

/** How a run ended. `error` is the harness's or the infrastructure's failure, never the kernel's. */
export type Verdict =
  | 'completed' // powered off (PSCI SYSTEM_OFF) or printed DONE
  | 'timeout' // wall-clock / instruction budget ran out, or silence for too long
  | 'fault' // the guest took a data/instruction abort or an unhandled exception
  | 'output-limit' // the kernel flooded the console past the cap and was stopped
  | 'crash' // the emulator/QEMU process itself failed
  | 'error'; // harness or infrastructure: missing tool, bad ELF, build failure

export type RunnerName = 'qemu' | 'emu' | 'board' | 'replay' | `board:${string}`;

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

/** A run that did not happen as a kernel run: wbdiff or the infrastructure failed (`error`), or QEMU itself did (`crash`). */
export function isInfrastructure(verdict: Verdict): boolean {
  return verdict === 'error' || verdict === 'crash';
}

export interface ResultPattern {
  /** A regular expression with named groups `id` (unless `id` is given) and `result` (else the whole match), or `status`. */
  regex: string;
  flags?: string;
  /** A fixed marker id for every match (e.g. "T2" for a sentence that says test 2 failed). */
  id?: string;
  /** Optional mapping of captured results to canonical values (e.g. {"PASS":"Y","FAIL":"N"}); "*" maps any other. */
  map?: Record<string, string>;
  /** How a `status` group is read: as is, or kvm-unit-tests' (code << 1) | 1 where 1 means 0 (as arm/run reads it). */
  statusEncoding?: 'plain' | 'testdev';
}

/** Result formats chosen by name (manifest/config `results`, `--results NAME`). */
export type ResultPreset = 'markers' | 'kvm-unit-tests' | 'ktap';

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

/** What a kernel says about how to run it (its manifest's limits, machine and result format). */
export interface RunLimits {
  timeoutMs?: number | undefined;
  memoryMiB?: number | undefined;
  maxSerialBytes?: number | undefined;
  resultPatterns?: ResultPattern[] | undefined;
  /** A named result format; its patterns come before `resultPatterns`. */
  results?: ResultPreset | undefined;
  machine?: MachineOptions | undefined;
  imageFormat?: ImageFormat | undefined;
  symbolsElf?: string | undefined;
}

/** Overrides from the command line, laid over a kernel's limits (--memory, --smp, --results...). */
export type RunOverrides = Pick<RunLimits, 'memoryMiB' | 'resultPatterns' | 'results' | 'machine' | 'imageFormat' | 'symbolsElf'>;

/** The one way a RunSpec is made from a kernel's limits, so every command runs a kernel alike. */
export function runSpecFor(
  elfPath: string,
  cpu: string,
  limits: RunLimits,
  timeoutOverride?: number,
  overrides: RunOverrides = {},
): RunSpec {
  const memoryMiB = overrides.memoryMiB ?? limits.memoryMiB;
  const machine = canonicalMachine(mergeMachine(limits.machine, overrides.machine));
  const imageFormat = overrides.imageFormat ?? limits.imageFormat;
  const symbolsElf = overrides.symbolsElf ?? limits.symbolsElf;
  const results = overrides.results ?? limits.results;
  return {
    elfPath,
    cpu,
    timeoutMs: timeoutOverride ?? limits.timeoutMs ?? DEFAULTS.timeoutMs,
    resultPatterns: [...presetPatterns(results), ...(overrides.resultPatterns ?? []), ...(limits.resultPatterns ?? [])],
    ...(memoryMiB ? { memoryMiB } : {}),
    ...(limits.maxSerialBytes ? { maxSerialBytes: limits.maxSerialBytes } : {}),
    ...(Object.keys(machine).length ? { machine } : {}),
    ...(imageFormat ? { imageFormat } : {}),
    ...(symbolsElf ? { symbolsElf } : {}),
  };
}
