// --deterministic on the real runners: QEMU 7.2 with -icount shift=3,sleep=off and the emulator's
// instruction clock. Kernels that read the generic timer print the same bytes on every run of a
// runner, and the same counter values on both runners (the emulator counts an MRS/MSR of a timer
// register as executed when it reads the clock, as QEMU's icount does).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { resolveSubjects } from '../harness/build/subjects.js';
import { runSubject } from '../harness/cli/run-command.js';
import { UC_PROT, Unicorn } from '../harness/emu/unicorn.js';
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

for (const gic of [2, 3] as const) {
  // GICv3: ELR = the ISB after the MSR (a system register write ends QEMU's block); GICv2: the
  // instruction after the store (under icount an MMIO access ends its block too).
  const how = gic === 3 ? 'the MSR of ICC_SGI1R_EL1: ELR = the ISB after it' : 'the store to GICD_SGIR: ELR = the instruction after it';
  const elrBeforeSent = gic === 3 ? 4 : 0;
  test(`GICv${gic}: a self-SGI through ${gic === 3 ? 'ICC_SGI1R_EL1' : 'GICD_SGIR'} is taken at the same instruction and counter value on both runners`, async (t) => {
    await withTempDir(async (dir) => {
      const elf = await buildTestKernel(
        dir,
        `self-sgi-v${gic}`,
        await readFile(join(TEST_KERNELS_DIR, 'self-sgi.S'), 'utf8'),
        gic === 3 ? ['GICV3'] : [],
      );
      const pattern = '(?<id>ENTRIES|ELR|SENT|DELAY)=(?<result>[0-9a-f]{8})';
      const runs = await runJson([
        elf,
        '--deterministic',
        ...(gic === 3 ? ['--machine-opt', 'gic-version=3'] : []),
        '--result-pattern',
        pattern,
      ]);
      t.true(
        runs.every((r) => r.verdict === 'completed'),
        runs.map((r) => r.reason).join('; '),
      );
      const [qemu, emu] = runs;
      t.is(qemu!.markers['ENTRIES'], '00000001');
      const offset = (id: string) => Number.parseInt(qemu!.markers[id]!, 16);
      t.is(offset('ELR'), offset('SENT') - elrBeforeSent, `QEMU takes it right after ${how}`);
      t.deepEqual(emu!.markers, qemu!.markers);
    });
  });
}

test('Unicorn: a handled MSR of a register the CPU model lacks whose hook stops the engine stops it after that MSR', (t) => {
  // msr ICC_SGI1R_EL1, x0; isb; 100 x nop; b .   -- the hook answers the MSR (Unicorn has no GIC) and stops.
  const uc = Unicorn.open({ model: 'A57' });
  try {
    uc.memMap(0x4000_0000n, 1 << 20, UC_PROT.ALL);
    const words = [0xd518cba0, 0xd5033fdf, ...Array<number>(100).fill(0xd503201f), 0x14000000];
    uc.memWrite(0x4000_0000n, new Uint8Array(new Uint32Array(words).buffer));
    let calls = 0;
    uc.hookSysInsn('MSR', () => {
      calls++;
      uc.emuStop();
      return 0n;
    });
    uc.emuStart(0x4000_0000n, 0x4000_0000n + BigInt(words.length * 4 - 4), 0, 50);
    t.is(calls, 1);
    t.is(uc.regRead('pc'), 0x4000_0004n, 'stopped right after the MSR (it ran on to the count of 50 before)');
  } finally {
    uc.close();
  }
});
