// Register snapshots at breakpoints, whichever runner took them (QEMU through its gdbstub, the
// emulator through a code hook): the one shape the parity comparison reads.

/** The registers every snapshot has, in display order. */
export const CORE_REGISTERS: readonly string[] = [...Array.from({ length: 31 }, (_, i) => `x${i}`), 'sp', 'pc'];

/** Register name -> value. x0..x30, sp, pc always; cpsr when the runner has it. */
export type RegisterValues = Record<string, bigint>;

export interface BreakpointHit {
  /** 1-based position of this hit among all the hits of the run (execution order). */
  seq: number;
  /** The breakpoint address (= pc: the instruction there has not run yet). */
  address: bigint;
  /** 1 the first time this address was reached, 2 the second... */
  hitOfBreakpoint: number;
  registers: RegisterValues;
  /** Serial output before this hit (QEMU: what had reached wbdiff by then). */
  serialBefore: string;
}

export type SnapshotEnd =
  /** Stopped after the requested number of hits. */
  | 'max-hits'
  /** The guest powered off (QEMU exited; the emulator saw PSCI SYSTEM_OFF/RESET). */
  | 'exited'
  | 'fault'
  /** WFI with nothing to wake it (emulator). */
  | 'halted'
  /** Stopped for another reason than a breakpoint (a signal other than SIGTRAP). */
  | 'stopped'
  | 'timeout'
  /** QEMU: nothing more within the grace time after as many hits as the emulator had (see settleAfter). */
  | 'settled'
  | 'serial-limit';

export interface SnapshotRun {
  runner: 'qemu' | 'emu';
  /** The registers at the kernel entry, before its first instruction: the reset state. */
  reset: RegisterValues;
  hits: BreakpointHit[];
  end: { kind: SnapshotEnd; detail: string };
  serial: string;
  durationMs: number;
  details: Record<string, unknown>;
}
