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

// LPCR's IMP/IDCODE/N fields differ (N 6 vs 4, not modelled): only its low byte is compared.
const V3P5_MARKERS = ['SWINC', 'SW64HI', 'SW64LO', 'OVS'] as const;
const lowByte = (hex: string | undefined) => Number.parseInt(hex ?? '', 16) & 0xff;
const pmuVersion = (dfr0: string | undefined) => (Number.parseInt(dfr0 ?? '', 16) >> 8) & 0xf;

test('pmu on max: FEAT_PMUv3p5 on both runners (PMUVer and PerfMon 6, PMCR.LP kept, SW_INCR carries into bit 32, no overflow at bit 31 under LP)', async (t) => {
  const subject = await subjectOf('pmu');
  const [{ runs: qemu }, { runs: emu }] = [await runSubject(subject, ['qemu'], 'max'), await runSubject(subject, ['emu'], 'max')];
  for (const [name, run] of [
    ['qemu', qemu[0]!],
    ['emu', emu[0]!],
  ] as const) {
    t.is(run.verdict, 'completed', `${name}: ${run.reason}`);
    t.is(pmuVersion(run.markers['DFR0']), 6, `${name}: ID_AA64DFR0_EL1.PMUVer`);
    t.is(Number.parseInt(run.markers['DFR0A32']!, 16) >>> 24, 6, `${name}: ID_DFR0_EL1.PerfMon`);
    t.is(lowByte(run.markers['LPCR']), 0x81, `${name}: PMCR.LP and E read back`);
    t.like(run.markers, { SWINC: '00000003', SW64HI: '00000001', SW64LO: '00000000', OVS: '00000000' }, name);
  }
  for (const id of V3P5_MARKERS) t.is(emu[0]!.markers[id], qemu[0]!.markers[id], id);
});

test('pmu on cortex-a57: no PMUv3p5 on either runner (32-bit event counters overflow at bit 31), yet PMCR.LP reads back as on QEMU', async (t) => {
  const subject = await subjectOf('pmu');
  const [{ runs: qemu }, { runs: emu }] = [
    await runSubject(subject, ['qemu'], 'cortex-a57'),
    await runSubject(subject, ['emu'], 'cortex-a57'),
  ];
  t.is(emu[0]!.verdict, 'completed', emu[0]!.reason);
  t.is(qemu[0]!.markers['DFR0'], '10305106', 'QEMU 7.2 cortex-a57: PMUVer 1');
  t.is(emu[0]!.markers['DFR0'], qemu[0]!.markers['DFR0']);
  t.is(Number.parseInt(emu[0]!.markers['DFR0A32']!, 16) >>> 24, 3, 'ID_DFR0_EL1.PerfMon 3 (PMUv3), as on QEMU');
  t.is(Number.parseInt(qemu[0]!.markers['DFR0A32']!, 16) >>> 24, 3);
  t.like(qemu[0]!.markers, { SW64HI: '00000000', SW64LO: '00000000', OVS: '00000004' });
  t.is(lowByte(qemu[0]!.markers['LPCR']), 0x81, 'QEMU keeps PMCR.LP without PMUv3p5 too');
  t.is(lowByte(emu[0]!.markers['LPCR']), lowByte(qemu[0]!.markers['LPCR']));
  for (const id of V3P5_MARKERS) t.is(emu[0]!.markers[id], qemu[0]!.markers[id], id);
});

test('debug: a hardware breakpoint, a store watchpoint and software steps (completed, and pending at an unmask) raise the same exceptions on QEMU and the emulator', async (t) => {
  await withTempDir(async (dir) => {
    const elf = await buildTestKernel(dir, 'debug', await readFile(join(TEST_KERNELS_DIR, 'debug.S'), 'utf8'));
    const [subject] = await resolveSubjects(elf, {
      overrides: { resultPatterns: [{ regex: '^(?<id>BP|WP|SS|SSESR|SSELR|SSP|SSPESR|SSPELR|EXC)=(?<result>[0-9a-f]{8})$' }] },
    });
    const { runs } = await runSubject(subject!, ['qemu', 'emu'], 'cortex-a57');
    const [qemu, emu] = runs;
    t.is(qemu!.verdict, 'completed', qemu!.reason);
    // Completed: ISV set, after the stepped nop. Pending at the unmask: ISV clear, before ssp_here.
    t.like(qemu!.markers, { BP: '00000031', WP: '00000035', SS: '00000033', SSESR: 'cf000022', SSELR: '00000004' });
    t.like(qemu!.markers, { SSP: '00000033', SSPESR: 'ce000022', SSPELR: '00000000', EXC: '00000004' });
    t.is(emu!.verdict, 'completed', emu!.reason);
    t.deepEqual(emu!.markers, qemu!.markers);
  });
});
