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
// The wall clock is only a backstop, WALL_FACTOR times the limits, for code the emulator runs
// slower than guest time passes (a device access per instruction): then the run ends on the
// wall clock, and says so.
import { BRANCH_TO_SELF } from '../emu/exceptions.js';
import { SLICE_INSTRUCTIONS, type SliceOutcome, type VirtMachine } from '../emu/virt-machine.js';
import type { SerialCapture } from './serial-capture.js';
import { stopDecision, type StopDecision, type StopLimits } from './stop-policy.js';

export type StopEnd = Extract<StopDecision, { stop: true }>;

/** Why the loop ended. `machine`: the guest itself ended the run (power-off, fault, WFI with nothing to wake it...). */
export type LoopEnd =
  /** The stop policy ended the run, on guest time or (`clock: 'wall'`) on the wall-clock backstop. */
  | { kind: 'stop'; stop: StopEnd; clock: 'guest' | 'wall'; guestMs: number }
  /** pc sits on `b .` and no interrupt can ever arrive: the CPU would spin there forever. */
  | { kind: 'spin'; pc: bigint }
  | { kind: 'machine'; outcome: Exclude<SliceOutcome, { kind: 'running' }> };

export interface EmuLoopOptions {
  /** The run's limits (stopLimits(spec)); the tracer and snapshots pass their own. */
  limits: StopLimits;
  signal?: AbortSignal | undefined;
  /** Instructions per slice at most (default SLICE_INSTRUCTIONS); results do not depend on it. */
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

/** Where guest time is read for the stop policy: 50 000 instructions = 0.4 ms of guest time at the default shift. */
export const CHECK_INSTRUCTIONS = 50_000;
/** The wall-clock backstop: this many times the limits, plus a second. */
export const WALL_FACTOR = 4;
const WALL_SLACK_MS = 1000;
/** Hold the thread at most this long before letting the event loop (abort signal, QEMU's pipes) run. */
const YIELD_EVERY_MS = 2;

/**
 * Whether the CPU spins on a branch to itself with nothing that could ever take it away: no
 * interrupt pending (masked or not) and no armed timer whose interrupt would be delivered. Only
 * an interrupt leaves `b .`, so the run is over (a timeout, said at once).
 */
export function spinsForever(machine: VirtMachine): boolean {
  return machine.uc.readWord(machine.programCounter) === BRANCH_TO_SELF && !machine.interrupts.couldEverWake(0);
}

/** The limits of the wall-clock backstop. */
export function wallLimits(limits: StopLimits): StopLimits {
  const scale = (ms: number) => (Number.isFinite(ms) && ms > 0 ? ms * WALL_FACTOR + WALL_SLACK_MS : ms);
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
    const wall = Date.now() - this.startedAt;
    this.lastOutput.guestAt = at;
    this.lastOutput.wallMs = wall;
    if (this.capture.doneSeen && !wasDone) Object.assign(this.done, { guestAt: at, wallMs: wall });
  }

  async run(): Promise<LoopEnd> {
    const { machine, options } = this;
    const clock = machine.interrupts.clock;
    const slice = Math.max(1, Math.floor(options.sliceInstructions ?? SLICE_INSTRUCTIONS));
    const endSpins = options.endSpins ?? true;
    const wall = wallLimits(options.limits);
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
        checkAt = this.nextCheckPoint(executed + 1n);
      }
      const wallMs = Date.now() - this.startedAt;
      const backstop = this.decide(wall, wallMs, this.lastOutput.wallMs ?? 0, this.done.wallMs, aborted);
      if (backstop.stop) return { kind: 'stop', stop: backstop, clock: 'wall', guestMs: this.guestMs() };

      // Never step over a check point.
      let outcome = machine.runSlice(Math.max(1, Math.min(slice, Number(checkAt - clock.executed))));
      this.flushSerial();
      if (options.afterSlice) outcome = options.afterSlice(outcome);
      if (outcome.kind !== 'running') return { kind: 'machine', outcome };
      if (endSpins && spinsForever(machine)) return { kind: 'spin', pc: machine.programCounter };
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
  }

  private decide(limits: StopLimits, elapsedMs: number, lastOutputMs: number, doneAtMs: number | null, aborted: boolean): StopDecision {
    return stopDecision(limits, { elapsedMs, serialBytes: this.capture.total, lastOutputMs, doneAtMs, aborted });
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
