// A RunResult for pure tests of comparison, expectations and reports: a clean completed QEMU run,
// with what the test cares about laid over it.
import type { RunResult } from '../../harness/runners/types.js';

export function runResult(partial: Partial<RunResult> = {}): RunResult {
  return {
    runner: 'qemu',
    cpu: 'cortex-a57',
    verdict: 'completed',
    reason: '',
    markers: {},
    conflicts: [],
    done: true,
    poweredOff: true,
    fault: null,
    serial: '',
    serialBytes: 0,
    durationMs: 1,
    details: {},
    ...partial,
  };
}
