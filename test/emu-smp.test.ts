// Several CPUs on the emulator (harness/emu/virt-machine.ts): one Unicorn engine per CPU over
// shared RAM, round-robin in fixed quanta, PSCI CPU_ON/CPU_OFF/AFFINITY_INFO as QEMU 7.2 answers
// them, SGIs between CPUs, exclusives across engines, and code one CPU rewrites for another.
// Real kernels on real QEMU 7.2 and the real Unicorn engine.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { PSCI_FN, PSCI_RET, psciCall, virtMpidr, type PowerState, type PsciCpus } from '../harness/emu/psci.js';
import { EmuRunner, emuCannotHonour } from '../harness/runners/emu.js';
import { QemuRunner } from '../harness/runners/qemu.js';
import { runSpecFor, type RunSpec } from '../harness/runners/types.js';
import { asmKernel, buildTestKernel, runOnQemu, TEST_KERNELS_DIR, withTempDir } from './helpers/register-probe.js';
import { subject } from './helpers/subjects.js';

/** Two CPUs at affinities 0 and 1 in the given power states. */
const twoCpus = (states: PowerState[]): PsciCpus => ({
  byAffinity: (affinity) => (affinity < BigInt(states.length) ? Number(affinity) : null),
  power: (cpu) => states[cpu]!,
});

test('PSCI with two CPUs answers as QEMU 7.2 (arm-powerctl.c): CPU_ON by state, AFFINITY_INFO levels, alignment', (t) => {
  const on = (x1: bigint, entry: bigint, states: PowerState[]) =>
    psciCall(PSCI_FN.CPU_ON_64, x1, { x2: entry, x3: 0x5eedn, cpus: twoCpus(states) });
  t.deepEqual(on(1n, 0x4008_0000n, ['on', 'off']), { kind: 'cpu-on', target: 1, entry: 0x4008_0000n, context: 0x5eedn });
  t.deepEqual(on(1n, 0x4008_0000n, ['on', 'on']), { kind: 'return', x0: PSCI_RET.ALREADY_ON, name: 'CPU_ON' });
  t.deepEqual(on(1n, 0x4008_0000n, ['on', 'on-pending']), { kind: 'return', x0: PSCI_RET.ON_PENDING, name: 'CPU_ON' });
  t.deepEqual(
    on(1n, 0x4008_0002n, ['on', 'off']),
    { kind: 'return', x0: PSCI_RET.INVALID_PARAMETERS, name: 'CPU_ON' },
    'entry not 4-aligned',
  );
  t.deepEqual(on(2n, 0x4008_0000n, ['on', 'off']), { kind: 'return', x0: PSCI_RET.INVALID_PARAMETERS, name: 'CPU_ON' }, 'no such CPU');
  const affinity = (x1: bigint, level: bigint, states: PowerState[]) =>
    (psciCall(PSCI_FN.AFFINITY_INFO_64, x1, { x2: level, cpus: twoCpus(states) }) as { x0: bigint }).x0;
  t.is(affinity(1n, 0n, ['on', 'off']), 1n, 'OFF');
  t.is(affinity(1n, 0n, ['on', 'on-pending']), 2n, 'ON_PENDING');
  t.is(affinity(0n, 0n, ['on', 'off']), 0n, 'ON');
  t.is(affinity(7n, 0n, ['on', 'off']), PSCI_RET.INVALID_PARAMETERS);
  t.is(affinity(7n, 1n, ['on', 'off']), 0n, 'levels above 0 are always on');
  t.deepEqual(psciCall(PSCI_FN.CPU_OFF, 0n, { cpus: twoCpus(['on', 'on']) }), { kind: 'cpu-off' });
  t.deepEqual(psciCall(PSCI_FN.CPU_SUSPEND_64, 0n), { kind: 'suspend' });
  t.is((psciCall(PSCI_FN.CPU_SUSPEND_64, 0x2_0000n) as { x0: bigint }).x0, PSCI_RET.INVALID_PARAMETERS, 'affinity levels');
});

test("MPIDR_EL1 as QEMU's virt numbers CPUs: clusters of 8 with a GICv2, of 16 with a GICv3", (t) => {
  t.is(virtMpidr(0, 2), 0x8000_0000n);
  t.is(virtMpidr(1, 2), 0x8000_0001n);
  t.is(virtMpidr(7, 2), 0x8000_0007n);
  t.is(virtMpidr(15, 3), 0x8000_000fn);
  t.is(virtMpidr(17, 3), 0x8000_0101n);
});

test('the emulator honours -smp and -machine its=off|on, and still refuses other machine keys by name', (t) => {
  t.is(emuCannotHonour({ machine: { smp: 4 } }), null);
  t.is(emuCannotHonour({ machine: { smp: 2, machine: { 'gic-version': '3', its: 'off' } } }), null);
  // The ITS's registers are modelled (emu/devices/gicv3-its.ts).
  t.is(emuCannotHonour({ machine: { machine: { 'gic-version': '3', its: 'on' } } }), null);
  t.regex(emuCannotHonour({ machine: { machine: { mte: 'on' } } }) ?? '', /-machine-opt mte=on/);
});

/** The emulator's serial and counted guest time, for a spec, at a quantum and a slice size. */
async function emuRun(spec: RunSpec, quantum?: number, sliceInstructions?: number) {
  const run = await new EmuRunner({ ...(quantum ? { quantum } : {}), ...(sliceInstructions ? { sliceInstructions } : {}) }).run(spec);
  return { run, same: [run.serial, run.details?.['guestInstructions'], run.details?.['interruptsTaken']] };
}

for (const id of ['smp-ipi', 'smp-ipi-gicv3']) {
  test(`${id}: CPU_ON, SGI ping-pong, a shared spinlock and CPU_OFF pass on the emulator at every quantum, and a run never depends on the slice size`, async (t) => {
    const s = await subject(id);
    const spec = runSpecFor(s.elfPath, 'cortex-a57', s);
    for (const quantum of [7, 1000, undefined]) {
      const { run, same } = await emuRun(spec, quantum);
      t.is(run.verdict, 'completed', `quantum ${quantum}: ${run.reason}`);
      for (const marker of ['T1', 'T2', 'T3', 'T4', 'T5', 'T6'])
        t.is(run.markers[marker], 'Y', `quantum ${quantum} ${marker}\n${run.serial}`);
      t.is(run.markers['PONGS'], '5');
      t.true((run.details?.['interruptsTaken'] as number) >= 11, 'ten SGIs and the kick, taken through the vectors');
      const smp = run.details?.['smp'] as { cpusStarted: number; cpus: { power: string }[] };
      t.is(smp.cpusStarted, 1);
      t.is(smp.cpus[1]!.power, 'off', 'CPU 1 ended with CPU_OFF');
      const calls = ((run.details?.['psciCalls'] ?? []) as { fn: string; cpu: number }[]).filter((c) => c.cpu === 1).map((c) => c.fn);
      // Its hvc ran once: a pc write from the hook used to restart the engine and drop the stop.
      t.deepEqual(calls, ['0x84000002 CPU_OFF'], 'CPU 1 called CPU_OFF once and ran no further');
      if (quantum === 1000) {
        const again = await emuRun(spec, quantum, 7);
        t.deepEqual(again.same, same, 'slices of 7 instructions: the same serial, guest time and interrupts as the default slice');
      }
    }
  });
}

test('the smp kernel (CPU_ON, CPU 1 prints its MPIDR) runs on the emulator as on QEMU', async (t) => {
  const s = await subject('smp');
  const run = await new EmuRunner().run(runSpecFor(s.elfPath, 'cortex-a57', s));
  t.is(run.verdict, 'completed', run.reason);
  t.is(run.markers['CPU1'], '80000001');
  t.is(run.markers['T2'], 'Y');
});

for (const iallu of [false, true]) {
  test(`code one CPU rewrites and invalidates with IC ${iallu ? 'IALLUIS' : 'IVAU'} is what the other CPU runs next, as on QEMU`, async (t) => {
    await withTempDir(async (dir) => {
      const source = await readFile(join(TEST_KERNELS_DIR, 'code-smp.S'), 'utf8');
      const elf = await buildTestKernel(dir, 'code-smp', source, iallu ? ['IALLUIS'] : []);
      t.is((await runOnQemu(elf, 'virt', 2)).replace(/\r/g, '').trim(), 'T1 Y\nDONE');
      const run = await new EmuRunner({ quantum: 50 }).run({
        ...runSpecFor(elf, 'cortex-a57', {}),
        machine: { smp: 2 },
        timeoutMs: 10_000,
      });
      t.is(run.verdict, 'completed', run.reason);
      t.is(run.serial.trim(), 'T1 Y\nDONE', "CPU 1 ran the new instruction, not its engine's stale translation");
    });
  });
}

test('two CPUs waiting on the counter (mdelay-like loops): the polling rule skips time inside each turn, the runners agree, and a run never depends on the slice size', async (t) => {
  await withTempDir(async (dir) => {
    const elf = await buildTestKernel(dir, 'smp-delay', await readFile(join(TEST_KERNELS_DIR, 'smp-delay.S'), 'utf8'));
    t.is((await runOnQemu(elf, 'virt', 2)).replace(/\r/g, '').trim(), 'T1 Y\nT2 Y\nDONE');
    const spec = { ...runSpecFor(elf, 'cortex-a57', {}), machine: { smp: 2 }, timeoutMs: 10_000 };
    const { run, same } = await emuRun(spec);
    t.is(run.verdict, 'completed', run.reason);
    t.is(run.serial.trim(), 'T1 Y\nT2 Y\nDONE');
    const polls = run.details?.['counterPolls'] as { polls: number; skippedNs: string } | undefined;
    t.true((polls?.polls ?? 0) > 0, `the rule applied with two CPUs (${JSON.stringify(polls)})`);
    // 20 ms of guest time is 2.5 M instructions at 8 ns: most of it was skipped, not run.
    t.true(BigInt(String(run.details?.['guestInstructions'])) < 1_000_000n, String(run.details?.['guestInstructions']));
    t.deepEqual((await emuRun(spec, undefined, 7)).same, same, 'slices of 7 instructions: the same serial, guest time and interrupts');
  });
});

test('PSCI CPU_SUSPEND sleeps as a WFI does: with nothing that could wake it the run ends as a timeout there, as on QEMU, and the code after it never runs', async (t) => {
  await withTempDir(async (dir) => {
    const source = asmKernel(['say "SUSPEND\\n"', 'ldr x0, =0xc4000001', 'mov x1, #0', 'hvc #0', 'say "WOKE\\n"', 'b poweroff']);
    const elf = await buildTestKernel(dir, 'suspend', source);
    const spec = { ...runSpecFor(elf, 'cortex-a57', {}), timeoutMs: 1500 };
    const [qemu, emu] = [await new QemuRunner().run(spec), await new EmuRunner().run(spec)];
    t.is(qemu.verdict, 'timeout', qemu.reason);
    t.is(qemu.serial.replace(/\r/g, ''), 'SUSPEND\n');
    t.is(emu.verdict, 'timeout', emu.reason);
    t.is(emu.serial, 'SUSPEND\n', 'the CPU went on past its hvc before (a pc write from the hook dropped the stop)');
  });
});

test('every CPU off ends the run at once as a timeout, as QEMU would run on with no CPU', async (t) => {
  await withTempDir(async (dir) => {
    const source = asmKernel(['say "OFF\\n"', 'ldr x0, =0x84000002', 'hvc #0', 'b .']);
    const elf = await buildTestKernel(dir, 'all-off', source);
    const started = Date.now();
    const run = await new EmuRunner().run({ ...runSpecFor(elf, 'cortex-a57', {}), machine: { smp: 2 }, timeoutMs: 60_000 });
    t.is(run.verdict, 'timeout');
    t.regex(run.reason, /every CPU is powered off/);
    t.is(run.serial.trim(), 'OFF');
    t.true(Date.now() - started < 30_000, 'not after the 60 s timeout');
  });
});

for (const gic of [2, 3] as const) {
  test(`GICv${gic}: a CPU started again after CPU_OFF comes up reset (VBAR, TPIDR, timer${gic === 3 ? ', ICC' : ''} registers zero) with the new context id, as on QEMU`, async (t) => {
    await withTempDir(async (dir) => {
      const elf = await buildTestKernel(
        dir,
        'cpu-reon',
        await readFile(join(TEST_KERNELS_DIR, 'cpu-reon.S'), 'utf8'),
        gic === 3 ? ['GICV3'] : [],
      );
      const expected = 'T1 Y\nT2 Y\nT3 Y\nDONE';
      t.is((await runOnQemu(elf, gic === 3 ? 'virt,gic-version=3' : 'virt', 2)).replace(/\r/g, '').trim(), expected);
      const machine = { smp: 2, ...(gic === 3 ? { machine: { 'gic-version': '3' } } : {}) };
      const run = await new EmuRunner().run({ ...runSpecFor(elf, 'cortex-a57', {}), machine, timeoutMs: 10_000 });
      t.is(run.verdict, 'completed', run.reason);
      t.is(run.serial.trim(), expected);
      t.is((run.details!['smp'] as { cpusStarted: number }).cpusStarted, 2);
    });
  });
}

test("a CPU's store to code it runs itself is seen at once, also over the shared RAM of several engines, as on QEMU", async (t) => {
  await withTempDir(async (dir) => {
    // routine returns 1; main rewrites it to return 2 with no cache maintenance and calls it again: 0x12.
    const source = [
      '#include "virt.h"',
      '\tkernel_entry main',
      'main:',
      '\tstp x29, x30, [sp, #-16]!',
      '\tbl routine',
      '\tmov w19, w0',
      '\tldr x1, =routine',
      '\tldr w0, =0x52800040',
      '\tstr w0, [x1]',
      '\tbl routine',
      '\tadd w0, w0, w19, lsl #4',
      '\tbl puthex32',
      '\tsay "\\nDONE\\n"',
      '\tldp x29, x30, [sp], #16',
      '\tret',
      '\t.ltorg',
      '\t.data',
      '\t.balign 64',
      'routine:',
      '\tmov w0, #1',
      '\tret',
      '\t.text',
      '\tvirt_lib',
      '',
    ].join('\n');
    const elf = await buildTestKernel(dir, 'own-code', source);
    t.is((await runOnQemu(elf, 'virt', 2)).replace(/\r/g, '').trim(), '00000012\nDONE');
    for (const smp of [1, 2]) {
      const run = await new EmuRunner().run({ ...runSpecFor(elf, 'cortex-a57', {}), machine: { smp }, timeoutMs: 10_000 });
      t.is(run.serial.trim(), '00000012\nDONE', `-smp ${smp}`);
    }
  });
});

test('a CPU spinning on b . ends the run only when every other CPU is stuck too', async (t) => {
  await withTempDir(async (dir) => {
    const kernel = (then: string[]) =>
      [
        '#include "virt.h"',
        '#include "smp.h"',
        '\tkernel_entry main',
        'main:',
        '\tcpu_on 1, spin, 0',
        ...then,
        'spin:',
        '\tb .',
        '\t.ltorg',
        '\tvirt_lib',
        '',
      ].join('\n');
    // CPU 1 spins on `b .` while CPU 0 counts down and prints: the run goes on to CPU 0's power-off.
    const busy = await buildTestKernel(
      dir,
      'spin-busy',
      kernel(['\tldr x19, =200000', '1:\tsubs x19, x19, #1', '\tb.ne 1b', '\tsay "T1 Y\\n"', '\tb poweroff']),
    );
    const spec = (elf: string) => ({ ...runSpecFor(elf, 'cortex-a57', {}), machine: { smp: 2 }, timeoutMs: 60_000 });
    const ok = await new EmuRunner().run(spec(busy));
    t.is(ok.verdict, 'completed', ok.reason);
    t.is(ok.markers['T1'], 'Y');
    // Both CPUs on `b .`: nothing can ever change, so the run ends at once.
    const stuck = await new EmuRunner().run(spec(await buildTestKernel(dir, 'spin-both', kernel(['\tsay "T1 Y\\n"', '\tb spin']))));
    t.is(stuck.verdict, 'timeout');
    t.regex(stuck.reason, /spins on a branch to itself/);
    t.true(stuck.durationMs < 30_000, 'long before the 60 s limit');
  });
});
