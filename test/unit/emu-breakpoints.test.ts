// DBGBCR/DBGBVR decoding for the emulator's own hardware breakpoints (harness/emu/breakpoints.ts).
import test from 'ava';
import { singleStepActive, writesDebugMask } from '../../harness/emu/software-step.js';
import { breakpointAddress, isBreakpointRegister, unmodelledBreakpointControl } from '../../harness/emu/breakpoints.js';

test('breakpoint registers are DBGBCRn/DBGBVRn, and only unlinked A64 address matches are modelled', (t) => {
  t.true(isBreakpointRegister({ op0: 2, op1: 0, crn: 0, crm: 3, op2: 5 }));
  t.true(isBreakpointRegister({ op0: 2, op1: 0, crn: 0, crm: 0, op2: 4 }));
  t.false(isBreakpointRegister({ op0: 2, op1: 0, crn: 0, crm: 0, op2: 7 }), 'DBGWCR0 is a watchpoint');
  t.false(isBreakpointRegister({ op0: 2, op1: 0, crn: 0, crm: 2, op2: 2 }), 'MDSCR_EL1');
  // kvm-unit-tests' debug-bp: DBGBCR_LEN8 | DBGBCR_EXEC | DBGBCR_EL1 | DBGBCR_E; kernels/hw-breakpoint: 0x1e3.
  t.is(unmodelledBreakpointControl(0x1e3n), null);
  t.is(unmodelledBreakpointControl((0xffn << 5n) | 0x3n), null);
  t.regex(unmodelledBreakpointControl(0x1e3n | (2n << 20n)) ?? '', /BT=2/);
  t.is(breakpointAddress(0x4008_0847n), 0x4008_0844n);
  t.is(breakpointAddress(0x1_0000_0000_0000n), 0xffff_0000_0000_0000n);
});

test('watchpoints: byte address select, load/store control and EL match decide a hit; FAR is the later of the access and the first watched byte', async (t) => {
  const { isWatchpointRegister, unmodelledWatchpointControl, watchHit } = await import('../../harness/emu/breakpoints.js');
  t.true(isWatchpointRegister({ op0: 2, op1: 0, crn: 0, crm: 1, op2: 7 }));
  t.true(isWatchpointRegister({ op0: 2, op1: 0, crn: 0, crm: 1, op2: 6 }));
  // kvm-unit-tests' debug-wp: DBGWCR_LEN8 | RD | WR | EL1 | E.
  t.is(unmodelledWatchpointControl((0xffn << 5n) | (3n << 3n) | (1n << 1n) | 1n), null);
  t.regex(unmodelledWatchpointControl((3n << 24n) | (0xffn << 5n) | 1n) ?? '', /MASK=3/);
  const watch = { base: 0x4008_1000n, bas: 0xf0, lsc: 2, pac: 1 };
  t.is(watchHit(watch, { address: 0x4008_1000n, size: 8, write: true, el: 1 }), 0x4008_1004n);
  t.is(watchHit(watch, { address: 0x4008_1006n, size: 2, write: true, el: 1 }), 0x4008_1006n);
  t.is(watchHit(watch, { address: 0x4008_1000n, size: 4, write: true, el: 1 }), null, 'bytes 0-3 are not watched');
  t.is(watchHit(watch, { address: 0x4008_1004n, size: 4, write: false, el: 1 }), null, 'loads are not watched (LSC = store)');
  t.is(watchHit(watch, { address: 0x4008_1004n, size: 4, write: true, el: 0 }), null, 'EL0 is not watched (PAC = EL1)');
});

test('software step is active as QEMU 5.0 computes it: MDSCR.SS, and at EL1 KDE with PSTATE.D clear; EL0 always', (t) => {
  const SS = 1n;
  const KDE = 1n << 13n;
  const EL1H = 0x5n;
  const D = 1n << 9n;
  t.false(singleStepActive(KDE, EL1H), 'no MDSCR.SS');
  t.false(singleStepActive(SS, EL1H), 'EL1 without KDE');
  t.false(singleStepActive(SS | KDE, EL1H | D), 'EL1 with PSTATE.D');
  t.true(singleStepActive(SS | KDE, EL1H));
  t.true(singleStepActive(SS, 0x0n), 'EL0: the debug target EL1 is higher');
});

test('the DAIF writes that can start or stop a step: MSR DAIFSet/DAIFClr with the D bit', (t) => {
  t.true(writesDebugMask(0xd50348ff), 'msr daifclr, #8');
  t.true(writesDebugMask(0xd50348df), 'msr daifset, #8');
  t.true(writesDebugMask(0xd5034fdf), 'msr daifset, #0xf');
  t.false(writesDebugMask(0xd50342ff), 'msr daifclr, #2 (IRQ only)');
  t.false(writesDebugMask(0xd503201f), 'nop');
  t.false(writesDebugMask(0xd51b4220), 'msr daif, x0 (a register write: Unicorn rebuilds its flags itself)');
});
