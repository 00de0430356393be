// Connects VirtInterrupts to one Unicorn engine (one CPU): the GIC windows through uc_mmio_map
// and the ICC_* / CNT* registers through UC_HOOK_INSN on MRS and MSR. Registers neither model
// owns are left to Unicorn, so an unknown one still raises EXCP_UDEF as on QEMU.
import { type SysRegAccess, UC_CPU_ARM64, type Unicorn } from '../unicorn.js';
import { type CounterPolling, isCounterRead, isTimerStateRead } from './counter-polling.js';
import { PmuModel } from './pmu.js';
import type { VirtInterrupts } from './virt-interrupts.js';

export interface InterruptHookOptions {
  /** Map the GIC windows into this engine (default true; false when the machine maps MMIO itself). */
  mapMmio?: boolean;
  /**
   * Instructions of the current quantum executed before the accessing one. With it, counter
   * and timer reads inside a quantum see exact time; without it, time moves only at quantum ends.
   */
  executedInQuantum?: () => number;
  /** Called just before the MSR hook stops the engine (e.g. QuantumCounter.stopHere). */
  beforeStop?: () => void;
  /**
   * An MSR Unicorn must not execute (DBGBCR/DBGBVR: breakpoints.ts): when this returns true the
   * write is skipped and the engine stopped after the MSR; the caller applies it once
   * uc_emu_start has returned.
   */
  deferWrite?: (access: SysRegAccess) => boolean;
  /**
   * The polling rule (counter-polling.ts) for this CPU: instructions executed before the current
   * one in this quantum and after it to the quantum's end, and a count of device accesses. One
   * CPU only: with several, another CPU may change what the loop waits for while time skips.
   */
  counterPolling?: {
    rule: CounterPolling;
    inQuantum: () => number;
    remaining: () => number;
    deviceAccesses: () => number;
    /**
     * With several CPUs: skips go no further than the end of this engine run (`remaining`), are
     * reported here in instructions (they count toward the CPU's turn), and the run ends when one
     * reaches its end.
     */
    skipWithinRun?: (instructions: number) => void;
  };
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
   * After an MSR the run loop must look again: an interrupt may now be pending, or a timer
   * deadline may fall inside the running quantum. Stopping from the instruction hook ends the
   * quantum at this block without re-running the MSR (measured: identical results at quanta
   * 7..1e6). MMIO callbacks never stop the engine: Unicorn 2.0.1 then replays the store (an
   * EOI twice): the machine's GIC write callback ends the count there instead (virt-machine.ts).
   */
  const afterSysregWrite = (lineWasHigh: boolean, timerChanged: boolean) => {
    if (timerChanged || (!lineWasHigh && model.wfiWakes(cpu))) {
      options.beforeStop?.();
      uc.emuStop();
    }
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
          region.write(cpu, Number(offset), size, value);
        },
      );
    }
  }
  // The cycle counter and software increment (pmu.ts), on Unicorn's own PMU registers; QEMU 7.2
  // gives FEAT_PMUv3p5 to `max` only.
  const pmu = new PmuModel(
    model.clock,
    { read: (r) => uc.sysRegRead(r), write: (r, v) => uc.sysRegWrite(r, v) },
    { v3p5: uc.getCpuModel() === UC_CPU_ARM64.MAX },
  );
  const polling = options.counterPolling;
  const wordsAt = (address: bigint, bytes: number): Uint32Array | null => {
    try {
      const b = uc.memRead(address, bytes);
      return new Uint32Array(b.buffer, b.byteOffset, bytes >> 2);
    } catch {
      return null;
    }
  };
  /** Before a counter read: skip guest time if this read is a poll, ending the quantum if the skip reaches a deadline inside it. */
  const pollCounter = (timerState: boolean) => {
    const { rule } = polling!;
    const inQuantum = polling!.inQuantum();
    const shift = BigInt(model.clock.shift);
    const limit = model.quantumLimit();
    // A timer-state poll waits for ISTATUS, which a masked timer raises too.
    const status = timerState ? model.instructionsUntilTimerStatusChange(cpu) : null;
    const deadline = status !== null && (limit === null || status < limit) ? status : limit;
    const runEnd = polling!.skipWithinRun ? BigInt(polling!.remaining()) : null;
    const until = runEnd !== null && (deadline === null || runEnd < deadline) ? runEnd : deadline;
    const step = rule.observe(
      {
        pc: uc.regRead('pc'),
        stamp: model.clock.executed + BigInt(inQuantum),
        deviceAccesses: polling!.deviceAccesses(),
        timerState,
        wordsAt,
      },
      until === null ? null : until << shift,
    );
    if (step === 0n) return;
    model.clock.warpBy(step);
    model.syncInQuantum(inQuantum);
    polling!.skipWithinRun?.(Number(step >> shift));
    // At the deadline the timer's line rises now: end the quantum so its interrupt is taken at
    // this instruction, as it would be without the skip; likewise when the next deadline now
    // falls inside the rest of the quantum.
    const after = model.quantumLimit();
    if ((until !== null && step >= until << shift) || (after !== null && after <= BigInt(polling!.remaining()))) {
      options.beforeStop?.();
      uc.emuStop();
    }
  };
  uc.hookSysInsn('MRS', (access) => {
    sync();
    if (polling && (isCounterRead(access) || isTimerStateRead(access))) pollCounter(!isCounterRead(access));
    const value = model.readSysreg(cpu, access) ?? pmu.readSysreg(access);
    if (value !== null) traffic.reads++;
    return value;
  });
  uc.hookSysInsn('MSR', (access) => {
    if (options.deferWrite?.(access)) {
      options.beforeStop?.();
      uc.emuStop();
      return 0n;
    }
    sync();
    if (pmu.writeSysreg(access, access.value)) return 0n;
    const high = model.wfiWakes(cpu);
    const before = model.quantumLimit();
    if (!model.writeSysreg(cpu, access, access.value)) return null;
    traffic.writes++;
    afterSysregWrite(high, model.quantumLimit() !== before);
    return 0n;
  });
  return traffic;
}

/**
 * Instructions executed in the current quantum, from a block hook: WFI, an exception and a
 * stop from the MSR hook all end a translation block, so a quantum that ends early is counted
 * exactly; one that ends by its count executed exactly that many. Inside the quantum, the
 * accessing instruction's place in its block gives exact time (pass `inQuantum` as
 * InterruptHookOptions.executedInQuantum). Costs one JS call per block entered.
 */
export class QuantumCounter {
  private entered = 0;
  private blockStart = 0n;
  private beforeBlock = 0;
  private blockBytes = 0;

  constructor(private readonly uc: Unicorn) {
    uc.hookBlock(
      (address, size) => {
        this.blockStart = address;
        this.blockBytes = size;
        this.beforeBlock = this.entered;
        this.entered += size / 4;
      },
      1n,
      0n,
    );
  }

  /** Instructions executed when a hook stopped the engine inside a block (the rest of the block never ran). */
  private stoppedAfter = Number.POSITIVE_INFINITY;

  /** Call before each uc_emu_start. */
  begin(): void {
    this.entered = 0;
    this.stoppedAfter = Number.POSITIVE_INFINITY;
  }

  /**
   * From a hook about to stop the engine: the quantum ends after the current instruction
   * (`completes`: an MSR the hook emulated) or before it (a faulting access, an exception).
   */
  stopHere(completes: boolean): void {
    this.stoppedAfter = Math.min(this.stoppedAfter, this.inQuantum() + (completes ? 1 : 0));
  }

  /**
   * Whether the quantum's last block ran to its end at `pc`, with the instruction before `pc`
   * in it: how a WFI (which ends its block) is told from an ERET or branch landing after one.
   */
  ranThroughTo(pc: bigint): boolean {
    return this.entered > 0 && pc === this.blockStart + BigInt(this.blockBytes) && pc - 4n >= this.blockStart;
  }

  /** After uc_emu_start(count): the instructions the quantum executed. */
  executed(count: number): number {
    return Math.min(count, this.entered, this.stoppedAfter);
  }

  /** From a hook inside the quantum: instructions executed before the current one. */
  readonly inQuantum = (): number => this.beforeBlock + Number(this.uc.regRead('pc') - this.blockStart) / 4;
}
