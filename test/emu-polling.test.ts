// The emulator's polling rule (harness/emu/interrupts/counter-polling.ts) on a kernel written here:
// busy-waits on CNTVCT_EL0 and on CNTV_CTL_EL0 skip guest time, the same at every slice size.
import test from 'ava';
import { EmuRunner } from '../harness/runners/emu.js';
import { runSpecFor } from '../harness/runners/types.js';
import { subject } from './helpers/subjects.js';

test('poll-delay: counter and timer-state polls skip time identically at slices of 7, 1000 and the default', async (t) => {
  const s = await subject('poll-delay');
  const spec = runSpecFor(s.elfPath, 'cortex-a57', s);
  const runs = [];
  for (const sliceInstructions of [7, 1000, undefined]) {
    runs.push(await new EmuRunner(sliceInstructions === undefined ? {} : { sliceInstructions }).run(spec));
  }
  for (const run of runs) {
    t.is(run.verdict, 'completed', run.reason);
    t.deepEqual(run.markers, { T1: 'Y', T2: 'Y', T3: 'Y' }, run.serial);
  }
  const polls = runs.map((r) => JSON.stringify([r.serial, r.details?.['guestInstructions'], r.details?.['counterPolls']]));
  t.is(new Set(polls).size, 1, polls.join('\n'));
  const counted = runs[0]!.details?.['counterPolls'] as { polls: number; skippedNs: string };
  // 20 waits of 5 ms: about 100 ms / 25 us skips, plus the 2 ms timer wait in one skip.
  t.true(counted.polls > 3000, JSON.stringify(counted));
  t.true(BigInt(counted.skippedNs) >= 90_000_000n, JSON.stringify(counted));
  // Without the rule the waits would take ~13 M guest instructions (102 ms at 8 ns).
  t.true(BigInt(runs[0]!.details?.['guestInstructions'] as string) < 1_000_000n);
});
