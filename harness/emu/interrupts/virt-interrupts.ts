// The interrupt side of QEMU virt in one object for the emulator's run loop: the GIC (v2 or v3)
// at virt's addresses, one generic timer per CPU wired to its PPIs, and the instruction-driven
// clock. Pure: the run loop calls in with the accessing CPU and the instructions it executed.
//
// Run-loop contract (see harness/emu/README.md "Interrupts"):
//   - MMIO in mmioRegions() goes to region.read/write with the CPU that made the access;
//   - MRS/MSR go to readSysreg/writeSysreg first (null/false: not ours, let the engine run it);
//   - after each quantum: retire(cpu, executed); then pendingInterrupt(cpu, pstate) says whether
//     to take an IRQ or FIQ now (the guest acknowledges it itself by reading IAR);
//   - quantumLimit() bounds the next quantum so a timer fires at its exact instruction;
//   - a CPU in WFI sleeps until wfiWakes(cpu); when all CPUs sleep, warpToNextEvent() moves time
//     to the next timer deadline (QEMU -icount sleep=off), and returns false when nothing can
//     ever raise an interrupt again: the run ends at once as a timeout.
import { GicV2, GICV2_CPU_SIZE, GICV2_DIST_SIZE } from './gic-v2.js';
import { GicV3, GICV3_DIST_SIZE, GICV3_REDIST_STRIDE } from './gic-v3.js';
import { GenericTimer, VIRT_TIMER_PPI } from './generic-timer.js';
import { DEFAULT_ICOUNT_SHIFT, InstructionClock } from './instruction-clock.js';
import { sysregKey, type SysRegId } from './sysreg.js';
import { virtMpidr } from '../psci.js';

/** MPIDR_EL1: each engine's own reads 0x80000000 (Unicorn's cpu_index is 0 in every engine). */
const MPIDR_EL1 = sysregKey({ op0: 3, op1: 0, crn: 0, crm: 0, op2: 5 });

/** QEMU 7.2 hw/arm/virt.c base_memmap. */
export const VIRT_GIC_MAP = {
  dist: 0x0800_0000n,
  cpu: 0x0801_0000n,
  redist: 0x080a_0000n,
  redistSize: 0x00f6_0000,
} as const;

export interface MmioRegion {
  name: string;
  base: bigint;
  size: number;
  read(cpu: number, offset: number, size: number): bigint;
  write(cpu: number, offset: number, size: number, value: bigint): void;
}

/** A region seen from one CPU: the shape of harness/emu/devices' MmioDevice (read/write without a CPU). */
export interface CpuMmioDevice {
  readonly name: string;
  readonly base: bigint;
  readonly size: number;
  read(offset: number, size: number): bigint;
  write(offset: number, size: number, value: bigint): void;
}

export function deviceForCpu(region: MmioRegion, cpu: number): CpuMmioDevice {
  return {
    name: region.name,
    base: region.base,
    size: region.size,
    read: (offset, size) => region.read(cpu, offset, size),
    write: (offset, size, value) => region.write(cpu, offset, size, value),
  };
}

export interface VirtInterruptsOptions {
  gicVersion: 2 | 3;
  cpus: number;
  icountShift?: number;
  /** Guest time at the first instruction, in ns (default 0). */
  clockStartNs?: bigint;
}

export type PendingInterrupt = 'irq' | 'fiq' | null;

const PSTATE_I = 1n << 7n;
const PSTATE_F = 1n << 6n;

export class VirtInterrupts {
  readonly clock: InstructionClock;
  readonly gic: GicV2 | GicV3;
  readonly timers: GenericTimer[];
  readonly gicVersion: 2 | 3;

  constructor(options: VirtInterruptsOptions) {
    this.gicVersion = options.gicVersion;
    this.clock = new InstructionClock(options.icountShift ?? DEFAULT_ICOUNT_SHIFT, options.clockStartNs ?? 0n);
    if (options.gicVersion === 2) {
      if (options.cpus > 8) throw new RangeError(`QEMU virt with a GICv2 supports at most 8 CPUs, not ${options.cpus}; use gic-version=3`);
      this.gic = new GicV2({ cpus: options.cpus });
    } else {
      if (options.cpus > VIRT_GIC_MAP.redistSize / GICV3_REDIST_STRIDE)
        throw new RangeError(`virt's redistributor region holds ${VIRT_GIC_MAP.redistSize / GICV3_REDIST_STRIDE} CPUs`);
      this.gic = new GicV3({ cpus: options.cpus });
    }
    this.timers = Array.from({ length: options.cpus }, (_, cpu) => this.newTimer(cpu));
  }

  private newTimer(cpu: number): GenericTimer {
    return new GenericTimer(this.clock, (ppi, level) => this.gic.setPrivateLevel(cpu, ppi, level));
  }

  /**
   * What QEMU's cpu_reset of `cpu` resets here (PSCI CPU_ON of a CPU that ran before): its timer
   * registers (CTL 0, the PPI lines low) and, on a GICv3, its ICC_* registers. The distributor,
   * the redistributor and a GICv2's CPU interface are devices, not the CPU's, and keep their state.
   */
  resetCpu(cpu: number): void {
    for (const ppi of Object.values(VIRT_TIMER_PPI)) this.gic.setPrivateLevel(cpu, ppi, false);
    this.timers[cpu] = this.newTimer(cpu);
    if (this.gic instanceof GicV3) this.gic.resetCpuInterface(cpu);
  }

  get cpus(): number {
    return this.timers.length;
  }

  /**
   * The GIC windows as QEMU maps them on virt. A GICv2's distributor decodes 4 KiB of its 64 KiB
   * slot and its CPU interface 8 KiB; the rest of each slot is unassigned, and QEMU 7.2 takes a
   * data abort there (measured at 0x08001000, 0x0800f000, 0x08002000 and 0x08012000).
   */
  mmioRegions(): MmioRegion[] {
    const gic = this.gic;
    if (gic instanceof GicV2) {
      return [
        {
          name: 'GICv2 distributor',
          base: VIRT_GIC_MAP.dist,
          size: GICV2_DIST_SIZE,
          read: (cpu, offset, size) => BigInt(gic.readDistributor(cpu, offset, size) ?? 0),
          write: (cpu, offset, size, value) => void gic.writeDistributor(cpu, offset, size, Number(value & 0xffff_ffffn)),
        },
        {
          name: 'GICv2 CPU interface',
          base: VIRT_GIC_MAP.cpu,
          size: GICV2_CPU_SIZE,
          read: (cpu, offset, size) => BigInt(gic.readCpuInterface(cpu, offset, size)),
          write: (cpu, offset, size, value) => gic.writeCpuInterface(cpu, offset, size, Number(value & 0xffff_ffffn)),
        },
      ];
    }
    return [
      {
        name: 'GICv3 distributor',
        base: VIRT_GIC_MAP.dist,
        size: GICV3_DIST_SIZE,
        read: (cpu, offset, size) => gic.readDistributor(cpu, offset, size),
        write: (cpu, offset, size, value) => gic.writeDistributor(cpu, offset, size, value),
      },
      {
        name: 'GICv3 redistributors',
        base: VIRT_GIC_MAP.redist,
        size: this.cpus * GICV3_REDIST_STRIDE,
        read: (cpu, offset, size) => gic.readRedistributor(cpu, offset, size),
        write: (cpu, offset, size, value) => gic.writeRedistributor(cpu, offset, size, value),
      },
    ];
  }

  /**
   * MRS by `cpu`: the value, or null when the register belongs to neither the GIC nor the timer.
   * MPIDR_EL1 is answered here too, as QEMU's virt numbers CPUs (psci.ts virtMpidr), since the
   * MRS hook is the one place that knows which CPU reads.
   */
  readSysreg(cpu: number, reg: SysRegId): bigint | null {
    const key = sysregKey(reg);
    if (key === MPIDR_EL1) return virtMpidr(cpu, this.gicVersion);
    const timer = this.timers[cpu]!.readSysreg(key);
    if (timer !== null) return timer;
    return this.gic instanceof GicV3 ? this.gic.readSysreg(cpu, key) : null;
  }

  /** MSR by `cpu`: true when handled here. */
  writeSysreg(cpu: number, reg: SysRegId, value: bigint): boolean {
    const key = sysregKey(reg);
    if (this.timers[cpu]!.writeSysreg(key, value)) return true;
    return this.gic instanceof GicV3 ? this.gic.writeSysreg(cpu, key, value) : false;
  }

  /**
   * At an access inside a quantum: `executed` instructions of it have run (see
   * InstructionClock.setInFlight); timers are re-evaluated so the access sees exact state.
   */
  syncInQuantum(executed: number | bigint): void {
    this.clock.setInFlight(executed);
    for (const timer of this.timers) timer.recalc();
  }

  /** Accounts executed instructions and lets the timers see the new time. */
  retire(_cpu: number, instructions: number | bigint): void {
    this.clock.retire(instructions);
    for (const timer of this.timers) timer.recalc();
  }

  /** What `cpu` takes now given its PSTATE (DAIF bits as in the PSTATE/DAIF register): FIQ before IRQ, as QEMU checks them. */
  pendingInterrupt(cpu: number, pstate: bigint): PendingInterrupt {
    if (this.gic.fiqLine(cpu) && !(pstate & PSTATE_F)) return 'fiq';
    if (this.gic.irqLine(cpu) && !(pstate & PSTATE_I)) return 'irq';
    return null;
  }

  /** WFI ends when an interrupt is pending at the CPU, whatever PSTATE masks (Arm ARM D1.16.2). */
  wfiWakes(cpu: number): boolean {
    return this.gic.irqLine(cpu) || this.gic.fiqLine(cpu);
  }

  /** Instructions (all CPUs together) until the earliest timer deadline; null when no timer is armed. */
  quantumLimit(): bigint | null {
    let best: bigint | null = null;
    for (const timer of this.timers) {
      for (const event of timer.upcoming()) {
        const n = this.clock.instructionsUntilCounter(event.counter);
        if (best === null || n < best) best = n;
      }
    }
    return best;
  }

  /** Instructions until a timer of `cpu` changes ISTATUS (masked timers too), or null (counter-polling.ts). */
  instructionsUntilTimerStatusChange(cpu: number): bigint | null {
    let best: bigint | null = null;
    for (const cval of this.timers[cpu]!.statusChanges()) {
      const n = this.clock.instructionsUntilCounter(cval);
      if (best === null || n < best) best = n;
    }
    return best;
  }

  /**
   * All CPUs are idle: move the clock to the next timer deadline, as QEMU's icount warp does.
   * Returns false when no armed timer remains, i.e. nothing in the machine can ever raise an
   * interrupt again (a CPU waiting in WFI would wait forever).
   */
  warpToNextEvent(): boolean {
    let next: bigint | null = null;
    for (const timer of this.timers) for (const event of timer.upcoming()) if (next === null || event.counter < next) next = event.counter;
    if (next === null) return false;
    this.clock.warpToCounter(next);
    for (const timer of this.timers) timer.recalc();
    return true;
  }

  /**
   * Whether `cpu`, asleep with every other CPU asleep too, could ever be woken: an interrupt is
   * pending now, or an armed timer's PPI would be delivered to it when it fires. (Another
   * running CPU can always send an SGI; the run loop checks that case itself.)
   */
  couldEverWake(cpu: number): boolean {
    if (this.wfiWakes(cpu)) return true;
    return this.timers.some((timer, owner) => owner === cpu && timer.upcoming().some((event) => this.gic.deliverable(cpu, event.ppi)));
  }
}
