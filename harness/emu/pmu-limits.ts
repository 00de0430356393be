// PMU accesses Unicorn 2.0.1 answers differently from QEMU 7.2 in a way a kernel's verdict can
// depend on: they end the run as an emulator limit naming the feature (never a kernel FAIL).
// Measured on kvm-unit-tests' pmu tests (max CPU): PMCCNTR_EL0 follows the host clock
// (pmu-cycle-counter read 21121 then 2674: not monotonic, not reproducible), and software
// increments through PMSWINC_EL0 do not reach the counters as on QEMU (pmu-sw-incr: "counter #0
// after + 100 SW_INCR" FAIL on Unicorn, PASS on QEMU). What the PMU model should be instead is
// issue 17 item 5. Pure.
import type { SysRegEncoding } from './unicorn.js';

const same = (a: SysRegEncoding, b: SysRegEncoding) =>
  a.op0 === b.op0 && a.op1 === b.op1 && a.crn === b.crn && a.crm === b.crm && a.op2 === b.op2;

const PMCCNTR_EL0: SysRegEncoding = { op0: 3, op1: 3, crn: 9, crm: 13, op2: 0 };
const PMSWINC_EL0: SysRegEncoding = { op0: 3, op1: 3, crn: 9, crm: 12, op2: 4 };

/** Why the emulator cannot give this MRS/MSR QEMU's answer, or null. */
export function pmuLimit(kind: 'MRS' | 'MSR', enc: SysRegEncoding): string | null {
  if (kind === 'MRS' && same(enc, PMCCNTR_EL0))
    return 'the guest read the PMU cycle counter (PMCCNTR_EL0), which Unicorn 2.0.1 derives from the host clock (not monotonic, not reproducible)';
  if (kind === 'MSR' && same(enc, PMSWINC_EL0))
    return 'the guest wrote PMSWINC_EL0 (PMU software increment), which Unicorn 2.0.1 does not count as QEMU 7.2 does';
  return null;
}
