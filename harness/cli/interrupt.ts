// Ctrl-C, `kill` and a closed terminal stop a long command the same way: the first SIGINT, SIGTERM
// or SIGHUP aborts (finished work is kept and summarised), a second one exits at once. The exit
// code is the shell's 128 + signal number: 130 (INT), 143 (TERM), 129 (HUP).
import { constants } from 'node:os';
import { EXIT } from '../errors.js';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

export function signalExitCode(signal: InterruptSignal): number {
  return EXIT.signalBase + constants.signals[signal];
}

export interface InterruptWatch {
  /** The first signal received, or null. */
  readonly signal: InterruptSignal | null;
  /** 128 + the first signal's number (130 when none was received: an abort from elsewhere). */
  exitCode(): number;
  dispose(): void;
}

/** Until dispose(): the first signal calls onFirst, a second exits the process with its code. */
export function watchInterrupts(onFirst: (signal: InterruptSignal) => void): InterruptWatch {
  let first: InterruptSignal | null = null;
  const handler = (signal: InterruptSignal) => {
    if (first) process.exit(signalExitCode(first));
    first = signal;
    // After SIGHUP the terminal is gone: a write to it fails (EIO), which must not end the run
    // before the finished cells and the summary are saved.
    if (signal === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    onFirst(signal);
  };
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, handler);
  return {
    get signal() {
      return first;
    },
    exitCode: () => signalExitCode(first ?? 'SIGINT'),
    dispose: () => {
      for (const signal of INTERRUPT_SIGNALS) process.off(signal, handler);
    },
  };
}
