// The PMU and self-hosted debug as kernels probe them (kernels/pmu, test/kernels/debug.S), on QEMU 7.2
// and on Unicorn 2.0.1 with the cycle counter and software increment modelled (emu/interrupts/pmu.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { resolveSubjects } from '../harness/build/subjects.js';
import { runSubject } from '../harness/cli/run-command.js';
import { buildTestKernel, TEST_KERNELS_DIR, withTempDir } from './helpers/register-probe.js';

const subjectOf = async (id: string, deterministic = false) =>
  (await resolveSubjects(id, deterministic ? { overrides: { machine: { deterministic: true } } } : {}))[0]!;

test('pmu on QEMU: six event counters, SW_INCR counts; under -icount the cycle counter is guest ns, 8 per retired instruction', async (t) => {
  const { runs } = await runSubject(await subjectOf('pmu', true), ['qemu'], 'cortex-a57');
  const m = runs[0]!.markers;
  t.is(runs[0]!.verdict, 'completed', runs[0]!.reason);
  t.is(m['PMCR'], '41013000', 'IMP 0x41, IDCODE 1, N = 6');
  t.is(m['SWINC'], '00000003');
  t.not(m['INSTS'], '00000000', 'INST_RETIRED counts under -icount');
  t.is(Number.parseInt(m['CYCLES']!, 16), 8 * Number.parseInt(m['INSTS']!, 16));
});

test('pmu on the emulator: SW_INCR counts, and under --deterministic the cycle counter equals QEMU -icount; PMCR.N stays as Unicorn has it', async (t) => {
  const subject = await subjectOf('pmu', true);
  const [{ runs: emu }, { runs: qemu }] = [
    await runSubject(subject, ['emu'], 'cortex-a57'),
    await runSubject(subject, ['qemu'], 'cortex-a57'),
  ];
  t.is(emu[0]!.verdict, 'completed', emu[0]!.reason);
  t.is(emu[0]!.markers['SWINC'], '00000003');
  t.is(emu[0]!.markers['CYCLES'], qemu[0]!.markers['CYCLES']);
  t.is(emu[0]!.markers['PMCR'], '41002040', "Unicorn's cortex-a57 PMCR: N = 4 (QEMU 7.2: 6), not modelled");
  t.is(emu[0]!.markers['INSTS'], '00000000', 'INST_RETIRED is not counted (QEMU counts it only under -icount)');
});

test('debug on QEMU: a hardware breakpoint, a store watchpoint and a software step each raise their class at EL1', async (t) => {
  await withTempDir(async (dir) => {
    const elf = await buildTestKernel(dir, 'debug', await readFile(join(TEST_KERNELS_DIR, 'debug.S'), 'utf8'));
    const [subject] = await resolveSubjects(elf, {
      overrides: { resultPatterns: [{ regex: '^(?<id>BP|WP|SS|EXC)=(?<result>[0-9a-f]{8})$' }] },
    });
    const { runs } = await runSubject(subject!, ['qemu'], 'cortex-a57');
    t.is(runs[0]!.verdict, 'completed', runs[0]!.reason);
    t.like(runs[0]!.markers, { BP: '00000031', WP: '00000035', SS: '00000033', EXC: '00000003' });
  });
});
