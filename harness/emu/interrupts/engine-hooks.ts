// Connects VirtInterrupts to one Unicorn engine (one CPU): the GIC windows through uc_mmio_map
// and the ICC_* / CNT* registers through UC_HOOK_INSN on MRS and MSR. Registers neither model
// owns are left to Unicorn, so an unknown one still raises EXCP_UDEF as on QEMU.
import type { Unicorn } from '../unicorn.js';
import type { VirtInterrupts } from './virt-interrupts.js';

export interface InterruptHookOptions {
  /** Map the GIC windows into this engine (default true; false when the machine maps MMIO itself). */
  mapMmio?: boolean;
  /**
   * Instructions of the current quantum executed before the accessing one. With it, counter
   * and timer reads inside a quantum see exact time; without it, time moves only at quantum ends.
   */
  executedInQuantum?: () => number;
}

/** Counts of system-register accesses the models answered, for run details and benchmarks. */
export interface SysregTraffic {
  reads: number;
  writes: number;
}

export function attachInterrupts(uc: Unicorn, cpu: number, model: VirtInterrupts, options: InterruptHookOptions = {}): SysregTraffic {
  const traffic: SysregTraffic = { reads: 0, writes: 0 };
  const sync = () => {
    if (options.executedInQuantum) model.syncInQuantum(options.executedInQuantum());
  };
  /**
   * After a write the run loop must look again: an interrupt may now be pending, or a timer
   * deadline may fall inside the running quantum. Stopping ends the quantum at this block.
   */
  const afterWrite = (lineWasHigh: boolean, timerChanged: boolean) => {
    if (timerChanged || (!lineWasHigh && model.wfiWakes(cpu))) uc.emuStop();
  };
  if (options.mapMmio ?? true) {
    for (const region of model.mmioRegions()) {
      uc.mmioMap(
        region.base,
        region.size,
        (offset, size) => {
          sync();
          return region.read(cpu, Number(offset), size);
        },
        (offset, size, value) => {
          sync();
          const high = model.wfiWakes(cpu);
          region.write(cpu, Number(offset), size, value);
          afterWrite(high, false);
        },
      );
    }
  }
  uc.hookSysInsn('MRS', (access) => {
    sync();
    const value = model.readSysreg(cpu, access);
    if (value !== null) traffic.reads++;
    return value;
  });
  uc.hookSysInsn('MSR', (access) => {
    sync();
    const high = model.wfiWakes(cpu);
    const before = model.quantumLimit();
    if (!model.writeSysreg(cpu, access, access.value)) return null;
    traffic.writes++;
    afterWrite(high, model.quantumLimit() !== before);
    return 0n;
  });
  return traffic;
}
