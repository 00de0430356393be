// --deterministic on the real runners: QEMU 7.2 with -icount shift=3,sleep=off and the emulator's
// instruction clock. Kernels that read the generic timer print the same bytes on every run of a
// runner, and the same counter values on both runners (the emulator counts an MRS/MSR of a timer
// register as executed when it reads the clock, as QEMU's icount does).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { resolveSubjects } from '../harness/build/subjects.js';
import { runSubject } from '../harness/cli/run-command.js';
import type { RunResult } from '../harness/runners/types.js';
import { wbdiff } from './helpers/cli.js';
import { buildTestKernel, TEST_KERNELS_DIR, withTempDir } from './helpers/register-probe.js';

async function runJson(args: string[]): Promise<RunResult[]> {
  const result = await wbdiff(['run', ...args, '--runner', 'qemu,emu', '--json']);
  if (result.exitCode !== 0) throw new Error(`wbdiff run exited ${result.exitCode}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { runs: RunResult[] }).runs;
}

test('jitter under --deterministic: twice on each runner, the same serial and COUNT; both runners print the same COUNT', async (t) => {
  const first = await runJson(['jitter', '--deterministic']);
  const second = await runJson(['jitter', '--deterministic']);
  for (const [i, run] of first.entries()) {
    t.is(run.verdict, 'completed', `${run.runner}: ${run.reason}`);
    t.is(run.serial, second[i]!.serial, `${run.runner} repeats itself`);
    t.regex(run.serial, /^COUNT=[0-9a-f]{8}\n/);
  }
  const [qemu, emu] = first;
  t.true((qemu!.details!['command'] as string[]).join(' ').includes('-icount shift=3,sleep=off'));
  t.is(qemu!.markers['COUNT'], emu!.markers['COUNT']);
  t.is(qemu!.serial, emu!.serial);
});

test('the clock kernel (its manifest asks for a deterministic machine): every counter value equal on both runners, run after run', async (t) => {
  const [subject] = await resolveSubjects('clock');
  const runs = [await runSubject(subject!, ['qemu', 'emu'], 'cortex-a57'), await runSubject(subject!, ['qemu', 'emu'], 'cortex-a57')];
  for (const { runs: pair } of runs) {
    t.true(
      pair.every((r) => r.verdict === 'completed'),
      pair.map((r) => r.reason).join('; '),
    );
    t.is(pair[0]!.serial, pair[1]!.serial, 'QEMU and the emulator print the same values');
  }
  t.is(runs[0]!.runs[0]!.serial, runs[1]!.runs[0]!.serial);
  t.regex(runs[0]!.runs[0]!.serial, /WAKE=00000000\n[\s\S]*T1 Y\nT2 Y\n/);
});

for (const gic of [2, 3] as const) {
  test(`GICv${gic}: timer-wfi's counter after four WFI wake-ups is the same on QEMU -icount and the emulator`, async (t) => {
    await withTempDir(async (dir) => {
      const source = await readFile(join(TEST_KERNELS_DIR, 'timer-wfi.S'), 'utf8');
      const elf = await buildTestKernel(dir, 'timer-wfi', source, gic === 3 ? ['GICV3'] : []);
      const args = [elf, '--deterministic', '--result-pattern', '(?<id>CNT)=(?<result>[0-9a-f]{8})'];
      const runs = await runJson(gic === 3 ? [...args, '--machine-opt', 'gic-version=3'] : args);
      t.true(
        runs.every((r) => r.verdict === 'completed'),
        runs.map((r) => r.reason).join('; '),
      );
      t.truthy(runs[0]!.markers['CNT']);
      t.is(runs[0]!.markers['CNT'], runs[1]!.markers['CNT']);
      t.is(runs[0]!.serial, runs[1]!.serial);
    });
  });
}
