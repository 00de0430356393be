// The one emulator run loop: the runner (emu.ts), the diagnosis tracer (diagnose/trace.ts) and
// parity's register snapshots (parity/emu-snapshots.ts) all drive a VirtMachine through it.
// It runs counted slices (virt-machine.ts: a slice ends between instructions, so nothing is
// replayed and the same bytes give the same result at any slice size), keeps serial in one
// SerialCapture, applies the stop rules between slices, yields to the event loop so the abort
// signal and other work get their turn, and ends a CPU that spins on a branch to itself when
// nothing could ever interrupt it.
import { BRANCH_TO_SELF } from '../emu/exceptions.js';
import { SLICE_INSTRUCTIONS, type SliceOutcome, type VirtMachine } from '../emu/virt-machine.js';
import type { SerialCapture } from './serial-capture.js';

/** Why the loop ended. `machine`: the guest itself ended the run (power-off, fault, WFI with nothing to wake it...). */
export type LoopEnd =
  | { kind: 'cancelled' }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'silence'; silenceMs: number }
  | { kind: 'done-grace' }
  | { kind: 'serial-limit' }
  /** pc sits on `b .` and no interrupt can ever arrive: the CPU would spin there forever. */
  | { kind: 'spin'; pc: bigint }
  | { kind: 'machine'; outcome: Exclude<SliceOutcome, { kind: 'running' }> };

export interface EmuLoopOptions {
  /** Wall-clock limit of the run. */
  timeoutMs: number;
  /** End this long after DONE was printed (undefined: DONE does not end the loop). */
  afterDoneMs?: number | undefined;
  /** End when no serial output came for this long (0 or undefined: never). */
  silenceMs?: number | undefined;
  /** End when the capture passed its cap (the runner's output-limit; the tracer only keeps less). */
  stopAtSerialCap?: boolean;
  signal?: AbortSignal | undefined;
  /** Instructions per slice (default SLICE_INSTRUCTIONS); results do not depend on it. */
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

/** What the stop rules look at between slices. */
export interface StopState {
  now: number;
  startedAt: number;
  aborted: boolean;
  doneAt: number | null;
  lastOutputAt: number;
  overflowed: boolean;
}

/**
 * The stop rules, one pure decision between slices: abort, DONE grace, the serial cap, the
 * timeout, silence. (The shape runners/stop-policy.ts will take over.)
 */
export function stopDecision(state: StopState, options: EmuLoopOptions): LoopEnd | null {
  if (state.aborted) return { kind: 'cancelled' };
  if (options.stopAtSerialCap && state.overflowed) return { kind: 'serial-limit' };
  if (options.afterDoneMs !== undefined && state.doneAt !== null && state.now - state.doneAt >= options.afterDoneMs)
    return { kind: 'done-grace' };
  if (state.now - state.startedAt >= options.timeoutMs) return { kind: 'timeout', timeoutMs: options.timeoutMs };
  const silence = options.silenceMs ?? 0;
  if (silence > 0 && state.now - state.lastOutputAt > silence) return { kind: 'silence', silenceMs: silence };
  return null;
}

/**
 * Whether the CPU spins on a branch to itself with nothing that could ever take it away: no
 * interrupt pending (masked or not) and no armed timer whose interrupt would be delivered. Only
 * an interrupt leaves `b .`, so the run is over (a timeout, said at once).
 */
export function spinsForever(machine: VirtMachine): boolean {
  return machine.uc.readWord(machine.programCounter) === BRANCH_TO_SELF && !machine.interrupts.couldEverWake(0);
}

/** Hold the thread at most this long before letting the event loop (abort signal, QEMU's pipes) run. */
const YIELD_EVERY_MS = 2;

export function runEmuLoop(machine: VirtMachine, capture: SerialCapture, options: EmuLoopOptions): Promise<LoopEnd> {
  return new EmuRunLoop(machine, capture, options).run();
}

export class EmuRunLoop {
  private doneAt: number | null = null;

  constructor(
    private readonly machine: VirtMachine,
    private readonly capture: SerialCapture,
    private readonly options: EmuLoopOptions,
  ) {}

  /** Moves the machine's UART bytes into the capture; callable from a hook (a snapshot's "serial so far"). */
  flushSerial(): void {
    const chunk = this.machine.takeSerial();
    if (chunk.length === 0) return;
    this.capture.push(chunk);
    this.options.onSerial?.(chunk);
    if (this.capture.doneSeen && this.doneAt === null) this.doneAt = Date.now();
  }

  async run(): Promise<LoopEnd> {
    const { machine, capture, options } = this;
    const startedAt = Date.now();
    const slice = options.sliceInstructions ?? SLICE_INSTRUCTIONS;
    const endSpins = options.endSpins ?? true;
    let lastYield = startedAt;
    for (;;) {
      const stop = stopDecision(
        {
          now: Date.now(),
          startedAt,
          aborted: options.signal?.aborted ?? false,
          doneAt: this.doneAt,
          lastOutputAt: capture.lastOutputAt,
          overflowed: capture.overflowed,
        },
        options,
      );
      if (stop) return stop;
      let outcome = machine.runSlice(slice);
      this.flushSerial();
      if (options.afterSlice) outcome = options.afterSlice(outcome);
      if (outcome.kind === 'serial-limit' || (options.stopAtSerialCap && capture.overflowed)) return { kind: 'serial-limit' };
      if (outcome.kind !== 'running') return { kind: 'machine', outcome };
      if (endSpins && spinsForever(machine)) return { kind: 'spin', pc: machine.programCounter };
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
  }
}
