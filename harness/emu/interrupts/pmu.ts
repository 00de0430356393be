// The two PMU behaviours Unicorn 2.0.1 lacks that kernels check, modelled as QEMU 7.2's
// target/arm/helper.c does them (pmccntr_op_start/finish, pmcr_write, pmswinc_write), through
// the MRS/MSR hook; everything else of the PMU is left to Unicorn's own registers.
// Measured with kernels/pmu (cortex-a57), Unicorn against QEMU:
// - the cycle counter followed the host clock; QEMU counts QEMU_CLOCK_VIRTUAL ns at 1 GHz
//   (ARM_CPU_FREQ), so under --deterministic 8 cycles per instruction. PMCCNTR_EL0 is owned here,
//   from the instruction clock, with PMCR.E/C/D, PMCNTEN[31] and PMCCFILTR_EL0.P as QEMU applies them;
// - PMSWINC_EL0 incremented nothing; here each SW_INCR counter (PMEVTYPERn.evtCount 0) that is
//   enabled gets + 1 in Unicorn's own PMEVCNTRn, and PMOVSSET bit n when bit 31 carries out.
// - PMCR_EL0.LP (bit 7) was not kept; QEMU 7.2 keeps it on every model (PMCR_WRITABLE_MASK);
// - `max` (options.v3p5): QEMU 7.2's aarch64_max_initfn gives FEAT_PMUv3p5, ID_AA64DFR0_EL1.PMUVer
//   and ID_DFR0_EL1.PerfMon 6 (Unicorn: 5). Event counters are then 64 bits (pmevcntr_write/read keep the top half) and
//   overflow at bit 63 under PMCR.LP, at bit 31 otherwise (pmevcntr_is_64_bit; no EL2 here, so
//   MDCR_EL2.HLP/HPMN never apply). Unicorn keeps 32 bits: the top halves are held here, and only
//   SW_INCR carries into them (an event Unicorn counts itself wraps at 32 bits).
// Not modelled (reads as Unicorn has it): PMCR_EL0.N = 4 and IMP/IDCODE (QEMU 0x41013000: N = 6;
// Unicorn's `max` reads IMP 0), PMCEID0's INST_RETIRED (QEMU has it only under -icount) and its
// counting, every other event, the overflow interrupt (PPI 23), EL0 filtering (counted as EL1).
import type { InstructionClock } from './instruction-clock.js';
import { sysregKey, type SysRegId } from './sysreg.js';

const reg = (crn: number, crm: number, op2: number): SysRegId => ({ op0: 3, op1: 3, crn, crm, op2 });
export const PMU_REG = {
  PMCR: reg(9, 12, 0),
  PMCNTENSET: reg(9, 12, 1),
  PMCNTENCLR: reg(9, 12, 2),
  PMOVSSET: reg(9, 14, 3),
  PMSWINC: reg(9, 12, 4),
  PMCCNTR: reg(9, 13, 0),
  PMCCFILTR: reg(14, 15, 7),
  PMSELR: reg(9, 12, 5),
  PMXEVTYPER: reg(9, 13, 1),
  PMXEVCNTR: reg(9, 13, 2),
} as const;
/** The PMU version fields QEMU 7.2's `max` sets to 6 (FEAT_PMUv3p5): ID_AA64DFR0.PMUVer, ID_DFR0.PerfMon. */
const PMU_VERSION_FIELDS = new Map<number, { reg: SysRegId; shift: bigint }>(
  [
    { reg: { op0: 3, op1: 0, crn: 0, crm: 5, op2: 0 }, shift: 8n },
    { reg: { op0: 3, op1: 0, crn: 0, crm: 1, op2: 2 }, shift: 24n },
  ].map((field) => [sysregKey(field.reg), field]),
);
const EVTYPER_KEYS = new Map(Array.from({ length: 31 }, (_, n) => [sysregKey(reg(14, 12 | (n >> 3), n & 7)), n]));
const evcntr = (n: number): SysRegId => reg(14, 8 | (n >> 3), n & 7);
const EVCNTR_KEYS = new Map(Array.from({ length: 31 }, (_, n) => [sysregKey(evcntr(n)), n]));

const K = Object.fromEntries(Object.entries(PMU_REG).map(([name, r]) => [name, sysregKey(r)])) as Record<keyof typeof PMU_REG, number>;
const PMCR_E = 1n;
const PMCR_P = 1n << 1n;
const PMCR_LP = 1n << 7n;
const PMCR_C = 1n << 2n;
const PMCR_D = 1n << 3n;
const PMCR_N_SHIFT = 11n;
const CYCLE_BIT = 1n << 31n;
const U64 = (1n << 64n) - 1n;
const U32 = 0xffff_ffffn;
const PMUVER_V3P5 = 6n;

export interface PmuOptions {
  /** FEAT_PMUv3p5, as QEMU 7.2 gives its `max` CPU only (Unicorn's `max` has PMUv3p4). */
  v3p5: boolean;
}

/** Unicorn's own system registers (Unicorn.sysRegRead / sysRegWrite). */
export interface SysRegAccessors {
  read(reg: SysRegId): bigint;
  write(reg: SysRegId, value: bigint): void;
}

/** What the next op_finish sees of the registers an MSR is about to change. */
interface PmuView {
  pmcr: bigint;
  cnten: bigint;
  filter: bigint;
}

export class PmuModel {
  private ccnt = 0n;
  private delta = 0n;
  /**
   * PMEVTYPERn_EL0 as written (reset 0): Unicorn 2.0.1 cannot read them back through uc_reg_read
   * (no raw read and no field: QEMU's raw_read asserts, measured), so their MSRs are watched.
   */
  private readonly types = new Map<number, bigint>();
  /** PMCR_EL0.LP as written: Unicorn 2.0.1 drops the bit. */
  private lp = 0n;
  /** Bits 63:32 of event counters (PMUv3p5 only), which Unicorn does not keep. */
  private readonly highs = new Map<number, bigint>();

  constructor(
    private readonly clock: InstructionClock,
    private readonly regs: SysRegAccessors,
    private readonly options: PmuOptions = { v3p5: false },
  ) {}

  /** MRS: the registers modelled here (PMCCNTR, PMCR.LP, the PMU version fields, 64-bit event counters), null for the rest (Unicorn answers). */
  readSysreg(r: SysRegId): bigint | null {
    const key = sysregKey(r);
    if (key === K.PMCR) return this.regs.read(PMU_REG.PMCR) | this.lp;
    const version = this.options.v3p5 ? PMU_VERSION_FIELDS.get(key) : undefined;
    if (version) return (this.regs.read(version.reg) & ~(0xfn << version.shift)) | (PMUVER_V3P5 << version.shift);
    const counter = this.options.v3p5 ? this.eventCounterOf(key) : undefined;
    if (counter !== undefined) return this.eventCount(counter);
    if (key !== K.PMCCNTR) return null;
    const view = this.view();
    this.opStart(view);
    const value = this.ccnt;
    this.opFinish(view);
    return value;
  }

  /** MSR: true when handled here (PMCCNTR); PMSWINC and the control registers are acted on, then Unicorn writes them too. */
  writeSysreg(r: SysRegId, value: bigint): boolean {
    const key = sysregKey(r);
    const counter = this.options.v3p5 ? this.eventCounterOf(key) : undefined;
    if (counter !== undefined) {
      // Unicorn writes the low half as before 64-bit counters; the high half is kept here.
      this.highs.set(counter, (value >> 32n) & U32);
      return false;
    }
    const typer = key === K.PMXEVTYPER ? Number(this.regs.read(PMU_REG.PMSELR) & 0x1fn) : EVTYPER_KEYS.get(key);
    if (typer !== undefined) {
      this.types.set(typer, value);
      return false;
    }
    if (key === K.PMSWINC) {
      // Unicorn's own PMSWINC write, which counts nothing, still runs: skipping the MSR would make
      // Unicorn.hookSysInsn ask uc_reg_read about this write-only register, which aborts the process.
      this.softwareIncrement(value);
      return false;
    }
    if (key !== K.PMCCNTR && key !== K.PMCR && key !== K.PMCNTENSET && key !== K.PMCNTENCLR && key !== K.PMCCFILTR) return false;
    const before = this.view();
    this.opStart(before);
    const after = { ...before };
    if (key === K.PMCCNTR) this.ccnt = value & U64;
    if (key === K.PMCR) {
      if (value & PMCR_C) this.ccnt = 0n;
      if (value & PMCR_P) this.highs.clear();
      this.lp = value & PMCR_LP;
      after.pmcr = value;
    }
    if (key === K.PMCNTENSET) after.cnten = before.cnten | value;
    if (key === K.PMCNTENCLR) after.cnten = before.cnten & ~value;
    if (key === K.PMCCFILTR) after.filter = value;
    this.opFinish(after);
    return key === K.PMCCNTR;
  }

  /** The event counter an encoding names (PMEVCNTRn_EL0, or PMXEVCNTR_EL0 through PMSELR), if any. */
  private eventCounterOf(key: number): number | undefined {
    if (key === K.PMXEVCNTR) {
      const selected = Number(this.regs.read(PMU_REG.PMSELR) & 0x1fn);
      return selected < 31 ? selected : undefined;
    }
    return EVCNTR_KEYS.get(key);
  }

  /** An event counter's value: 64 bits with PMUv3p5, Unicorn's 32 otherwise. */
  private eventCount(n: number): bigint {
    const low = this.regs.read(evcntr(n)) & U32;
    return this.options.v3p5 ? ((this.highs.get(n) ?? 0n) << 32n) | low : low;
  }

  private view(): PmuView {
    return { pmcr: this.regs.read(PMU_REG.PMCR), cnten: this.regs.read(PMU_REG.PMCNTENSET), filter: this.regs.read(PMU_REG.PMCCFILTR) };
  }

  /** QEMU cycles_get_count: QEMU_CLOCK_VIRTUAL ns at 1 GHz, as the accessing instruction sees it. */
  private cycles(): bigint {
    return this.clock.nsAtAccess();
  }

  private counting(v: PmuView): boolean {
    return (v.pmcr & PMCR_E) !== 0n && (v.cnten & CYCLE_BIT) !== 0n && (v.filter & (1n << 31n)) === 0n;
  }

  private opStart(v: PmuView): void {
    const cycles = this.cycles();
    if (this.counting(v)) this.ccnt = ((v.pmcr & PMCR_D ? cycles / 64n : cycles) - this.delta) & U64;
    this.delta = cycles;
  }

  private opFinish(v: PmuView): void {
    if (!this.counting(v)) return;
    const prev = v.pmcr & PMCR_D ? this.delta / 64n : this.delta;
    this.delta = (prev - this.ccnt) & U64;
  }

  private softwareIncrement(value: bigint): void {
    const pmcr = this.regs.read(PMU_REG.PMCR);
    if ((pmcr & PMCR_E) === 0n) return;
    const cnten = this.regs.read(PMU_REG.PMCNTENSET);
    const counters = Number((pmcr >> PMCR_N_SHIFT) & 0x1fn);
    for (let n = 0; n < counters; n++) {
      const bit = 1n << BigInt(n);
      if ((value & bit) === 0n || (cnten & bit) === 0n) continue;
      const type = this.types.get(n) ?? 0n;
      if ((type & 0xffffn) !== 0n || (type & (1n << 31n)) !== 0n) continue; // not SW_INCR, or EL1 filtered
      // pmswinc_write: with PMUv3p5 the count is 64 bits, overflowing at bit 63 only under PMCR.LP.
      const old = this.eventCount(n);
      const next = (old + 1n) & (this.options.v3p5 ? U64 : U32);
      this.regs.write(evcntr(n), next & U32);
      if (this.options.v3p5) this.highs.set(n, next >> 32n);
      const overflowBit = this.options.v3p5 && this.lp ? 1n << 63n : 1n << 31n;
      if (old & ~next & overflowBit) this.regs.write(PMU_REG.PMOVSSET, bit);
    }
  }
}
