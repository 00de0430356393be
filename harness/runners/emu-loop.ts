// The one emulator run loop: the runner (emu.ts), the diagnosis tracer (diagnose/trace.ts) and
// parity's register snapshots (parity/emu-snapshots.ts) all drive a VirtMachine through it.
// It runs counted slices (virt-machine.ts: a slice ends between instructions, so nothing is
// replayed), keeps serial in one SerialCapture, applies the one stop policy (stop-policy.ts),
// yields to the event loop so the abort signal and other work get their turn, and ends a CPU
// that spins on a branch to itself when nothing could ever interrupt it.
//
// Time for the stop policy is guest time, the machine's instruction clock (executed instructions
// and idle warps; interrupts/instruction-clock.ts), so the same bytes stop at the same place on
// any host at any load. It is read only at fixed points of that clock (every CHECK_INSTRUCTIONS
// executed instructions; slices are cut so they never step over one), and serial output counts
// as seen at the next such point, so the decision does not depend on the slice size either.
// The backstop is this thread's CPU time, for code the emulator runs slower than guest time passes
// (an exception or device access every few instructions): at the limits plus a second when guest
// time runs at under half the CPU clock's speed, else at WALL_FACTOR times them plus a second.
// Then the run ends on that clock, and says so. CPU time rather than the wall clock, so a loaded
// host does not decide; the wall clock (10x) only bounds a process the host starves.
import { threadCpuMs } from '../emu/unicorn.js';
import type { SliceOutcome, VirtMachine } from '../emu/virt-machine.js';
import type { SerialCapture } from './serial-capture.js';
import { stopDecision, type StopDecision, type StopLimits } from './stop-policy.js';

export type StopEnd = Extract<StopDecision, { stop: true }>;

/** Why the loop ended. `machine`: the guest itself ended the run (power-off, fault, WFI with nothing to wake it...). */
export type LoopEnd =
  /** The stop policy ended the run: on guest time, or on the backstop (the emulator's CPU time; the wall clock for a starved process). */
  | { kind: 'stop'; stop: StopEnd; clock: 'guest' | 'cpu' | 'wall'; guestMs: number }
  /** pc sits on `b .` and no interrupt can ever arrive: the CPU would spin there forever. */
  | { kind: 'spin'; pc: bigint }
  | { kind: 'machine'; outcome: Exclude<SliceOutcome, { kind: 'running' }> };

export interface EmuLoopOptions {
  /** The run's limits (stopLimits(spec)); the tracer and snapshots pass their own. */
  limits: StopLimits;
  signal?: AbortSignal | undefined;
  /**
   * Instructions per slice at most (default: up to the next check point, fewer while slices
   * take long on the wall clock); results do not depend on it.
   */
  sliceInstructions?: number;
  /** Every chunk of serial output, as it arrives. */
  onSerial?: ((chunk: Uint8Array) => void) | undefined;
  /**
   * After each slice, before the loop acts on its outcome: a caller's own stops (the tracer's
   * windows). Returns the outcome the loop goes on with ('running' to continue).
   */
  afterSlice?: (outcome: SliceOutcome) => SliceOutcome;
  /** Spin detection (default true). */
  endSpins?: boolean;
}

/**
 * Where guest time is read for the stop policy: every 1M executed instructions, 8 ms of guest
 * time at the default shift. A run that needs fewer (gowb: 139k) is one uc_emu_start.
 */
export const CHECK_INSTRUCTIONS = 1_000_000;
/**
 * Slices shrink (to no fewer than MIN_SLICE) while one takes longer than SLOW_SLICE_MS of wall
 * time (device-heavy code: a callback per access), and grow back while they are quick, so the
 * event loop is never held long. Safe for "same bytes, same result": no decision depends on
 * where a slice ends (see above), only on check points, which no slice steps over.
 */
const MIN_SLICE = 4096;
const SLOW_SLICE_MS = 4;
const QUICK_SLICE_MS = 1;
/** The backstop (the emulator's CPU time): this many times the limits, plus a second. */
export const WALL_FACTOR = 2;
/** The wall clock, only for a process the host starves of CPU: this many times the limits, plus a second. */
const STARVED_FACTOR = 10;
const WALL_SLACK_MS = 1000;
/** Hold the thread at most this long before letting the event loop (abort signal, QEMU's pipes) run. */
const YIELD_EVERY_MS = 2;

/** The limits of the wall-clock backstop: `factor` times the limits plus a second. */
export function wallLimits(limits: StopLimits, factor = WALL_FACTOR): StopLimits {
  const scale = (ms: number) => (Number.isFinite(ms) && ms > 0 ? ms * factor + WALL_SLACK_MS : ms);
  return { ...limits, timeoutMs: scale(limits.timeoutMs), silenceMs: scale(limits.silenceMs), afterDoneMs: scale(limits.afterDoneMs) };
}

export function runEmuLoop(machine: VirtMachine, capture: SerialCapture, options: EmuLoopOptions): Promise<LoopEnd> {
  return new EmuRunLoop(machine, capture, options).run();
}

/** A serial event's time on one clock: guest ms once the next check point is reached, wall ms at once. */
interface Seen {
  guestMs: number | null;
  /** The check point (executed instructions) at which guestMs is read. */
  guestAt: bigint | null;
  wallMs: number | null;
}

export class EmuRunLoop {
  private readonly lastOutput: Seen = { guestMs: 0, guestAt: null, wallMs: 0 };
  private readonly done: Seen = { guestMs: null, guestAt: null, wallMs: null };
  private readonly startedAt = Date.now();
  private readonly startNs: bigint;

  constructor(
    private readonly machine: VirtMachine,
    private readonly capture: SerialCapture,
    private readonly options: EmuLoopOptions,
  ) {
    this.startNs = machine.interrupts.clock.nowNs();
  }

  /** Moves the machine's UART bytes into the capture; callable from a hook (a snapshot's "serial so far"). */
  flushSerial(): void {
    const chunk = this.machine.takeSerial();
    if (chunk.length === 0) return;
    const wasDone = this.capture.doneSeen;
    this.capture.push(chunk);
    this.options.onSerial?.(chunk);
    const at = this.nextCheckPoint();
    const wall = this.cpuMs();
    this.lastOutput.guestAt = at;
    this.lastOutput.wallMs = wall;
    if (this.capture.doneSeen && !wasDone) Object.assign(this.done, { guestAt: at, wallMs: wall });
  }

  async run(): Promise<LoopEnd> {
    const { machine, options } = this;
    const clock = machine.interrupts.clock;
    const maxSlice = Math.max(1, Math.floor(options.sliceInstructions ?? CHECK_INSTRUCTIONS));
    let slice = Math.min(maxSlice, 50_000);
    const endSpins = options.endSpins ?? true;
    const wall = wallLimits(options.limits);
    const wallWhenBehind = wallLimits(options.limits, 1);
    const starvedLimits: StopLimits = {
      ...wallLimits(options.limits, STARVED_FACTOR),
      silenceMs: 0,
      afterDoneMs: Number.POSITIVE_INFINITY,
      maxSerialBytes: Number.POSITIVE_INFINITY,
    };
    let lastYield = Date.now();
    let checkAt = clock.executed;
    for (;;) {
      const executed = clock.executed;
      const aborted = options.signal?.aborted ?? false;
      // At a check point (a slice of the masked-interrupt sequence may pass one: then right after it,
      // at the same instruction whatever the slice size, since that sequence ignores it).
      if (executed >= checkAt || aborted) {
        const guestMs = this.guestMs();
        this.resolve(this.lastOutput, executed, guestMs);
        this.resolve(this.done, executed, guestMs);
        const guest = this.decide(options.limits, guestMs, this.lastOutput.guestMs ?? 0, this.done.guestMs, aborted);
        if (guest.stop) return { kind: 'stop', stop: guest, clock: 'guest', guestMs };
        // Also only here, so where a spin is seen does not depend on where slices end.
        const spin = endSpins && executed > 0n ? machine.spinningForever() : null;
        if (spin !== null) return { kind: 'spin', pc: spin };
        checkAt = this.nextCheckPoint(executed + 1n);
      }
      // Code the emulator runs at under half guest speed (an exception every few instructions)
      // would take more than twice its limit to reach it on guest time: its CPU time decides at
      // the limits + 1 s then; otherwise at 2x + 1 s. CPU time, not the wall clock, so a loaded
      // host does not make fast code end on it; the wall clock only bounds a starved process.
      const cpuMs = this.cpuMs();
      const behind = this.guestMs() < cpuMs / 2;
      const backstop = this.decide(behind ? wallWhenBehind : wall, cpuMs, this.lastOutput.wallMs ?? 0, this.done.wallMs, aborted);
      if (backstop.stop) return { kind: 'stop', stop: backstop, clock: 'cpu', guestMs: this.guestMs() };
      const starved = this.decide(starvedLimits, Date.now() - this.startedAt, 0, null, false);
      if (starved.stop) return { kind: 'stop', stop: starved, clock: 'wall', guestMs: this.guestMs() };

      // Never step over a check point.
      const sliceStarted = performance.now();
      let outcome = machine.runSlice(Math.max(1, Math.min(slice, Number(checkAt - clock.executed))));
      const sliceMs = performance.now() - sliceStarted;
      if (sliceMs > SLOW_SLICE_MS) slice = Math.max(Math.min(MIN_SLICE, maxSlice), slice >> 1);
      else if (sliceMs < QUICK_SLICE_MS) slice = Math.min(maxSlice, slice * 2);
      this.flushSerial();
      if (options.afterSlice) outcome = options.afterSlice(outcome);
      if (outcome.kind !== 'running') return { kind: 'machine', outcome };
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
  }

  private decide(limits: StopLimits, elapsedMs: number, lastOutputMs: number, doneAtMs: number | null, aborted: boolean): StopDecision {
    return stopDecision(limits, { elapsedMs, serialBytes: this.capture.total, lastOutputMs, doneAtMs, aborted });
  }

  private readonly cpuStart = threadCpuMs();

  /** This thread's CPU time since the run started (the backstop's clock). */
  private cpuMs(): number {
    return threadCpuMs() - this.cpuStart;
  }

  private guestMs(): number {
    return Number(this.machine.interrupts.clock.nowNs() - this.startNs) / 1e6;
  }

  /** Executed instructions at the first check point at or after `from` (default: now). */
  private nextCheckPoint(from = this.machine.interrupts.clock.executed): bigint {
    const n = BigInt(CHECK_INSTRUCTIONS);
    return ((from + n - 1n) / n) * n;
  }

  private resolve(seen: Seen, executed: bigint, guestMs: number): void {
    if (seen.guestAt !== null && executed >= seen.guestAt) {
      seen.guestMs = guestMs;
      seen.guestAt = null;
    }
  }
}
