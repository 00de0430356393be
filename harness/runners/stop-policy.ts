// When a run stops on its own rules rather than the kernel's: the one stop policy of every runner.
//
// API (pure; no clock, no timers: the caller says what time it is):
//   stopLimits(spec, { silenceMs? }) -> StopLimits        the spec's limits with defaults applied
//   stopDecision(limits, state)      -> StopDecision       keep going, or stop with a verdict and reason
//     state: { elapsedMs, serialBytes, lastOutputMs, doneAtMs, aborted? }, all times in ms since the
//     run started on the caller's clock (the wall clock for QEMU and boards; a runner with a virtual
//     clock, e.g. instructions counted, passes that instead: same inputs, same decision).
//   new WallClockStops(limits, capture, startedAt).decide(now, aborted): the same for a run on the wall
//     clock, its state read from its SerialCapture (QEMU, boards).
//   Going on: { stop: false, nextCheckMs } says when a limit can next be crossed (for a timer).
//   Stopping: { stop: true, cause, verdict, reason }; the reason's wording is the same for every runner.
// Precedence: cancelled, serial cap, DONE grace, timeout, silence. What the kernel does itself
// (power-off, a fault, WFI forever) is the runner's to see and comes before this policy.
import type { SerialCapture } from './serial-capture.js';
import { DEFAULTS, type RunSpec, type Verdict } from './types.js';

export interface StopLimits {
  /** The whole run's time limit. */
  timeoutMs: number;
  /** Stop after this long without serial output; 0: never. */
  silenceMs: number;
  /** After DONE, how long to wait for a power-off before ending the run as completed. */
  afterDoneMs: number;
  /** Serial bytes allowed; one more ends the run as output-limit. */
  maxSerialBytes: number;
}

export interface StopState {
  /** Time since the run started. */
  elapsedMs: number;
  /** Serial bytes seen so far (including any past the cap). */
  serialBytes: number;
  /** When serial output last arrived (or when the silence clock started, e.g. at power-on). */
  lastOutputMs: number;
  /** When DONE was first seen, or null. */
  doneAtMs: number | null;
  aborted?: boolean | undefined;
}

export type StopCause = 'cancelled' | 'serial-cap' | 'done' | 'timeout' | 'silence';

export type StopDecision =
  | { stop: false; nextCheckMs: number }
  | {
      stop: true;
      cause: StopCause;
      verdict: Verdict;
      reason: string;
      /** The run ended on its time limit without a single serial byte (a runner may say why that can be). */
      silentThroughout: boolean;
    };

export function stopLimits(spec: RunSpec, override: { silenceMs?: number | undefined } = {}): StopLimits {
  return {
    timeoutMs: spec.timeoutMs,
    silenceMs: override.silenceMs ?? spec.silenceTimeoutMs ?? 0,
    afterDoneMs: spec.afterDoneMs ?? DEFAULTS.afterDoneMs,
    maxSerialBytes: spec.maxSerialBytes ?? DEFAULTS.maxSerialBytes,
  };
}

export function stopDecision(limits: StopLimits, state: StopState): StopDecision {
  const stop = (cause: StopCause, verdict: Verdict, reason: string): StopDecision => ({
    stop: true,
    cause,
    verdict,
    reason,
    silentThroughout: state.serialBytes === 0 && cause === 'timeout',
  });
  if (state.aborted) return stop('cancelled', 'error', 'cancelled');
  if (state.serialBytes > limits.maxSerialBytes)
    return stop('serial-cap', 'output-limit', `serial output passed the ${limits.maxSerialBytes}-byte cap`);
  const doneUntil = state.doneAtMs === null ? Number.POSITIVE_INFINITY : state.doneAtMs + limits.afterDoneMs;
  if (state.elapsedMs >= doneUntil) return stop('done', 'completed', 'DONE printed; no PSCI power-off followed');
  if (state.elapsedMs >= limits.timeoutMs) return stop('timeout', 'timeout', `timeout after ${limits.timeoutMs} ms`);
  const silentUntil = limits.silenceMs > 0 ? state.lastOutputMs + limits.silenceMs : Number.POSITIVE_INFINITY;
  if (state.elapsedMs >= silentUntil) return stop('silence', 'timeout', `no serial output for ${limits.silenceMs} ms`);
  const next = Math.min(doneUntil, limits.timeoutMs, silentUntil) - state.elapsedMs;
  return { stop: false, nextCheckMs: Math.max(1, Math.ceil(next)) };
}

/** A run on the wall clock, its state read from its serial capture; remembers when DONE was first seen. */
export class WallClockStops {
  private doneAtMs: number | null = null;

  constructor(
    private readonly limits: StopLimits,
    private readonly capture: Pick<SerialCapture, 'total' | 'lastOutputAt' | 'doneSeen'>,
    private readonly startedAt: number,
  ) {}

  decide(now: number, aborted: boolean | undefined): StopDecision {
    const elapsedMs = now - this.startedAt;
    if (this.capture.doneSeen && this.doneAtMs === null) this.doneAtMs = elapsedMs;
    return stopDecision(this.limits, {
      elapsedMs,
      serialBytes: this.capture.total,
      lastOutputMs: this.capture.lastOutputAt - this.startedAt,
      doneAtMs: this.doneAtMs,
      aborted,
    });
  }
}
