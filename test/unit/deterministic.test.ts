// --deterministic as a machine option: parsed once, merged and labelled like the others, turned
// into QEMU's -icount by the pure argv builder, honoured by the emulator (whose clock always
// counts instructions) and refused by runners that cannot honour it.
import test from 'ava';
import { machineOverrides } from '../../harness/cli/machine-flags.js';
import { DEFAULT_ICOUNT_SHIFT, InstructionClock } from '../../harness/emu/interrupts/instruction-clock.js';
import { PMU_REG, PmuModel } from '../../harness/emu/interrupts/pmu.js';
import { sysregKey, type SysRegId } from '../../harness/emu/interrupts/sysreg.js';
import {
  canonicalMachine,
  DETERMINISTIC_ICOUNT,
  DETERMINISTIC_RTC,
  machineLabel,
  mergeMachine,
  setOptions,
  unsupportedOptions,
} from '../../harness/machine/description.js';
import { emuCannotHonour, EMU_SUPPORTED_OPTIONS } from '../../harness/runners/emu.js';
import { icountArg, qemuInvocation } from '../../harness/runners/qemu-args.js';
import { qemuErrorLines } from '../../harness/runners/qemu-log.js';

test('QEMU runs a deterministic machine with -icount shift=3,sleep=off (the shift of the emulator clock) and a PL031 on guest time', (t) => {
  t.is(DETERMINISTIC_ICOUNT.shift, DEFAULT_ICOUNT_SHIFT);
  t.is(icountArg(), 'shift=3,sleep=off');
  const plain = qemuInvocation({ elfPath: '/k.elf', cpu: 'cortex-a57', timeoutMs: 1000 }).args;
  t.false(plain.includes('-icount'));
  const args = qemuInvocation({ elfPath: '/k.elf', cpu: 'cortex-a57', timeoutMs: 1000, machine: { deterministic: true } }).args;
  t.deepEqual(args.slice(args.indexOf('-icount'), args.indexOf('-icount') + 2), ['-icount', 'shift=3,sleep=off']);
  t.is(args.filter((a) => a === '-icount').length, 1);
  t.deepEqual(
    args.slice(args.indexOf('-rtc'), args.indexOf('-rtc') + 2),
    ['-rtc', 'base=2000-01-01T00:00:00,clock=vm'],
    'the PL031 counts guest time too',
  );
  t.is(Date.parse(`${DETERMINISTIC_RTC.base}Z`), DETERMINISTIC_RTC.epochMs);
});

test('the flag, the config layers and the label: later layers win, the cell name and provenance say it', (t) => {
  t.deepEqual(machineOverrides({ deterministic: true }).machine, { deterministic: true });
  t.is(machineOverrides({}).machine, undefined);
  t.true(mergeMachine({ smp: 1 }, { deterministic: true }).deterministic);
  t.false(mergeMachine({ deterministic: true }, { deterministic: false }).deterministic);
  t.deepEqual(canonicalMachine({ deterministic: false }), {});
  t.deepEqual(canonicalMachine({ deterministic: true, machine: { 'gic-version': '3' } }), {
    machine: { 'gic-version': '3' },
    deterministic: true,
  });
  t.is(machineLabel({ deterministic: true, machine: { 'gic-version': '3' } }), 'gic-version=3,deterministic');
  t.deepEqual(setOptions({ deterministic: true }), ['deterministic']);
});

test('the emulator honours it; a runner with a fixed machine (a board) refuses it by name', (t) => {
  t.is(emuCannotHonour({ machine: { deterministic: true } }), null);
  t.true(EMU_SUPPORTED_OPTIONS.has('deterministic'));
  t.deepEqual(unsupportedOptions({ deterministic: true }, new Set()), ['deterministic']);
});

test("-icount sleep=off's warning when nothing is left to wake the CPU is no QEMU failure; other messages still are", (t) => {
  t.deepEqual(qemuErrorLines(['qemu-system-aarch64: warning: icount sleep disabled and no active timers']), []);
  t.is(qemuErrorLines(['qemu-system-aarch64: -icount shift=11: icount: Invalid shift value']).length, 1);
});

test('PMU model: the cycle counter is guest ns at 1 GHz while PMCR.E and PMCNTEN[31] say so, reset by PMCR.C, /64 with PMCR.D', (t) => {
  const clock = new InstructionClock(3);
  const regs = new Map<number, bigint>([[sysregKey(PMU_REG.PMCR), 0x41002040n]]);
  const unicorn = {
    read: (r: SysRegId) => regs.get(sysregKey(r)) ?? 0n,
    write: (r: SysRegId, v: bigint) => void regs.set(sysregKey(r), v),
  };
  const pmu = new PmuModel(clock, unicorn);
  // Unicorn stores what the model lets through; the model sees the MSR first, as the hook does.
  const msr = (r: SysRegId, v: bigint) => {
    if (!pmu.writeSysreg(r, v)) regs.set(sysregKey(r), sysregKey(r) === sysregKey(PMU_REG.PMCNTENSET) ? unicorn.read(r) | v : v);
  };
  msr(PMU_REG.PMCNTENSET, 1n << 31n);
  clock.retire(100);
  t.is(pmu.readSysreg(PMU_REG.PMCCNTR), 0n, 'PMCR.E clear: not counting');
  msr(PMU_REG.PMCR, 0x41002040n | 0b101n); // E, C at instruction 101
  clock.retire(1000);
  t.is(pmu.readSysreg(PMU_REG.PMCCNTR), 8000n, '1000 instructions later, 8 ns each (the reads are I/O: both count themselves)');
  msr(PMU_REG.PMCR, 0x41002040n | 0b1001n); // D: one count per 64 cycles from here
  clock.retire(800);
  t.is(pmu.readSysreg(PMU_REG.PMCCNTR), 8000n + 100n, '800 instructions = 6400 cycles = 100 counts');
  t.is(pmu.readSysreg(PMU_REG.PMSWINC), null, 'other registers stay with Unicorn');
});

test('PMU model: PMSWINC increments enabled SW_INCR counters in Unicorn, flags 32-bit overflow, leaves other events alone', (t) => {
  const regs = new Map<number, bigint>([
    [sysregKey(PMU_REG.PMCR), 0x41002041n], // N = 4, E
    [sysregKey(PMU_REG.PMCNTENSET), 0b111n],
  ]);
  const pmu = new PmuModel(new InstructionClock(3), {
    read: (r) => regs.get(sysregKey(r)) ?? 0n,
    write: (r, v) => void regs.set(sysregKey(r), v),
  });
  const evcntr = (n: number) => sysregKey({ op0: 3, op1: 3, crn: 14, crm: 8, op2: n });
  regs.set(evcntr(1), 0xffff_ffffn);
  t.false(
    pmu.writeSysreg({ op0: 3, op1: 3, crn: 14, crm: 12, op2: 2 }, 0x11n),
    'PMEVTYPER2 = 0x11 (CPU_CYCLES): watched, written by Unicorn',
  );
  t.false(pmu.writeSysreg(PMU_REG.PMSWINC, 0b1111n));
  t.is(regs.get(evcntr(0)), 1n);
  t.is(regs.get(evcntr(1)), 0n, 'wrapped');
  t.is(regs.get(sysregKey(PMU_REG.PMOVSSET)), 0b10n, 'overflow of counter 1');
  t.is(regs.get(evcntr(2)) ?? 0n, 0n, 'not SW_INCR');
  t.is(regs.get(evcntr(3)) ?? 0n, 0n, 'not enabled');
});

test('PMU model with PMUv3p5: 64-bit event counters over a Unicorn that keeps 32 bits, overflow at bit 63 under PMCR.LP and at bit 31 without', (t) => {
  const regs = new Map<number, bigint>([
    [sysregKey(PMU_REG.PMCR), 0x2041n], // N = 4, E
    [sysregKey(PMU_REG.PMCNTENSET), 0b11n],
  ]);
  const unicorn = {
    read: (r: SysRegId) => regs.get(sysregKey(r)) ?? 0n,
    write: (r: SysRegId, v: bigint) => void regs.set(sysregKey(r), v & 0xffff_ffffn),
  };
  const pmu = new PmuModel(new InstructionClock(3), unicorn, { v3p5: true });
  const msr = (r: SysRegId, v: bigint) => {
    if (!pmu.writeSysreg(r, v)) unicorn.write(r, v);
  };
  const evcntr = (n: number): SysRegId => ({ op0: 3, op1: 3, crn: 14, crm: 8, op2: n });
  msr(PMU_REG.PMCR, 0x2041n | 0x80n); // LP, E
  t.is(pmu.readSysreg(PMU_REG.PMCR), 0x20c1n, 'LP reads back');
  msr(evcntr(0), 0xffff_ffff_ffff_fffen);
  msr(evcntr(1), 0xffff_ffffn);
  t.is(pmu.readSysreg(evcntr(0)), 0xffff_ffff_ffff_fffen, 'the top half is kept');
  msr(PMU_REG.PMSWINC, 0b11n);
  t.is(pmu.readSysreg(evcntr(1)), 0x1_0000_0000n, 'carries into bit 32');
  t.is(regs.get(sysregKey(PMU_REG.PMOVSSET)) ?? 0n, 0n, 'no overflow at bit 31 under LP');
  msr(PMU_REG.PMSWINC, 0b1n);
  t.is(pmu.readSysreg(evcntr(0)), 0n);
  t.is(regs.get(sysregKey(PMU_REG.PMOVSSET)), 0b1n, 'overflow at bit 63');
  msr(PMU_REG.PMCR, 0x2041n | 0b10n); // E, P (reset event counters), LP clear
  regs.set(sysregKey(evcntr(0)), 0n);
  regs.set(sysregKey(evcntr(1)), 0n);
  t.is(pmu.readSysreg(evcntr(1)), 0n, 'PMCR.P resets the top halves too');
  msr(evcntr(1), 0x7fff_ffffn);
  msr(PMU_REG.PMSWINC, 0b10n);
  t.is(regs.get(sysregKey(PMU_REG.PMOVSSET)), 0b1n, 'bit 31 set is not yet an overflow');
  msr(evcntr(1), 0xffff_ffffn);
  msr(PMU_REG.PMSWINC, 0b10n);
  t.is(pmu.readSysreg(evcntr(1)), 0x1_0000_0000n, 'still 64 bits without LP');
  t.is(regs.get(sysregKey(PMU_REG.PMOVSSET)), 0b10n, 'overflow at bit 31 without LP');
});
