// The interrupt models on the real Unicorn engine, against real QEMU 7.2: the timer-wfi kernel
// (virtual and physical timers through the GIC, WFI, acknowledge, EOI) on GICv2 and GICv3.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { attachInterrupts } from '../harness/emu/interrupts/engine-hooks.js';
import { DEFAULT_ICOUNT_SHIFT } from '../harness/emu/interrupts/instruction-clock.js';
import { VirtInterrupts } from '../harness/emu/interrupts/virt-interrupts.js';
import { UC_PROT, Unicorn } from '../harness/emu/unicorn.js';
import { REPO_ROOT } from '../harness/paths.js';
import { runWithInterrupts } from './helpers/interrupt-run.js';
import { subject } from './helpers/subjects.js';
import { asmKernel, buildTestKernel, runOnQemu, withTempDir } from './helpers/register-probe.js';

const TIMER_WFI = join(REPO_ROOT, 'test', 'kernels', 'timer-wfi.S');
/** The counter line is the only one that depends on time; under QEMU without -icount it follows the host clock. */
const withoutCounter = (serial: string) =>
  serial
    .replace(/\r/g, '')
    .replace(/^CNT=.*\n/m, '')
    .trim();

for (const gic of [2, 3] as const) {
  const machine = gic === 3 ? 'virt,gic-version=3' : 'virt';

  test(`GICv${gic}: timer-wfi reports the same lines on the emulator as on QEMU`, async (t) => {
    await withTempDir(async (dir) => {
      const elf = await buildTestKernel(dir, 'timer-wfi', await readFile(TIMER_WFI, 'utf8'), gic === 3 ? ['GICV3'] : []);
      const qemu = await runOnQemu(elf, machine);
      const emu = await runWithInterrupts(elf, gic);
      t.is(emu.ending, 'poweroff', emu.detail);
      t.regex(emu.serial, /T1 Y\nT2 Y\nT3 Y\nT4 Y\nIRQS=4\n/);
      t.is(withoutCounter(emu.serial), withoutCounter(qemu));
      t.is(emu.wfiSleeps, 4, 'each timer wait is one WFI that the timer ends');
    });
  });

  test(`GICv${gic}: emulator runs are bit-for-bit reproducible, counter included, whatever the quantum`, async (t) => {
    await withTempDir(async (dir) => {
      const elf = await buildTestKernel(dir, 'timer-wfi', await readFile(TIMER_WFI, 'utf8'), gic === 3 ? ['GICV3'] : []);
      const runs = [];
      for (const quantum of [7, 1000, 10_000, 1_000_000]) runs.push(await runWithInterrupts(elf, gic, { quantum }));
      const counter = /CNT=([0-9a-f]{8})/.exec(runs[0]!.serial)?.[1];
      t.truthy(counter);
      // The counter reached the fourth deadline (4 x 6250 ticks) and then moved on by the
      // instructions executed since, at 8 ns each: time comes from instructions only.
      t.true(Number.parseInt(counter!, 16) > 25_000 && Number.parseInt(counter!, 16) < 25_000 + 400, `CNT=${counter}`);
      for (const run of runs) {
        t.is(run.serial, runs[0]!.serial);
        t.is(run.instructions, runs[0]!.instructions);
      }
    });
  });
}

test('a WFI that nothing can ever end stops at once instead of idling until the timeout', async (t) => {
  await withTempDir(async (dir) => {
    const source = asmKernel([
      'msr daifset, #3',
      'mov x0, #6250',
      'msr cntv_tval_el0, x0',
      'mov x0, #1',
      'msr cntv_ctl_el0, x0',
      'wfi',
      'say "WOKE\\n"',
      'b .',
    ]);
    // The timer is armed but its PPI is not enabled in the GIC: it fires, nothing is delivered, and then nothing is left.
    const run = await runWithInterrupts(await buildTestKernel(dir, 'wfi-forever', source), 2);
    t.is(run.ending, 'wfi-forever');
    t.regex(run.detail, /no interrupt that could ever wake it/);
    t.is(run.serial, '');
  });
});

const SGI_PINGPONG = join(REPO_ROOT, 'test', 'kernels', 'sgi-pingpong.S');

for (const gic of [2, 3] as const) {
  test(`GICv${gic}, two CPUs: CPU_ON and an SGI ping-pong report the same lines on the emulator as on QEMU, at every quantum`, async (t) => {
    await withTempDir(async (dir) => {
      const elf = await buildTestKernel(dir, 'sgi-pingpong', await readFile(SGI_PINGPONG, 'utf8'), gic === 3 ? ['GICV3'] : []);
      const qemu = await runOnQemu(elf, gic === 3 ? 'virt,gic-version=3' : 'virt', 2);
      t.is(qemu.replace(/\r/g, '').trim(), 'T1 Y\nT2 Y\nT3 Y\nT4 Y\nPONGS=3\nDONE');
      for (const quantum of [50, 10_000]) {
        const emu = await runWithInterrupts(elf, gic, { cpus: 2, quantum });
        t.is(emu.ending, 'poweroff', emu.detail);
        t.is(emu.serial.trim(), qemu.replace(/\r/g, '').trim(), `quantum ${quantum}`);
      }
    });
  });
}

test('two CPUs: an LDAXR/STXR spinlock and an LDXR/STXR atomic add stay exact when quanta cut through critical sections', async (t) => {
  await withTempDir(async (dir) => {
    const elf = await buildTestKernel(dir, 'spinlock', await readFile(join(REPO_ROOT, 'test', 'kernels', 'spinlock.S'), 'utf8'));
    const qemu = await runOnQemu(elf, 'virt', 2);
    t.is(qemu.replace(/\r/g, '').trim(), 'T1 Y\nT2 Y\nDONE');
    for (const quantum of [3, 1000]) {
      const emu = await runWithInterrupts(elf, 2, { cpus: 2, quantum });
      t.is(emu.ending, 'poweroff', emu.detail);
      t.is(emu.serial.trim(), 'T1 Y\nT2 Y\nDONE', `quantum ${quantum}`);
    }
  });
});

test('Unicorn 2.0.1: MRS/MSR hooks emulate ICC registers the CPU model lacks and CNT registers it has; a declined one is UNDEF', (t) => {
  // mrs x0, ICC_IAR1_EL1; mrs x1, CNTVCT_EL0; msr ICC_PMR_EL1, x2; mrs x3, ICC_PMR_EL1; mrs x4, ICC_EOIR1_EL1 (write-only)
  const words = [0xd538cc00, 0xd53be041, 0xd5184602, 0xd5384603, 0xd538cc24];
  const uc = Unicorn.open({ model: 'A57' });
  try {
    uc.memMap(0x4008_0000n, 0x1000, UC_PROT.ALL);
    uc.memWrite(0x4008_0000n, new Uint8Array(new Uint32Array(words).buffer));
    const model = new VirtInterrupts({ gicVersion: 3, cpus: 1 });
    model.retire(0, 1000);
    attachInterrupts(uc, 0, model, { mapMmio: false });
    const exceptions: string[] = [];
    uc.hookIntr((intno) => {
      exceptions.push(`${intno}@${uc.regRead('pc').toString(16)}`);
      uc.emuStop();
    });
    uc.regWrite('x2', 0xffn);
    uc.emuStart(0x4008_0000n, 0x4008_0014n, 0, 0);
    t.false(uc.knowsSysReg({ op0: 3, op1: 0, crn: 12, crm: 12, op2: 0 }), 'Unicorn has no ICC_IAR1_EL1');
    t.true(uc.knowsSysReg({ op0: 3, op1: 3, crn: 14, crm: 0, op2: 2 }), 'Unicorn has CNTVCT_EL0');
    t.is(uc.regRead('x0'), 1023n, 'ICC_IAR1 from the model: nothing pending');
    t.is(uc.regRead('x1'), (1000n * 8n) / 16n, 'CNTVCT from the instruction clock, not the host');
    t.is(uc.regRead('x3'), 0xf8n, 'PMR keeps 5 priority bits, as QEMU');
    t.deepEqual(exceptions, ['1@40080010'], 'reading the write-only EOIR1 is EXCP_UDEF at its own pc');
  } finally {
    uc.close();
  }
});

test('the bundled jitter kernel stops varying: emulator runs with the instruction clock, and QEMU with -icount shift=3,sleep=off, repeat exactly', async (t) => {
  const jitter = await subject('jitter');
  const emu = [
    await runWithInterrupts(jitter.elfPath, 2, { quantum: 100 }),
    await runWithInterrupts(jitter.elfPath, 2, { quantum: 100_000 }),
  ];
  t.is(emu[0]!.ending, 'poweroff', emu[0]!.detail);
  t.regex(emu[0]!.serial, /COUNT=[0-9a-f]{8}\nT1 [YN]\nDONE/);
  t.is(emu[1]!.serial, emu[0]!.serial);
  const icount = ['-icount', `shift=${DEFAULT_ICOUNT_SHIFT},sleep=off`];
  const qemu = [await runOnQemu(jitter.elfPath, 'virt', 1, icount), await runOnQemu(jitter.elfPath, 'virt', 1, icount)];
  t.is(qemu[1], qemu[0]);
});

// The real runner (harness/runners/emu.ts + VirtMachine): interrupts taken to the guest's vectors.
for (const id of ['timer-irq', 'timer-irq-gicv3']) {
  test(`${id} on the emulator's runner: six timer IRQs through VBAR_EL1, WFI woken by each, the same run at every slice size`, async (t) => {
    const { EmuRunner } = await import('../harness/runners/emu.js');
    const { runSpecFor } = await import('../harness/runners/types.js');
    const s = await subject(id);
    const spec = runSpecFor(s.elfPath, 'cortex-a57', s);
    const runs = [];
    for (const sliceInstructions of [7, 1000, undefined]) {
      const run = await new EmuRunner(sliceInstructions === undefined ? {} : { sliceInstructions }).run(spec);
      t.is(run.verdict, 'completed', run.reason);
      t.is(run.markers['IRQS'], '6', run.serial);
      t.is(run.details?.['interruptsTaken'], 6);
      t.is(run.details?.['gicVersion'], id.endsWith('gicv3') ? 3 : 2);
      t.true((run.details?.['wfiWakeups'] as number) >= 6, 'the CPU slept in WFI until each tick');
      runs.push([run.serial, run.details?.['guestInstructions'], run.details?.['interruptsTaken']]);
    }
    t.deepEqual(runs[0], runs[1], 'slices of 7 and 1000 instructions: same serial, same guest time');
    t.deepEqual(runs[0], runs[2], 'and at the default slice size');
  });
}

test('the emulator honours -machine gic-version=2 and 3 and refuses others by name', async (t) => {
  const { emuCannotHonour, emuGicVersion } = await import('../harness/runners/emu.js');
  t.is(emuCannotHonour({ machine: { machine: { 'gic-version': '3' } } }), null);
  t.is(emuGicVersion({ machine: { machine: { 'gic-version': '3' } } }), 3);
  t.is(emuGicVersion({}), 2);
  t.regex(emuCannotHonour({ machine: { machine: { 'gic-version': '4' } } }) ?? '', /does not model -machine gic-version=4|gic-version=4/);
});
