import test from 'ava';
import { stopDecision, stopLimits, type StopState, WallClockStops } from '../../harness/runners/stop-policy.js';

const limits = stopLimits({
  elfPath: 'k.elf',
  cpu: 'cortex-a57',
  timeoutMs: 1000,
  silenceTimeoutMs: 200,
  afterDoneMs: 50,
  maxSerialBytes: 64,
});
const at = (state: Partial<StopState>): StopState => ({ elapsedMs: 0, serialBytes: 10, lastOutputMs: 0, doneAtMs: null, ...state });

test('limits take the spec and fall back to the defaults; a board may set its own silence', (t) => {
  t.deepEqual(limits, { timeoutMs: 1000, silenceMs: 200, afterDoneMs: 50, maxSerialBytes: 64 });
  const bare = stopLimits({ elfPath: 'k.elf', cpu: 'max', timeoutMs: 5 }, { silenceMs: 9 });
  t.deepEqual(bare, { timeoutMs: 5, silenceMs: 9, afterDoneMs: 300, maxSerialBytes: 1 << 20 });
});

test('running inside every limit: keep going, and say when the next limit falls due', (t) => {
  t.deepEqual(stopDecision(limits, at({ elapsedMs: 100, lastOutputMs: 90 })), { stop: false, nextCheckMs: 190 });
  // After DONE the grace is the nearest limit.
  t.deepEqual(stopDecision(limits, at({ elapsedMs: 100, lastOutputMs: 100, doneAtMs: 100 })), { stop: false, nextCheckMs: 50 });
  // Near the timeout, the timeout.
  t.deepEqual(stopDecision(limits, at({ elapsedMs: 950, lastOutputMs: 940 })), { stop: false, nextCheckMs: 50 });
  // Without a silence limit only the timeout is left.
  t.deepEqual(stopDecision({ ...limits, silenceMs: 0 }, at({ elapsedMs: 500 })), { stop: false, nextCheckMs: 500 });
});

test('each limit stops the run with its verdict and one wording', (t) => {
  const stopped = (state: Partial<StopState>) => {
    const d = stopDecision(limits, at(state));
    return d.stop ? [d.cause, d.verdict, d.reason] : null;
  };
  t.deepEqual(stopped({ aborted: true }), ['cancelled', 'error', 'cancelled']);
  t.deepEqual(stopped({ serialBytes: 65 }), ['serial-cap', 'output-limit', 'serial output passed the 64-byte cap']);
  t.is(stopped({ serialBytes: 64 }), null, 'the cap itself is allowed');
  t.deepEqual(stopped({ elapsedMs: 150, lastOutputMs: 100, doneAtMs: 100 }), [
    'done',
    'completed',
    'DONE printed; no PSCI power-off followed',
  ]);
  t.deepEqual(stopped({ elapsedMs: 1000, lastOutputMs: 990 }), ['timeout', 'timeout', 'timeout after 1000 ms']);
  t.deepEqual(stopped({ elapsedMs: 300, lastOutputMs: 100 }), ['silence', 'timeout', 'no serial output for 200 ms']);
});

test('precedence: cancelled, then the serial cap, then DONE, then the timeout, then silence', (t) => {
  const cause = (state: Partial<StopState>) => {
    const d = stopDecision(limits, at(state));
    return d.stop ? d.cause : 'running';
  };
  const everything = { elapsedMs: 2000, serialBytes: 100, lastOutputMs: 0, doneAtMs: 0 };
  t.is(cause({ ...everything, aborted: true }), 'cancelled');
  t.is(cause(everything), 'serial-cap');
  t.is(cause({ ...everything, serialBytes: 10 }), 'done');
  t.is(cause({ ...everything, serialBytes: 10, doneAtMs: null }), 'timeout');
  t.is(cause({ ...everything, serialBytes: 10, doneAtMs: null, elapsedMs: 900 }), 'silence');
});

test('a run that timed out without one serial byte says so; the decision depends only on its inputs', (t) => {
  const silent = stopDecision(limits, at({ elapsedMs: 1000, serialBytes: 0, lastOutputMs: 999 }));
  t.true(silent.stop && silent.silentThroughout);
  const spoke = stopDecision(limits, at({ elapsedMs: 1000, serialBytes: 1, lastOutputMs: 999 }));
  t.true(spoke.stop && !spoke.silentThroughout);
  // A virtual clock (instructions counted) gives the same decision for the same numbers.
  t.deepEqual(
    stopDecision(limits, at({ elapsedMs: 640, lastOutputMs: 500 })),
    stopDecision(limits, at({ elapsedMs: 640, lastOutputMs: 500 })),
  );
});

test('on the wall clock, the state comes from the serial capture and DONE is remembered when first seen', (t) => {
  const capture = { total: 0, lastOutputAt: 1000, doneSeen: false };
  const stops = new WallClockStops(limits, capture, 1000);
  t.deepEqual(stops.decide(1100, false), { stop: false, nextCheckMs: 100 });
  Object.assign(capture, { total: 20, lastOutputAt: 1150, doneSeen: true });
  t.deepEqual(stops.decide(1160, false), { stop: false, nextCheckMs: 50 });
  const done = stops.decide(1210, false);
  t.true(done.stop && done.cause === 'done', 'DONE counted from 160 ms, not from later checks');
  t.true(new WallClockStops(limits, capture, 1000).decide(1001, true).stop);
});
