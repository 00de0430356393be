// The interrupt models' behaviour between CPUs and over time, tested directly. Expected values
// follow QEMU 7.2's hw/intc/arm_gic*.c and target/arm/helper.c (cited per test).
import test from 'ava';
import { GicV2 } from '../../harness/emu/interrupts/gic-v2.js';
import { GicV3 } from '../../harness/emu/interrupts/gic-v3.js';
import { InstructionClock } from '../../harness/emu/interrupts/instruction-clock.js';
import { CNT, ICC, sysregKey } from '../../harness/emu/interrupts/sysreg.js';
import { VirtInterrupts } from '../../harness/emu/interrupts/virt-interrupts.js';

const I_MASKED = 1n << 7n;
const F_MASKED = 1n << 6n;

function enabledV2(cpus: number): GicV2 {
  const gic = new GicV2({ cpus });
  gic.writeDistributor(0, 0x000, 4, 1); // GICD_CTLR EnableGrp0
  for (let cpu = 0; cpu < cpus; cpu++) {
    gic.writeCpuInterface(cpu, 0x004, 4, 0xff);
    gic.writeCpuInterface(cpu, 0x000, 4, 1);
  }
  return gic;
}

test('GICv2 GICD_SGIR: a target-list SGI from CPU 1 reaches CPU 0 only, and IAR carries the source CPU', (t) => {
  const gic = enabledV2(2);
  gic.writeDistributor(1, 0xf00, 4, (1 << 16) | 3); // filter 0, target list {CPU 0}, SGI 3
  t.true(gic.irqLine(0));
  t.false(gic.irqLine(1));
  t.is(gic.readCpuInterface(0, 0x00c, 4), 3 | (1 << 10)); // gic_acknowledge_irq: irq | (src << 10)
  t.false(gic.irqLine(0), 'active at the same priority: no preemption');
  t.is(gic.readCpuInterface(0, 0x00c, 4), 1023);
  gic.writeCpuInterface(0, 0x010, 4, 3 | (1 << 10));
  t.is(gic.readDistributor(0, 0x300, 4), 0, 'EOI with EOImode 0 deactivates');
});

test('GICv2: the same SGI from two sources is acknowledged once per source, lowest CPU first', (t) => {
  const gic = enabledV2(3);
  gic.writeDistributor(1, 0xf00, 4, (1 << 16) | 7);
  gic.writeDistributor(2, 0xf00, 4, (1 << 16) | 7);
  t.is(gic.readDistributor(0, 0xf14, 4), 0x06 << 24, 'GICD_SPENDSGIR1 byte 3 = sources {1,2}');
  t.is(gic.readCpuInterface(0, 0x00c, 4), 7 | (1 << 10));
  gic.writeCpuInterface(0, 0x010, 4, 7 | (1 << 10));
  t.is(gic.readCpuInterface(0, 0x00c, 4), 7 | (2 << 10));
});

test('GICv2 GICD_SGIR filters: 1 = all but self, 2 = self', (t) => {
  const gic = enabledV2(3);
  gic.writeDistributor(0, 0xf00, 4, (1 << 24) | 1);
  t.deepEqual(
    [0, 1, 2].map((c) => gic.irqLine(c)),
    [false, true, true],
  );
  const self = enabledV2(3);
  self.writeDistributor(2, 0xf00, 4, (2 << 24) | 1);
  t.deepEqual(
    [0, 1, 2].map((c) => self.irqLine(c)),
    [false, false, true],
  );
});

test('GICv2: a higher-priority interrupt preempts a running one; the running priority follows EOIs', (t) => {
  const gic = enabledV2(1);
  gic.writeDistributor(0, 0x104, 4, 0b11); // enable SPIs 32, 33
  gic.writeDistributor(0, 0x420, 4, 0x0000_40a0); // SPI 32 at 0xa0, SPI 33 at 0x40
  gic.setSharedLevel(32, true);
  t.is(gic.readCpuInterface(0, 0x00c, 4), 32);
  t.is(gic.readCpuInterface(0, 0x014, 4), 0xa0);
  gic.setSharedLevel(33, true);
  t.true(gic.irqLine(0), '0x40 < 0xa0 preempts');
  t.is(gic.readCpuInterface(0, 0x00c, 4), 33);
  t.is(gic.readCpuInterface(0, 0x014, 4), 0x40);
  gic.writeCpuInterface(0, 0x010, 4, 33);
  t.is(gic.readCpuInterface(0, 0x014, 4), 0xa0);
  gic.writeCpuInterface(0, 0x010, 4, 32);
  t.is(gic.readCpuInterface(0, 0x014, 4), 0xff);
  // Both lines are still high and level-triggered: they are pending again.
  t.is(gic.readCpuInterface(0, 0x018, 4), 33);
});

test('GICv2: Group 0 is an FIQ when GICC_CTLR.FIQEn is set, and IAR hides Group 1 without AckCtl', (t) => {
  const gic = enabledV2(1);
  gic.writeDistributor(0, 0x100, 4, 1 << 27);
  gic.writeCpuInterface(0, 0x000, 4, 1 | (1 << 3));
  gic.setPrivateLevel(0, 27, true);
  t.true(gic.fiqLine(0));
  t.false(gic.irqLine(0));
  gic.writeDistributor(0, 0x000, 4, 3);
  gic.writeDistributor(0, 0x080, 4, 1 << 27); // Group 1
  gic.writeCpuInterface(0, 0x000, 4, 3);
  t.true(gic.irqLine(0));
  t.is(gic.readCpuInterface(0, 0x00c, 4), 1022);
});

test('GICv3 ICC_SGI1R: target list and affinity pick CPUs; IRM = 1 means all but self; the SGI keeps its group', (t) => {
  const gic = new GicV3({ cpus: 3 });
  gic.writeDistributor(0, 0x000, 4, 0x2n);
  for (let cpu = 0; cpu < 3; cpu++) {
    const frame = cpu * 0x20000 + 0x10000;
    gic.writeRedistributor(cpu, frame + 0x080, 4, 0xffffn); // SGIs in Group 1
    gic.writeRedistributor(cpu, frame + 0x100, 4, 0xffffn);
    gic.writeSysreg(cpu, ICC.PMR, 0xffn);
    gic.writeSysreg(cpu, ICC.IGRPEN1, 1n);
  }
  gic.writeSysreg(0, ICC.SGI1R, (5n << 24n) | 0b100n); // Aff0 2
  t.deepEqual(
    [0, 1, 2].map((c) => gic.irqLine(c)),
    [false, false, true],
  );
  t.is(gic.readSysreg(2, ICC.IAR1), 5n);
  gic.writeSysreg(2, ICC.EOIR1, 5n);
  gic.writeSysreg(1, ICC.SGI1R, (6n << 24n) | (1n << 40n));
  t.deepEqual(
    [0, 1, 2].map((c) => gic.irqLine(c)),
    [true, false, true],
  );
  t.is(gic.readSysreg(0, ICC.SGI1R), null, 'write-only: MRS is left to the engine (UNDEF)');
  // SGI0R asks for Group 0; these SGIs are Group 1, so nothing is sent (gicv3_redist_send_sgi).
  const quiet = new GicV3({ cpus: 1 });
  quiet.writeRedistributor(0, 0x10080, 4, 0xffffn);
  quiet.writeSysreg(0, ICC.SGI0R, 1n << 24n);
  t.is(quiet.readRedistributor(0, 0x10200, 4), 0n);
});

test('GICv3: Group 0 is signalled as FIQ and acknowledged through IAR0, not IAR1', (t) => {
  const gic = new GicV3({ cpus: 1 });
  gic.writeDistributor(0, 0x000, 4, 0x3n);
  gic.writeRedistributor(0, 0x10100, 4, 1n << 27n);
  gic.writeSysreg(0, ICC.PMR, 0xffn);
  gic.writeSysreg(0, ICC.IGRPEN0, 1n);
  gic.setPrivateLevel(0, 27, true);
  t.true(gic.fiqLine(0));
  t.false(gic.irqLine(0));
  t.is(gic.readSysreg(0, ICC.IAR1), 1023n);
  t.is(gic.readSysreg(0, ICC.IAR0), 27n);
});

test('GICv3: an SPI goes to the CPU its IROUTER names, and to none with IRM = 1', (t) => {
  const gic = new GicV3({ cpus: 2 });
  gic.writeDistributor(0, 0x000, 4, 0x2n);
  gic.writeDistributor(0, 0x084, 4, 1n); // SPI 32 in Group 1
  gic.writeDistributor(0, 0x104, 4, 1n);
  gic.writeDistributor(0, 0x6100, 8, 1n); // Aff0 = 1
  for (const cpu of [0, 1]) {
    gic.writeSysreg(cpu, ICC.PMR, 0xffn);
    gic.writeSysreg(cpu, ICC.IGRPEN1, 1n);
  }
  gic.setSharedLevel(32, true);
  t.deepEqual([gic.irqLine(0), gic.irqLine(1)], [false, true]);
  gic.writeDistributor(0, 0x6100, 8, 1n << 31n);
  t.deepEqual([gic.irqLine(0), gic.irqLine(1)], [false, false]);
});

test('generic timer: TVAL is a signed 32-bit view of CVAL - count; ISTATUS, IMASK and the PPI line', (t) => {
  const model = new VirtInterrupts({ gicVersion: 2, cpus: 1, icountShift: 4 }); // 16 ns = 1 tick per instruction
  const key = (k: number) => ({ op0: k >> 14, op1: (k >> 11) & 7, crn: (k >> 7) & 15, crm: (k >> 3) & 15, op2: k & 7 });
  const gic = model.gic as GicV2;
  gic.writeDistributor(0, 0x000, 4, 1);
  gic.writeDistributor(0, 0x100, 4, 1 << 27);
  gic.writeCpuInterface(0, 0x004, 4, 0xff);
  gic.writeCpuInterface(0, 0x000, 4, 1);
  model.retire(0, 100);
  // The MSR itself counts as executed when it reads the counter (QEMU icount): CVAL = 101 + 50.
  t.true(model.writeSysreg(0, key(CNT.V_TVAL), 50n));
  t.is(model.readSysreg(0, key(CNT.V_CVAL)), 151n);
  t.true(model.writeSysreg(0, key(CNT.V_CTL), 1n));
  t.is(model.quantumLimit(), 51n);
  model.retire(0, 50);
  t.is(model.readSysreg(0, key(CNT.V_CTL)), 1n);
  t.false(model.wfiWakes(0));
  model.retire(0, 1);
  t.is(model.readSysreg(0, key(CNT.V_CTL)), 5n, 'ENABLE | ISTATUS');
  t.is(model.pendingInterrupt(0, 0n), 'irq');
  t.is(model.pendingInterrupt(0, I_MASKED), null, 'PSTATE.I masks the IRQ...');
  t.true(model.wfiWakes(0), '...but WFI still wakes');
  model.retire(0, 10);
  t.is(model.readSysreg(0, key(CNT.V_TVAL)), 0xffff_fff5n, 'TVAL = 151 - (161 + 1) = -11 as 32 bits');
  t.true(model.writeSysreg(0, key(CNT.V_CTL), 3n));
  t.is(model.pendingInterrupt(0, 0n), null, 'IMASK drops the line');
  t.is(model.readSysreg(0, key(CNT.V_CTL)), 7n);
  t.is(model.readSysreg(0, key(CNT.PCT)), 162n, '161 instructions executed, the MRS is the 162nd');
  t.is(model.readSysreg(0, key(CNT.FRQ)), 62_500_000n);
  t.false(model.writeSysreg(0, key(CNT.VCT), 0n), 'CNTVCT is read-only: MSR is left to the engine');
  t.is(model.readSysreg(0, { op0: 3, op1: 0, crn: 1, crm: 0, op2: 0 }), null, 'SCTLR_EL1 is not ours');
  t.is(sysregKey(key(CNT.V_CTL)), CNT.V_CTL);
});

test('FIQ is taken before IRQ and honours PSTATE.F', (t) => {
  const model = new VirtInterrupts({ gicVersion: 3, cpus: 1 });
  const gic = model.gic as GicV3;
  gic.writeDistributor(0, 0x000, 4, 0x3n);
  gic.writeRedistributor(0, 0x10080, 4, 1n << 30n); // PPI 30 Group 1, PPI 27 Group 0
  gic.writeRedistributor(0, 0x10100, 4, (1n << 27n) | (1n << 30n));
  gic.writeSysreg(0, ICC.PMR, 0xffn);
  gic.writeSysreg(0, ICC.IGRPEN0, 1n);
  gic.writeSysreg(0, ICC.IGRPEN1, 1n);
  gic.setPrivateLevel(0, 27, true);
  t.is(model.pendingInterrupt(0, 0n), 'fiq');
  t.is(model.pendingInterrupt(0, F_MASKED), null);
});

test('the instruction clock: 2^shift ns per instruction, the counter at 16 ns, idle warps never go back', (t) => {
  const clock = new InstructionClock(3);
  clock.retire(20);
  t.is(clock.nowNs(), 160n);
  t.is(clock.counter(), 10n);
  t.is(clock.instructionsUntilCounter(11n), 2n);
  t.is(clock.instructionsUntilCounter(5n), 0n);
  clock.setInFlight(6);
  t.is(clock.counter(), 13n);
  clock.retire(6);
  t.is(clock.counter(), 13n);
  clock.warpToCounter(1000n);
  t.is(clock.counter(), 1000n);
  clock.warpToCounter(10n);
  t.is(clock.counter(), 1000n);
  t.throws(() => new InstructionClock(11), { message: /0\.\.10/ });
});

test('WFI: warps move time to the next armed timer; couldEverWake says whether it would be delivered', (t) => {
  const model = new VirtInterrupts({ gicVersion: 2, cpus: 1 });
  const key = (k: number) => ({ op0: k >> 14, op1: (k >> 11) & 7, crn: (k >> 7) & 15, crm: (k >> 3) & 15, op2: k & 7 });
  t.false(model.couldEverWake(0));
  t.false(model.warpToNextEvent(), 'nothing armed: nothing can ever happen');
  model.writeSysreg(0, key(CNT.P_CVAL), 5000n);
  model.writeSysreg(0, key(CNT.P_CTL), 1n);
  t.false(model.couldEverWake(0), 'armed, but PPI 30 is not enabled in the GIC');
  const gic = model.gic as GicV2;
  gic.writeDistributor(0, 0x000, 4, 1);
  gic.writeDistributor(0, 0x100, 4, 1 << 30);
  gic.writeCpuInterface(0, 0x004, 4, 0xff);
  gic.writeCpuInterface(0, 0x000, 4, 1);
  t.true(model.couldEverWake(0));
  t.true(model.warpToNextEvent());
  t.is(model.clock.counter(), 5000n);
  t.true(model.wfiWakes(0));
  t.false(model.warpToNextEvent(), 'the only deadline has passed');
});
