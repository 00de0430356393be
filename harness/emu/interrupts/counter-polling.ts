// The polling rule: deterministic time for a guest that busy-waits on the generic timer.
//
// kvm-unit-tests' delay()/mdelay() spins `yield; isb; mrs xN, cntvct_el0; sub; cmp; b.lo` until the
// counter has moved far enough, and its timer test spins on CNTV_CTL/CNTV_TVAL until the timer
// fires. Guest time advances 8 ns per instruction (instruction-clock.ts) while each hooked MRS
// costs ~5 us of host time, so 100 ms of mdelay took ~12 s (QEMU: 100 ms). The rule depends on
// nothing but the instructions executed (same bytes, same result):
//
//   A read of the counter (CNTVCT_EL0, CNTPCT_EL0) or of a timer's state (CNTV/CNTP_CTL_EL0,
//   _TVAL_EL0) at pc P is a *poll* when P lies in a *poll loop* and the previous such read was
//   at P exactly one trip round it earlier (as many instructions as the loop has) with no device
//   (MMIO) access in between. A poll loop (`pollLoopLength`) is straight code [T, B]: B the first
//   branch at or after P (at most POLL_MAX_INSTRUCTIONS on), a B / B.cond / CBZ / TBZ back to
//   T <= P, and every instruction in it without effects beyond registers and the stack
//   (`isPollInstruction`: data processing, branches, NOP/YIELD/ISB/DMB/DSB, loads (load-acquire
//   too), stores based on SP, generic-timer reads; no other store, system register, exclusive or
//   exception). From
//   the POLL_WARMUP-th consecutive poll on, guest time first moves forward: for a counter read by
//   POLL_STEP_NS, or less to stop at the next timer deadline; for a timer-state read straight to
//   the next timer deadline (none armed: no skip).
//
// With one CPU, until the next timer deadline nothing but the loop itself can change what it
// reads: the skip only makes the wait cheaper (a counter wait ends at most POLL_STEP_NS late),
// never changes what the loop computes, and timer interrupts still fire at their exact deadline.
// With several, turns never interleave, so the same holds until the CPU's turn ends: skips stop
// there, and count toward the turn (engine-hooks.ts skipWithinRun). Pure (the engine side is in
// engine-hooks.ts).

/** Guest time one poll skips: 25 us = 3125 instructions at shift 3 (a poll iteration is ~6). */
export const POLL_STEP_NS = 25_000n;
/** Consecutive polls before the rule applies (two reads, then a third that confirms the loop). */
export const POLL_WARMUP = 2;
/** The longest loop (instructions from one read to the next) that counts as polling. */
export const POLL_MAX_INSTRUCTIONS = 32;

/** CNTVCT_EL0 (op2 2) / CNTPCT_EL0 (op2 1): op0 3, op1 3, CRn 14, CRm 0. */
export function isCounterRead(enc: { op0: number; op1: number; crn: number; crm: number; op2: number }): boolean {
  return enc.op0 === 3 && enc.op1 === 3 && enc.crn === 14 && enc.crm === 0 && (enc.op2 === 1 || enc.op2 === 2);
}

/** CNTP_/CNTV_ TVAL (op2 0) and CTL (op2 1): op0 3, op1 3, CRn 14, CRm 2 / 3. */
export function isTimerStateRead(enc: { op0: number; op1: number; crn: number; crm: number; op2: number }): boolean {
  return enc.op0 === 3 && enc.op1 === 3 && enc.crn === 14 && (enc.crm === 2 || enc.crm === 3) && (enc.op2 === 0 || enc.op2 === 1);
}

/** MRS of CNTFRQ, CNTPCT, CNTVCT, CNTP_/CNTV_ TVAL, CTL, CVAL (Rt cleared). */
const GENERIC_TIMER_READS = new Set([
  0xd53be000, 0xd53be020, 0xd53be040, 0xd53be200, 0xd53be220, 0xd53be240, 0xd53be300, 0xd53be320, 0xd53be340,
]);

/** Whether an A64 instruction word has no effect beyond registers, flags and the stack (see the rule). */
export function isPollInstruction(word: number): boolean {
  const w = word >>> 0;
  // `&` gives a signed 32-bit result: compare masked values as unsigned.
  const masked = (mask: number) => (w & mask) >>> 0;
  // Data processing, immediate (op0 100x) and register (x101): no memory, no system state.
  if (((w >>> 26) & 0b111) === 0b100) return true;
  if (((w >>> 25) & 0b111) === 0b101) return true;
  // B (not BL), B.cond, CBZ/CBNZ, TBZ/TBNZ.
  if (masked(0xfc00_0000) === 0x1400_0000) return true;
  if (masked(0xff00_0010) === 0x5400_0000) return true;
  if (masked(0x7e00_0000) === 0x3400_0000 || masked(0x7e00_0000) === 0x3600_0000) return true;
  // BL; BR, BLR, RET (any register).
  if (masked(0xfc00_0000) === 0x9400_0000) return true;
  if ([0xd61f_0000, 0xd63f_0000, 0xd65f_0000].includes(masked(0xffff_fc1f))) return true;
  // Loads and stores (op0 x1x0): general-register loads; stores only with SP as the base.
  if (masked(0x0a00_0000) === 0x0800_0000) return isPollLoadStore(w);
  // NOP, YIELD; ISB, DSB, DMB (any option).
  if (w === 0xd503_201f || w === 0xd503_203f) return true;
  if (masked(0xffff_f01f) === 0xd503_301f && [4, 5, 6].includes((w >>> 5) & 7)) return true;
  return GENERIC_TIMER_READS.has(masked(0xffff_ffe0));
}

/** The word without its size (bits 31:30) and registers (Rn, Rt). */
function masked3ffffc00(w: number): number {
  return (w & 0x3fff_fc00) >>> 0;
}

function isPollLoadStore(w: number): boolean {
  // Load-acquire (LDAR, LDARB/H) and load-acquire RCpc (LDAPR*, in the atomics' encoding space):
  // a load with ordering only, as a flag wait reads (smp_load_acquire). Exclusives (LDXR/LDAXR
  // set the monitor) are not polling.
  if (masked3ffffc00(w) === 0x08df_fc00 || masked3ffffc00(w) === 0x38bf_c000) return true;
  if ((w >>> 26) & 1) return false; // SIMD&FP
  const group = (w >>> 27) & 7; // bits 29:27
  const baseIsSp = ((w >>> 5) & 31) === 31;
  // Pairs (LDP/STP, any addressing): bit 22 = load.
  if (group === 0b101) return ((w >>> 22) & 1) === 1 || baseIsSp;
  if (group === 0b111) {
    // Atomic memory operations (bits 25:24 = 00, bit 21 = 1, bits 11:10 = 00) change memory.
    if (((w >>> 24) & 3) === 0 && ((w >>> 21) & 1) === 1 && ((w >>> 10) & 3) === 0) return false;
    // Single registers: opc (bits 23:22) 00 = store, else a load (or prefetch).
    return ((w >>> 22) & 3) !== 0 || baseIsSp;
  }
  // Load literal; the rest are not polling.
  return group === 0b011 && ((w >>> 24) & 3) === 0;
}

export interface PollObservation {
  /** pc of this counter read. */
  pc: bigint;
  /** Instructions executed by this CPU before this read (any monotonic count). */
  stamp: bigint;
  /** Device (MMIO) accesses so far (any monotonic count). */
  deviceAccesses: number;
  /** A timer-state read (skips to the deadline) rather than a counter read (bounded step). */
  timerState: boolean;
  /** The instruction words at an address (null: not readable). */
  wordsAt: (address: bigint, bytes: number) => Uint32Array | null;
}

/** Decides, read by read, how far guest time skips before the read (0n: not a poll). */
export class CounterPolling {
  private lastPc: bigint | null = null;
  private lastStamp = 0n;
  private lastDevices = -1;
  private consecutive = 0;
  /** Polls that skipped time, and the guest ns skipped: run details and benchmarks. */
  polls = 0;
  skippedNs = 0n;

  /**
   * `untilDeadlineNs`: guest ns to the next timer deadline (null: none armed). Returns the ns to
   * move the clock forward before answering this read.
   */
  observe(read: PollObservation, untilDeadlineNs: bigint | null): bigint {
    const isPoll =
      this.lastPc === read.pc &&
      read.deviceAccesses === this.lastDevices &&
      read.stamp - this.lastStamp === BigInt(pollLoopLength(read.pc, read.wordsAt) ?? -1);
    this.consecutive = isPoll ? this.consecutive + 1 : 0;
    this.lastPc = read.pc;
    this.lastStamp = read.stamp;
    this.lastDevices = read.deviceAccesses;
    if (this.consecutive < POLL_WARMUP) return 0n;
    let step = read.timerState ? (untilDeadlineNs ?? 0n) : POLL_STEP_NS;
    if (untilDeadlineNs !== null && untilDeadlineNs < step) step = untilDeadlineNs;
    if (step < 0n) step = 0n;
    if (step > 0n) {
      this.polls++;
      this.skippedNs += step;
    }
    return step;
  }
}

/**
 * The instructions of the poll loop holding the read at `pc` (see the rule), or null when it is
 * in none. Pure given `wordsAt`.
 */
export function pollLoopLength(pc: bigint, wordsAt: PollObservation['wordsAt']): number | null {
  const ahead = wordsAt(pc, POLL_MAX_INSTRUCTIONS * 4);
  if (!ahead) return null;
  let end = -1;
  for (let i = 0; i < ahead.length; i++) {
    if (isBranch(ahead[i]!)) {
      end = i;
      break;
    }
  }
  if (end < 0) return null;
  const branchAt = pc + BigInt(end * 4);
  const target = branchTarget(ahead[end]!, branchAt);
  if (target === null || target > pc || branchAt - target >= BigInt(POLL_MAX_INSTRUCTIONS * 4)) return null;
  const length = Number((branchAt - target) / 4n) + 1;
  const body = wordsAt(target, length * 4);
  if (!body?.every(isPollInstruction)) return null;
  return length;
}

/** B, B.cond, CBZ/CBNZ, TBZ/TBNZ, BL, BR/BLR/RET: the instructions that end straight code. */
function isBranch(word: number): boolean {
  const w = word >>> 0;
  return ((w >>> 26) & 0b111) === 0b101 && !(w >>> 22 === 0x354); // not hints/barriers/system (d5xx)
}

/** The target of a direct branch back into a loop (B, B.cond, CBZ/CBNZ, TBZ/TBNZ), else null. */
function branchTarget(word: number, at: bigint): bigint | null {
  const w = word >>> 0;
  const signed = (value: number, bits: number) => BigInt((value << (32 - bits)) >> (32 - bits));
  if ((w & 0xfc00_0000) >>> 0 === 0x1400_0000) return at + signed(w & 0x3ff_ffff, 26) * 4n;
  if ((w & 0xff00_0010) >>> 0 === 0x5400_0000) return at + signed((w >>> 5) & 0x7_ffff, 19) * 4n;
  if ((w & 0x7e00_0000) >>> 0 === 0x3400_0000) return at + signed((w >>> 5) & 0x7_ffff, 19) * 4n;
  if ((w & 0x7e00_0000) >>> 0 === 0x3600_0000) return at + signed((w >>> 5) & 0x3fff, 14) * 4n;
  return null;
}
