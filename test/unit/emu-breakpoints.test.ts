// DBGBCR/DBGBVR decoding for the emulator's own hardware breakpoints (harness/emu/breakpoints.ts).
import test from 'ava';
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
