// Guest time from executed instructions, as QEMU's `-icount shift=N,sleep=off` makes it: every
// instruction (of any CPU: QEMU runs icount CPUs round-robin on one clock) advances the virtual
// clock by 2^N ns, and when every CPU is idle the clock jumps straight to the next timer deadline.
// Nothing here reads the host clock, so the counter values a kernel sees are the same on every
// host, at every load and for every slice size.

/**
 * The shift modelled by default: 2^3 = 8 ns per instruction, i.e. 125 M guest instructions per
 * guest second. That is about what Unicorn executes per host second here, so a kernel that waits
 * N ms of counter time takes roughly N ms of host time, as it does on QEMU without -icount; and
 * the 62.5 MHz counter still advances by one every two instructions, fine enough for kernels that
 * measure short intervals. The QEMU side of a --deterministic run uses the same shift.
 */
export const DEFAULT_ICOUNT_SHIFT = 3;

/** The generic timer's frequency on QEMU 7.2 virt: 1 GHz / GTIMER_SCALE (16) = 62.5 MHz (measured CNTFRQ_EL0 = 0x3b9aca0). */
export const VIRT_CNTFRQ_HZ = 62_500_000;
/** gt_cntfrq_period_ns: the counter counts virtual nanoseconds / 16. */
export const COUNTER_PERIOD_NS = 16n;

export class InstructionClock {
  readonly shift: number;
  private instructions = 0n;
  /** Instructions executed so far in the current quantum, not yet retired (set at device accesses). */
  private inFlight = 0n;
  /** Nanoseconds added by idle warps (all CPUs asleep), on top of executed instructions. */
  private warpedNs = 0n;

  /** `startNs`: guest time at the first instruction (0 as on QEMU; parity starts a run later to see what time sets). */
  constructor(shift = DEFAULT_ICOUNT_SHIFT, startNs = 0n) {
    if (!Number.isInteger(shift) || shift < 0 || shift > 10)
      throw new RangeError(`icount shift ${shift} must be a whole number in 0..10 (QEMU's limit)`);
    this.shift = shift;
    this.warpedNs = startNs;
  }

  /** Instructions executed by all CPUs so far. */
  get executed(): bigint {
    return this.instructions;
  }

  /** Ends a quantum: `count` instructions were executed. */
  retire(count: number | bigint): void {
    if (count < 0) throw new RangeError('cannot retire a negative number of instructions');
    this.instructions += BigInt(count);
    this.inFlight = 0n;
  }

  /**
   * Inside a quantum, at a device or counter access: `count` instructions of the quantum have
   * executed before the accessing one, so the access sees exact time, as with QEMU's icount.
   */
  setInFlight(count: number | bigint): void {
    this.inFlight = BigInt(count);
  }

  /** QEMU_CLOCK_VIRTUAL in ns. */
  nowNs(): bigint {
    return ((this.instructions + this.inFlight) << BigInt(this.shift)) + this.warpedNs;
  }

  /** The system counter (CNTPCT_EL0) value now. */
  counter(): bigint {
    return this.nowNs() / COUNTER_PERIOD_NS;
  }

  /**
   * The counter as an MRS/MSR of a timer register sees it: QEMU's icount counts that instruction
   * as executed already (an I/O instruction ends its translation block, and a block's instructions
   * are all counted when it is entered), so it reads one instruction later than counter().
   * Timer conditions (ISTATUS, the PPI) change when QEMU's timer fires, after the instruction that
   * reaches the deadline: those stay on counter().
   */
  counterAtAccess(): bigint {
    return this.nsAtAccess() / COUNTER_PERIOD_NS;
  }

  /** QEMU_CLOCK_VIRTUAL in ns as such an I/O instruction sees it (see counterAtAccess). */
  nsAtAccess(): bigint {
    return this.nowNs() + (1n << BigInt(this.shift));
  }

  /** Executed instructions needed until the counter reaches `value` (0 if it already has). */
  instructionsUntilCounter(value: bigint): bigint {
    const ns = value * COUNTER_PERIOD_NS - this.nowNs();
    if (ns <= 0n) return 0n;
    const step = 1n << BigInt(this.shift);
    return (ns + step - 1n) / step;
  }

  /** The counter-polling rule's skip (counter-polling.ts): guest time moves `ns` forward. */
  warpBy(ns: bigint): void {
    if (ns > 0n) this.warpedNs += ns;
  }

  /** Idle warp: jump to the moment the counter reaches `value` (never backwards). */
  warpToCounter(value: bigint): void {
    const ns = value * COUNTER_PERIOD_NS - this.nowNs();
    if (ns > 0n) this.warpedNs += ns;
  }
}
