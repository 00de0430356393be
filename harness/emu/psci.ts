// PSCI as QEMU 7.2 answers it on virt (target/arm/psci.c, target/arm/arm-powerctl.c), measured by
// probe kernels: PSCI_VERSION is 1.1; FEATURES says 0 (supported) for VERSION, CPU_SUSPEND,
// CPU_OFF, CPU_ON, AFFINITY_INFO, MIGRATE_INFO_TYPE, SYSTEM_OFF, SYSTEM_RESET and FEATURES itself,
// -1 for the rest; the function id is the whole of x0 (0xffffffff84000000 is not PSCI_VERSION).
// Several CPUs (arm-powerctl.c): a CPU is found by its MPIDR affinity (mp_affinity, without bit
// 31); CPU_ON refuses an unaligned entry and an unknown CPU (INVALID_PARAMETERS), one that is on
// (ALREADY_ON) or being started by an earlier CPU_ON (ON_PENDING); it succeeds at once and the
// target starts later, reset, at EL1h with DAIF masked, pc = entry and x0 = the context id.
// AFFINITY_INFO answers the target's power state (0 ON, 1 OFF, 2 ON_PENDING) for lowest level 0,
// and 0 (ON) for any higher level. CPU_OFF never returns.

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
  ON_PENDING: -5n,
} as const;

/** A CPU's PSCI power state, numbered as AFFINITY_INFO answers it. */
export type PowerState = 'on' | 'off' | 'on-pending';
const AFFINITY_STATE: Readonly<Record<PowerState, bigint>> = { on: 0n, off: 1n, 'on-pending': 2n };

/** What PSCI needs to know of the machine's CPUs. */
export interface PsciCpus {
  /** The CPU whose MPIDR affinity (Aff3..Aff0, bit 31 clear) is exactly this, or null. */
  byAffinity(affinity: bigint): number | null;
  power(cpu: number): PowerState;
}

/** One CPU with affinity 0, always on. */
export const SINGLE_CPU: PsciCpus = { byAffinity: (affinity) => (affinity === 0n ? 0 : null), power: () => 'on' };

const SUPPORTED = new Set<bigint>(Object.values(PSCI_FN));
/** PSCI 1.1: major 1, minor 1. */
const VERSION_1_1 = 0x1_0001n;

export type PsciAnswer =
  | { kind: 'return'; x0: bigint; name: string }
  | { kind: 'poweroff'; psci: 'SYSTEM_OFF' | 'SYSTEM_RESET' }
  /** CPU_SUSPEND: the CPU waits for an interrupt (QEMU: helper_wfi). */
  | { kind: 'suspend' }
  /** CPU_OFF: the calling CPU stops and never returns from the call. */
  | { kind: 'cpu-off' }
  /** CPU_ON accepted: the caller gets SUCCESS; `target` starts later at `entry` with x0 = `context`. */
  | { kind: 'cpu-on'; target: number; entry: bigint; context: bigint };

export interface PsciArguments {
  x2?: bigint;
  x3?: bigint;
  cpus?: PsciCpus;
}

/** The answer to `hvc #0` with these x0..x3 (default: one CPU with MPIDR affinity 0). */
export function psciCall(x0: bigint, x1: bigint, more: PsciArguments = {}): PsciAnswer {
  const { x2 = 0n, x3 = 0n, cpus = SINGLE_CPU } = more;
  const ret = (value: bigint, name: string): PsciAnswer => ({ kind: 'return', x0: value, name });
  const is32 = (x0 & 0x4000_0000n) === 0n;
  const word = (value: bigint) => (is32 ? value & 0xffff_ffffn : value);
  const affinity = word(x1);
  switch (x0) {
    case PSCI_FN.VERSION:
      return ret(VERSION_1_1, 'PSCI_VERSION');
    case PSCI_FN.FEATURES:
      return ret(SUPPORTED.has(x1) ? PSCI_RET.SUCCESS : PSCI_RET.NOT_SUPPORTED, 'PSCI_FEATURES');
    case PSCI_FN.AFFINITY_INFO:
    case PSCI_FN.AFFINITY_INFO_64: {
      // Everything above affinity level 0 is always on.
      if (word(x2) !== 0n) return ret(0n, 'AFFINITY_INFO');
      const target = cpus.byAffinity(affinity);
      return ret(target === null ? PSCI_RET.INVALID_PARAMETERS : AFFINITY_STATE[cpus.power(target)], 'AFFINITY_INFO');
    }
    case PSCI_FN.CPU_ON:
    case PSCI_FN.CPU_ON_64: {
      const entry = word(x2);
      const target = cpus.byAffinity(affinity);
      if ((entry & 3n) !== 0n || target === null) return ret(PSCI_RET.INVALID_PARAMETERS, 'CPU_ON');
      const power = cpus.power(target);
      if (power === 'on') return ret(PSCI_RET.ALREADY_ON, 'CPU_ON');
      if (power === 'on-pending') return ret(PSCI_RET.ON_PENDING, 'CPU_ON');
      return { kind: 'cpu-on', target, entry, context: word(x3) };
    }
    case PSCI_FN.MIGRATE_INFO_TYPE:
      return ret(2n, 'MIGRATE_INFO_TYPE'); // Trusted OS not present
    case PSCI_FN.SYSTEM_OFF:
      return { kind: 'poweroff', psci: 'SYSTEM_OFF' };
    case PSCI_FN.SYSTEM_RESET:
      return { kind: 'poweroff', psci: 'SYSTEM_RESET' };
    case PSCI_FN.CPU_SUSPEND:
    case PSCI_FN.CPU_SUSPEND_64:
      // Affinity levels (power_state bits 16 and up, but for StateType) are not supported by QEMU.
      if ((word(x1) & 0xfffe_0000n) !== 0n) return ret(PSCI_RET.INVALID_PARAMETERS, 'CPU_SUSPEND');
      return { kind: 'suspend' };
    case PSCI_FN.CPU_OFF:
      return { kind: 'cpu-off' };
    default:
      return ret(PSCI_RET.NOT_SUPPORTED, 'unknown');
  }
}

/**
 * MPIDR_EL1 of CPU `index` on QEMU 7.2 virt (virt_cpu_mp_affinity): Aff0 counts within clusters
 * of 8 CPUs with a GICv2 (GIC_TARGETLIST_BITS) and of 16 with a GICv3; bit 31 (RES1) set, U and
 * MT clear, as the A53/A57/A72 and max models report it.
 */
export function virtMpidr(index: number, gicVersion: 2 | 3): bigint {
  return (1n << 31n) | virtAffinity(index, gicVersion);
}

/** The MPIDR affinity fields alone (mp_affinity): what PSCI's target arguments name. */
export function virtAffinity(index: number, gicVersion: 2 | 3): bigint {
  const cluster = gicVersion === 2 ? 8 : 16;
  return (BigInt(Math.floor(index / cluster)) << 8n) | BigInt(index % cluster);
}
