// What of the PMU (PMUv3) Unicorn 2.0.1 does not do as QEMU 7.2 does, measured with kernels/pmu
// (cortex-a57): PMCR_EL0 reads 0x41002040 (N = 4 event counters; QEMU 0x41013000, N = 6; on
// `max` Unicorn's IMP/IDCODE read 0), PMCEID0 lacks INST_RETIRED (QEMU has it only under -icount),
// the cycle counter follows the host clock (QEMU: guest ns at 1 GHz, 8 per instruction under
// --deterministic), and PMSWINC_EL0 increments nothing (QEMU's SW_INCR counters do). The last one
// makes a kernel's own check fail for the emulator's sake, so a write that would increment is an
// emulator limit, not a kernel failure. Pure.
import { sysregKey, type SysRegId } from './sysreg.js';

/** PMSWINC_EL0: op0 3, op1 3, CRn 9, CRm 12, op2 4. */
export const PMSWINC_EL0 = sysregKey({ op0: 3, op1: 3, crn: 9, crm: 12, op2: 4 });

/** Why an MSR asks for PMU behaviour the emulator does not have, or null. */
export function unmodelledPmuWrite(reg: SysRegId, value: bigint): string | null {
  if (sysregKey(reg) === PMSWINC_EL0 && (value & 0x7fff_ffffn) !== 0n)
    return `the guest wrote PMSWINC_EL0 = ${`0x${value.toString(16)}`} (software increment): Unicorn 2.0.1 does not count SW_INCR events`;
  return null;
}
