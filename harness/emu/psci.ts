// PSCI as QEMU 7.2 answers it on virt with one CPU (target/arm/psci.c), measured by a probe kernel:
// PSCI_VERSION is 1.1; FEATURES says 0 (supported) for VERSION, CPU_SUSPEND, CPU_OFF, CPU_ON,
// AFFINITY_INFO, MIGRATE_INFO_TYPE, SYSTEM_OFF, SYSTEM_RESET and FEATURES itself, -1 for the rest;
// the function id is the whole of x0 (0xffffffff84000000 is not PSCI_VERSION).

export const PSCI_FN = {
  VERSION: 0x8400_0000n,
  CPU_SUSPEND: 0x8400_0001n,
  CPU_SUSPEND_64: 0xc400_0001n,
  CPU_OFF: 0x8400_0002n,
  CPU_ON: 0x8400_0003n,
  CPU_ON_64: 0xc400_0003n,
  AFFINITY_INFO: 0x8400_0004n,
  AFFINITY_INFO_64: 0xc400_0004n,
  MIGRATE_INFO_TYPE: 0x8400_0006n,
  SYSTEM_OFF: 0x8400_0008n,
  SYSTEM_RESET: 0x8400_0009n,
  FEATURES: 0x8400_000an,
} as const;

export const PSCI_RET = {
  SUCCESS: 0n,
  NOT_SUPPORTED: -1n,
  INVALID_PARAMETERS: -2n,
  ALREADY_ON: -4n,
} as const;

const SUPPORTED = new Set<bigint>(Object.values(PSCI_FN));
/** PSCI 1.1: major 1, minor 1. */
const VERSION_1_1 = 0x1_0001n;

export type PsciAnswer =
  | { kind: 'return'; x0: bigint; name: string }
  | { kind: 'poweroff'; psci: 'SYSTEM_OFF' | 'SYSTEM_RESET' }
  /** CPU_SUSPEND: the CPU waits for an interrupt (QEMU: helper_wfi). */
  | { kind: 'suspend' }
  /** CPU_OFF of the only CPU: it never runs again. */
  | { kind: 'cpu-off' };

/** The answer to `hvc #0` with these x0..x3, for a machine whose only CPU has MPIDR affinity 0. */
export function psciCall(x0: bigint, x1: bigint): PsciAnswer {
  const ret = (value: bigint, name: string): PsciAnswer => ({ kind: 'return', x0: value, name });
  const is32 = (x0 & 0x4000_0000n) === 0n;
  const affinity = is32 ? x1 & 0xffff_ffffn : x1;
  switch (x0) {
    case PSCI_FN.VERSION:
      return ret(VERSION_1_1, 'PSCI_VERSION');
    case PSCI_FN.FEATURES:
      return ret(SUPPORTED.has(x1) ? PSCI_RET.SUCCESS : PSCI_RET.NOT_SUPPORTED, 'PSCI_FEATURES');
    case PSCI_FN.AFFINITY_INFO:
    case PSCI_FN.AFFINITY_INFO_64:
      // 0 = ON for the CPU that asks; no other CPU exists.
      return ret(affinity === 0n ? PSCI_RET.SUCCESS : PSCI_RET.INVALID_PARAMETERS, 'AFFINITY_INFO');
    case PSCI_FN.CPU_ON:
    case PSCI_FN.CPU_ON_64:
      return ret(affinity === 0n ? PSCI_RET.ALREADY_ON : PSCI_RET.INVALID_PARAMETERS, 'CPU_ON');
    case PSCI_FN.MIGRATE_INFO_TYPE:
      return ret(2n, 'MIGRATE_INFO_TYPE'); // Trusted OS not present
    case PSCI_FN.SYSTEM_OFF:
      return { kind: 'poweroff', psci: 'SYSTEM_OFF' };
    case PSCI_FN.SYSTEM_RESET:
      return { kind: 'poweroff', psci: 'SYSTEM_RESET' };
    case PSCI_FN.CPU_SUSPEND:
    case PSCI_FN.CPU_SUSPEND_64:
      return { kind: 'suspend' };
    case PSCI_FN.CPU_OFF:
      return { kind: 'cpu-off' };
    default:
      return ret(PSCI_RET.NOT_SUPPORTED, 'unknown');
  }
}
