// GICv3 distributor, redistributors and CPU interface (ICC_*_EL1) as QEMU 7.2's
// hw/intc/arm_gicv3{,_dist,_redist,_cpuif}.c behave on `-M virt,gic-version=3` for a kernel at
// non-secure EL1: no security extensions (GICD_CTLR.DS = 1, ARE = 1), 5 priority bits, 288
// interrupt IDs, LPIs advertised (virt 7.2 has an ITS) but not modelled. Group 0 is signalled as
// FIQ and Group 1 as IRQ. Values marked "measured" were read from QEMU 7.2.22 by the probe
// kernel in test/unit/gic-qemu.test.ts.
import { GIC_INTERNAL, IIDR_ARM, NR_SGIS, SPURIOUS, idRegister } from './gic-ids.js';
import { ICC } from './sysreg.js';

const PRI_BITS = 5;
/** icc_min_bpr: 7 - (PRIbits - 1) - 1 = 2 with 5 priority bits. */
const MIN_BPR = 7 - PRI_BITS;
const PRIO_IDLE = 0xff;

const G0 = 0;
const G1NS = 1;

const GICD_CTLR_EN_GRP0 = 1 << 0;
const GICD_CTLR_EN_GRP1NS = 1 << 1;
/** ARE (bit 4) and DS (bit 6) read as one with no security extensions (measured reset 0x50). */
const GICD_CTLR_FIXED = 0x50;
/** No1N, A3V, IDbits = 15, LPIS (measured 0x037a0007 on virt; ITLinesNumber reads 7 although SPIs up to 287 exist). */
const GICD_TYPER_VIRT = 0x037a_0007;
const GICD_ID = [0x44, 0x00, 0x00, 0x00, 0x92, 0xb4, 0x3b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];
const GICR_ID = [0x44, 0x00, 0x00, 0x00, 0x93, 0xb4, 0x3b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];
/** GICR_CTLR reads with CES (bit 1) set (measured 0x2). */
const GICR_CTLR_CES = 1 << 1;
const WAKER_PROCESSOR_SLEEP = 1 << 1;
const WAKER_CHILDREN_ASLEEP = 1 << 2;
/** ICC_CTLR_EL1: A3V, IDbits = 24-bit, PRIbits = 4 (5 bits) read-only; CBPR and EOImode writable (measured 0x8c00 / 0x8c03). */
const ICC_CTLR_FIXED = 0x8c00;
const ICC_CTLR_CBPR = 1 << 0;
const ICC_CTLR_EOIMODE = 1 << 1;
/** ICC_SRE_EL1: SRE, DFB, DIB all read as one (measured 7). */
const ICC_SRE_VALUE = 7;

/** The virt memory windows: 64 KiB distributor, two 64 KiB frames per redistributor. */
export const GICV3_DIST_SIZE = 0x1_0000;
export const GICV3_REDIST_STRIDE = 0x2_0000;

export interface GicV3Options {
  cpus: number;
  /** SGIs + PPIs + SPIs; QEMU virt uses 288. */
  irqs?: number;
  /** MPIDR affinity of each CPU (Aff3.Aff2.Aff1.Aff0 packed as in GICR_TYPER[63:32]); default virt's: Aff1 = cpu / 16, Aff0 = cpu % 16. */
  affinity?: (cpu: number) => number;
}

/** QEMU virt's CPU affinity with a GICv3: clusters of 16 (GICV3_TARGETLIST_BITS). */
export const virtGicV3Affinity = (cpu: number): number => (Math.floor(cpu / 16) << 8) | (cpu % 16);

interface Hppi {
  irq: number;
  prio: number;
  grp: number;
}

class Redistributor {
  ctlr = 0;
  waker = WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP;
  group = 0;
  enabled = 0;
  pending = 0;
  active = 0;
  level = 0;
  /** SGIs are always edge-triggered; PPIs reset level-sensitive. */
  edge = 0xffff;
  grpmod = 0;
  nsacr = 0;
  readonly priority = new Uint8Array(GIC_INTERNAL);
  propbaser = 0n;
  pendbaser = 0n;
  // CPU interface
  pmr = 0;
  bpr = [MIN_BPR, MIN_BPR + 1];
  iccCtlr = ICC_CTLR_FIXED;
  igrpen = [0, 0];
  apr = [0, 0];
  hppi: Hppi = { irq: SPURIOUS, prio: PRIO_IDLE, grp: G0 };
  irqOut = false;
  fiqOut = false;
  constructor(
    readonly typer: bigint,
    readonly affinity: number,
  ) {}
}

export class GicV3 {
  readonly cpus: number;
  readonly irqs: number;
  private ctlr = GICD_CTLR_FIXED;
  private readonly group: Uint8Array;
  private readonly enabled: Uint8Array;
  private readonly pending: Uint8Array;
  private readonly active: Uint8Array;
  private readonly level: Uint8Array;
  private readonly edge: Uint8Array;
  private readonly grpmod: Uint8Array;
  private readonly priority: Uint8Array;
  private readonly router: BigUint64Array;
  private readonly rd: Redistributor[];

  constructor(options: GicV3Options) {
    const { cpus } = options;
    const irqs = options.irqs ?? 288;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 512) throw new RangeError(`GICv3 CPU count ${cpus} is out of range`);
    if (irqs % 32 !== 0 || irqs < 32 || irqs > 1020)
      throw new RangeError(`GICv3 interrupt count ${irqs} must be a multiple of 32 in 32..1020`);
    this.cpus = cpus;
    this.irqs = irqs;
    this.group = new Uint8Array(irqs);
    this.enabled = new Uint8Array(irqs);
    this.pending = new Uint8Array(irqs);
    this.active = new Uint8Array(irqs);
    this.level = new Uint8Array(irqs);
    this.edge = new Uint8Array(irqs);
    this.grpmod = new Uint8Array(irqs);
    this.priority = new Uint8Array(irqs);
    this.router = new BigUint64Array(irqs);
    const affinity = options.affinity ?? virtGicV3Affinity;
    this.rd = Array.from({ length: cpus }, (_, cpu) => {
      const aff = affinity(cpu) >>> 0;
      const last = cpu === cpus - 1 ? 1 : 0;
      // CommonLPIAff = 1, Processor_Number, Last, PLPIS (virt's ITS) -- measured 0x01000011 / 0x01000001.
      const typer = (BigInt(aff) << 32n) | BigInt((1 << 24) | (cpu << 8) | (last << 4) | 1);
      return new Redistributor(typer, aff);
    });
  }

  irqLine(cpu: number): boolean {
    return this.rd[cpu]!.irqOut;
  }

  fiqLine(cpu: number): boolean {
    return this.rd[cpu]!.fiqOut;
  }

  /** A PPI input (16..31) of one CPU, e.g. its timers. */
  setPrivateLevel(cpu: number, intid: number, level: boolean): void {
    if (intid < NR_SGIS || intid >= GIC_INTERNAL) throw new RangeError(`PPI ${intid} is not in 16..31`);
    const cs = this.rd[cpu]!;
    const b = 1 << intid;
    if (level === ((cs.level & b) !== 0)) return;
    cs.level = level ? cs.level | b : cs.level & ~b;
    if (level && cs.edge & b) cs.pending |= b;
    this.update();
  }

  setSharedLevel(intid: number, level: boolean): void {
    if (intid < GIC_INTERNAL || intid >= this.irqs) throw new RangeError(`SPI ${intid} is not in 32..${this.irqs - 1}`);
    if (level === (this.level[intid] === 1)) return;
    this.level[intid] = level ? 1 : 0;
    if (level && this.edge[intid]) this.pending[intid] = 1;
    this.update();
  }

  // ------------------------------------------------------------ delivery

  private groupEnabled(grp: number): boolean {
    return (this.ctlr & (grp === G0 ? GICD_CTLR_EN_GRP0 : GICD_CTLR_EN_GRP1NS)) !== 0;
  }

  /** The CPU an SPI is routed to, or -1 (IRM = 1 "1 of N" is not supported by QEMU). */
  private routedCpu(irq: number): number {
    const r = this.router[irq]!;
    if (r & (1n << 31n)) return -1;
    const packed = ((Number((r >> 32n) & 0xffn) << 24) | Number(r & 0xff_ffffn)) >>> 0;
    return this.rd.findIndex((cs) => cs.affinity === packed);
  }

  /**
   * A CPU reset (PSCI CPU_ON of a CPU that ran before): the ICC_* registers are the CPU's, so
   * QEMU's cpu_reset puts them back (hw/intc/arm_gicv3_cpuif.c icc_reset); the redistributor keeps its state.
   */
  resetCpuInterface(cpu: number): void {
    const cs = this.rd[cpu]!;
    cs.pmr = 0;
    cs.bpr = [MIN_BPR, MIN_BPR + 1];
    cs.iccCtlr = ICC_CTLR_FIXED;
    cs.igrpen = [0, 0];
    cs.apr = [0, 0];
    this.update();
  }

  private update(): void {
    const spiTarget = new Int16Array(this.irqs);
    for (let irq = GIC_INTERNAL; irq < this.irqs; irq++) spiTarget[irq] = this.routedCpu(irq);
    this.rd.forEach((cs, cpu) => {
      let best: Hppi = { irq: SPURIOUS, prio: PRIO_IDLE, grp: G0 };
      const pend = (cs.pending | (~cs.edge & cs.level)) & cs.enabled & ~cs.active;
      for (let irq = 0; irq < GIC_INTERNAL; irq++) {
        if (!(pend & (1 << irq))) continue;
        const grp = (cs.group >>> irq) & 1;
        if (this.groupEnabled(grp) && cs.priority[irq]! < best.prio) best = { irq, prio: cs.priority[irq]!, grp };
      }
      for (let irq = GIC_INTERNAL; irq < this.irqs; irq++) {
        if (spiTarget[irq] !== cpu || !this.enabled[irq] || this.active[irq]) continue;
        if (!this.pending[irq] && !(this.level[irq] && !this.edge[irq])) continue;
        const grp = this.group[irq]!;
        if (this.groupEnabled(grp) && this.priority[irq]! < best.prio) best = { irq, prio: this.priority[irq]!, grp };
      }
      cs.hppi = best;
      const signal = this.canPreempt(cs);
      cs.fiqOut = signal && best.grp === G0;
      cs.irqOut = signal && best.grp === G1NS;
    });
  }

  private gprioMask(cs: Redistributor, grp: number): number {
    let group = grp;
    if (group === G1NS && cs.iccCtlr & ICC_CTLR_CBPR) group = G0;
    let bpr = cs.bpr[group]! & 7;
    if (group === G1NS) bpr--;
    return (~0 << (bpr + 1)) & 0xff;
  }

  private highestActivePrio(cs: Redistributor): number {
    const apr = (cs.apr[G0]! | cs.apr[G1NS]!) >>> 0;
    if (!apr) return PRIO_IDLE;
    return (31 - Math.clz32(apr & -apr)) << (MIN_BPR + 1);
  }

  private highestActiveGroup(cs: Redistributor): number {
    const g0 = cs.apr[G0]! >>> 0;
    const g1 = cs.apr[G1NS]! >>> 0;
    if (!g0 && !g1) return -1;
    const low = (v: number) => (v ? 31 - Math.clz32(v & -v) : 32);
    return low(g0) <= low(g1) ? G0 : G1NS;
  }

  private canPreempt(cs: Redistributor): boolean {
    if (cs.hppi.prio === PRIO_IDLE || !cs.igrpen[cs.hppi.grp]) return false;
    if (cs.hppi.prio >= cs.pmr) return false;
    const rprio = this.highestActivePrio(cs);
    if (rprio === PRIO_IDLE) return true;
    const mask = this.gprioMask(cs, cs.hppi.grp);
    return (cs.hppi.prio & mask) < (rprio & mask);
  }

  private acknowledge(cpu: number, grp: number): number {
    const cs = this.rd[cpu]!;
    if (!this.canPreempt(cs) || cs.hppi.grp !== grp) return SPURIOUS;
    const { irq } = cs.hppi;
    const prio = cs.hppi.prio & this.gprioMask(cs, grp);
    cs.apr[grp]! |= 1 << (prio >> (8 - PRI_BITS));
    if (irq < GIC_INTERNAL) {
      cs.active |= 1 << irq;
      cs.pending &= ~(1 << irq);
    } else {
      this.active[irq] = 1;
      this.pending[irq] = 0;
    }
    this.update();
    return irq;
  }

  private deactivate(cpu: number, irq: number): void {
    if (irq < GIC_INTERNAL) this.rd[cpu]!.active &= ~(1 << irq);
    else if (irq < this.irqs) this.active[irq] = 0;
  }

  private endOfInterrupt(cpu: number, grp: number, value: bigint): void {
    const irq = Number(value & 0xff_ffffn);
    if (irq >= 1020) return;
    const cs = this.rd[cpu]!;
    if (this.highestActiveGroup(cs) !== grp) return;
    const apr = cs.apr[grp]!;
    cs.apr[grp] = apr & (apr - 1);
    if (!(cs.iccCtlr & ICC_CTLR_EOIMODE)) this.deactivate(cpu, irq);
    this.update();
  }

  /** ICC_SGI1R / ICC_SGI0R / ICC_ASGI1R: target list within Aff3.Aff2.Aff1, or all but self. */
  private generateSgi(cpu: number, grp: number, value: bigint): void {
    const targets = Number(value & 0xffffn);
    const irq = Number((value >> 24n) & 0xfn);
    const irm = (value >> 40n) & 1n;
    const aff = (Number((value >> 48n) & 0xffn) << 16) | (Number((value >> 32n) & 0xffn) << 8) | Number((value >> 16n) & 0xffn);
    this.rd.forEach((ocs, other) => {
      if (irm) {
        if (other === cpu) return;
      } else {
        if (ocs.affinity >>> 8 !== aff) return;
        const aff0 = ocs.affinity & 0xff;
        if (aff0 > 15 || !((targets >> aff0) & 1)) return;
      }
      // gicv3_redist_send_sgi: the SGI is accepted only in the group it is configured in.
      if (((ocs.group >>> irq) & 1) !== grp) return;
      ocs.pending |= 1 << irq;
    });
    this.update();
  }

  // ------------------------------------------------------------ ICC_* system registers

  /** MRS of an ICC register by `cpu`; null when the encoding is not an ICC register modelled here. */
  readSysreg(cpu: number, key: number): bigint | null {
    const cs = this.rd[cpu]!;
    switch (key) {
      case ICC.PMR:
        return BigInt(cs.pmr);
      case ICC.IAR0:
        return BigInt(this.acknowledge(cpu, G0));
      case ICC.IAR1:
        return BigInt(this.acknowledge(cpu, G1NS));
      case ICC.HPPIR0:
        return BigInt(cs.hppi.prio !== PRIO_IDLE && cs.hppi.grp === G0 ? cs.hppi.irq : SPURIOUS);
      case ICC.HPPIR1:
        return BigInt(cs.hppi.prio !== PRIO_IDLE && cs.hppi.grp === G1NS ? cs.hppi.irq : SPURIOUS);
      case ICC.BPR0:
        return BigInt(cs.bpr[G0]!);
      case ICC.BPR1:
        return BigInt(cs.iccCtlr & ICC_CTLR_CBPR ? Math.min(cs.bpr[G0]! + 1, 7) : cs.bpr[G1NS]!);
      case ICC.AP0R0:
        return BigInt(cs.apr[G0]! >>> 0);
      case ICC.AP1R0:
        return BigInt(cs.apr[G1NS]! >>> 0);
      case ICC.RPR:
        return BigInt(this.highestActivePrio(cs));
      case ICC.CTLR:
        return BigInt(cs.iccCtlr);
      case ICC.SRE:
        return BigInt(ICC_SRE_VALUE);
      case ICC.IGRPEN0:
        return BigInt(cs.igrpen[G0]!);
      case ICC.IGRPEN1:
        return BigInt(cs.igrpen[G1NS]!);
      default:
        return null; // includes the write-only EOIR/DIR/SGI registers: reading them is UNDEF in QEMU too
    }
  }

  /** MSR of an ICC register; false when the encoding is not one modelled here. */
  writeSysreg(cpu: number, key: number, value: bigint): boolean {
    const cs = this.rd[cpu]!;
    const low = Number(value & 0xffff_ffffn);
    switch (key) {
      case ICC.PMR:
        cs.pmr = low & 0xff & ~((1 << (8 - PRI_BITS)) - 1);
        break;
      case ICC.EOIR0:
        this.endOfInterrupt(cpu, G0, value);
        return true;
      case ICC.EOIR1:
        this.endOfInterrupt(cpu, G1NS, value);
        return true;
      case ICC.DIR:
        if (cs.iccCtlr & ICC_CTLR_EOIMODE) this.deactivate(cpu, low & 0xff_ffff);
        break;
      case ICC.BPR0:
        cs.bpr[G0] = Math.max(low & 7, MIN_BPR);
        break;
      case ICC.BPR1:
        if (!(cs.iccCtlr & ICC_CTLR_CBPR)) cs.bpr[G1NS] = Math.max(low & 7, MIN_BPR + 1);
        break;
      case ICC.AP0R0:
        cs.apr[G0] = low;
        break;
      case ICC.AP1R0:
        cs.apr[G1NS] = low;
        break;
      case ICC.CTLR:
        cs.iccCtlr = ICC_CTLR_FIXED | (low & (ICC_CTLR_CBPR | ICC_CTLR_EOIMODE));
        break;
      case ICC.SRE:
        break;
      case ICC.IGRPEN0:
        cs.igrpen[G0] = low & 1;
        break;
      case ICC.IGRPEN1:
        cs.igrpen[G1NS] = low & 1;
        break;
      case ICC.SGI1R:
        this.generateSgi(cpu, G1NS, value);
        return true;
      case ICC.SGI0R:
      case ICC.ASGI1R: // Secure Group 1 is Group 0 when DS = 1
        this.generateSgi(cpu, G0, value);
        return true;
      default:
        return false; // includes the read-only IAR/HPPIR/RPR: writing them is UNDEF in QEMU too
    }
    this.update();
    return true;
  }

  // ------------------------------------------------------------ distributor MMIO

  readDistributor(_cpu: number, offset: number, size: number): bigint {
    if (offset >= 0x6000 && offset < 0x7fe0) {
      const irq = (offset - 0x6000) >> 3;
      const value = irq >= GIC_INTERNAL && irq < this.irqs ? this.router[irq]! : 0n;
      return size === 8 ? value : (value >> BigInt(8 * (offset & 7))) & 0xffff_ffffn;
    }
    if (offset === 0x0000) return BigInt(this.ctlr);
    if (offset === 0x0004) return BigInt(GICD_TYPER_VIRT);
    if (offset === 0x0008) return BigInt(IIDR_ARM);
    if (offset >= 0xffd0) return BigInt(idRegister(GICD_ID, offset, 0xffd0));
    if (offset >= 0x0080 && offset < 0x0400) {
      const reg = offset & 0x7f;
      const irq = (reg >> 2) * 32;
      if (irq < GIC_INTERNAL || irq >= this.irqs) return 0n; // private interrupts live in the redistributors (ARE = 1)
      const pick = [
        (i: number) => this.group[i] === 1,
        (i: number) => this.enabled[i] === 1,
        (i: number) => this.enabled[i] === 1,
        (i: number) => this.pending[i] === 1 || (this.level[i] === 1 && !this.edge[i]),
        (i: number) => this.pending[i] === 1 || (this.level[i] === 1 && !this.edge[i]),
        (i: number) => this.active[i] === 1,
        (i: number) => this.active[i] === 1,
      ][(offset >> 7) - 1]!;
      let value = 0;
      for (let i = 0; i < 32; i++) if (pick(irq + i)) value |= 1 << i;
      return BigInt(value >>> 0);
    }
    if (offset >= 0x0400 && offset < 0x0800) {
      let value = 0n;
      for (let i = 0; i < size; i++) {
        const irq = offset - 0x400 + i;
        if (irq >= GIC_INTERNAL && irq < this.irqs) value |= BigInt(this.priority[irq]!) << BigInt(8 * i);
      }
      return value;
    }
    if (offset >= 0x0c00 && offset < 0x0d00) {
      const irq = ((offset - 0xc00) >> 2) * 16;
      if (irq < GIC_INTERNAL || irq >= this.irqs) return 0n;
      let value = 0;
      for (let i = 0; i < 16; i++) if (this.edge[irq + i]) value |= 2 << (2 * i);
      return BigInt(value >>> 0);
    }
    if (offset >= 0x0d00 && offset < 0x0d80) {
      const irq = ((offset - 0xd00) >> 2) * 32;
      if (irq < GIC_INTERNAL || irq >= this.irqs) return 0n;
      let value = 0;
      for (let i = 0; i < 32; i++) if (this.grpmod[irq + i]) value |= 1 << i;
      return BigInt(value >>> 0);
    }
    return 0n; // ITARGETSR, SGIR, CPENDSGIR/SPENDSGIR are RAZ/WI with ARE = 1 (measured 0)
  }

  writeDistributor(_cpu: number, offset: number, size: number, value: bigint): void {
    if (offset >= 0x6000 && offset < 0x7fe0) {
      const irq = (offset - 0x6000) >> 3;
      if (irq < GIC_INTERNAL || irq >= this.irqs) return;
      if (size === 8) this.router[irq] = value;
      else {
        const shift = BigInt(8 * (offset & 7));
        this.router[irq] = (this.router[irq]! & ~(0xffff_ffffn << shift)) | ((value & 0xffff_ffffn) << shift);
      }
      this.update();
      return;
    }
    const v = Number(value & 0xffff_ffffn);
    if (offset === 0x0000) {
      this.ctlr = GICD_CTLR_FIXED | (v & (GICD_CTLR_EN_GRP0 | GICD_CTLR_EN_GRP1NS));
    } else if (offset >= 0x0080 && offset < 0x0400) {
      const irq = ((offset & 0x7f) >> 2) * 32;
      if (irq < GIC_INTERNAL || irq >= this.irqs) return;
      const kind = (offset >> 7) - 1;
      for (let i = 0; i < 32; i++) {
        const set = ((v >>> i) & 1) === 1;
        const n = irq + i;
        switch (kind) {
          case 0:
            this.group[n] = set ? 1 : 0;
            break;
          case 1:
            if (set) this.enabled[n] = 1;
            break;
          case 2:
            if (set) this.enabled[n] = 0;
            break;
          case 3:
            if (set) this.pending[n] = 1;
            break;
          case 4:
            if (set) this.pending[n] = 0;
            break;
          case 5:
            if (set) this.active[n] = 1;
            break;
          case 6:
            if (set) this.active[n] = 0;
            break;
        }
      }
    } else if (offset >= 0x0400 && offset < 0x0800) {
      for (let i = 0; i < size; i++) {
        const irq = offset - 0x400 + i;
        if (irq >= GIC_INTERNAL && irq < this.irqs) this.priority[irq] = (v >>> (8 * i)) & 0xff;
      }
    } else if (offset >= 0x0c00 && offset < 0x0d00) {
      const irq = ((offset - 0xc00) >> 2) * 16;
      if (irq < GIC_INTERNAL || irq >= this.irqs) return;
      for (let i = 0; i < 16; i++) this.edge[irq + i] = (v >>> (2 * i + 1)) & 1;
    } else if (offset >= 0x0d00 && offset < 0x0d80) {
      const irq = ((offset - 0xd00) >> 2) * 32;
      if (irq < GIC_INTERNAL || irq >= this.irqs) return;
      for (let i = 0; i < 32; i++) this.grpmod[irq + i] = (v >>> i) & 1;
    } else {
      return;
    }
    this.update();
  }

  // ------------------------------------------------------------ redistributor MMIO

  /** offset is relative to the redistributor region (virt: 0x080a0000); CPU n's frames start at n * 0x20000. */
  readRedistributor(_cpu: number, offset: number, size: number): bigint {
    const index = Math.floor(offset / GICV3_REDIST_STRIDE);
    const cs = this.rd[index];
    if (!cs) return 0n;
    const local = offset % GICV3_REDIST_STRIDE;
    if (local < 0x1_0000) {
      switch (local & ~3) {
        case 0x0000:
          return BigInt(cs.ctlr | GICR_CTLR_CES);
        case 0x0004:
          return BigInt(IIDR_ARM);
        case 0x0008:
          return size === 8 ? cs.typer : cs.typer & 0xffff_ffffn;
        case 0x000c:
          return cs.typer >> 32n;
        case 0x0014:
          return BigInt(cs.waker);
        case 0x0070:
          return this.sized(cs.propbaser, local, size);
        case 0x0074:
          return cs.propbaser >> 32n;
        case 0x0078:
          return this.sized(cs.pendbaser, local, size);
        case 0x007c:
          return cs.pendbaser >> 32n;
      }
      return local >= 0xffd0 ? BigInt(idRegister(GICR_ID, local, 0xffd0)) : 0n;
    }
    const sgi = local - 0x1_0000;
    const pendingView = (cs.pending | (~cs.edge & cs.level)) >>> 0;
    switch (sgi) {
      case 0x0080:
        return BigInt(cs.group >>> 0);
      case 0x0100:
      case 0x0180:
        return BigInt(cs.enabled >>> 0);
      case 0x0200:
      case 0x0280:
        return BigInt(pendingView);
      case 0x0300:
      case 0x0380:
        return BigInt(cs.active >>> 0);
      case 0x0c00:
        return 0xaaaa_aaaan;
      case 0x0c04: {
        let value = 0;
        for (let i = 0; i < 16; i++) if ((cs.edge >>> (16 + i)) & 1) value |= 2 << (2 * i);
        return BigInt(value >>> 0);
      }
      case 0x0d00:
        return BigInt(cs.grpmod >>> 0);
      case 0x0e00:
        return BigInt(cs.nsacr >>> 0);
    }
    if (sgi >= 0x0400 && sgi < 0x0420) {
      let value = 0n;
      for (let i = 0; i < size && sgi + i < 0x420; i++) value |= BigInt(cs.priority[sgi - 0x400 + i]!) << BigInt(8 * i);
      return value;
    }
    return 0n;
  }

  writeRedistributor(_cpu: number, offset: number, size: number, value: bigint): void {
    const index = Math.floor(offset / GICV3_REDIST_STRIDE);
    const cs = this.rd[index];
    if (!cs) return;
    const local = offset % GICV3_REDIST_STRIDE;
    const v = Number(value & 0xffff_ffffn) >>> 0;
    if (local < 0x1_0000) {
      switch (local) {
        case 0x0000:
          cs.ctlr = v & 1;
          break;
        case 0x0014:
          cs.waker = v & WAKER_PROCESSOR_SLEEP ? WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP : 0;
          break;
        case 0x0070:
          cs.propbaser = size === 8 ? value : (cs.propbaser & ~0xffff_ffffn) | BigInt(v);
          break;
        case 0x0074:
          cs.propbaser = (cs.propbaser & 0xffff_ffffn) | (BigInt(v) << 32n);
          break;
        case 0x0078:
          cs.pendbaser = size === 8 ? value : (cs.pendbaser & ~0xffff_ffffn) | BigInt(v);
          break;
        case 0x007c:
          cs.pendbaser = (cs.pendbaser & 0xffff_ffffn) | (BigInt(v) << 32n);
          break;
      }
      return;
    }
    const sgi = local - 0x1_0000;
    switch (sgi) {
      case 0x0080:
        cs.group = v;
        break;
      case 0x0100:
        cs.enabled |= v;
        break;
      case 0x0180:
        cs.enabled &= ~v;
        break;
      case 0x0200:
        cs.pending |= v;
        break;
      case 0x0280:
        cs.pending &= ~v;
        break;
      case 0x0300:
        cs.active |= v;
        break;
      case 0x0380:
        cs.active &= ~v;
        break;
      case 0x0c04: {
        let edge = cs.edge & 0xffff;
        for (let i = 0; i < 16; i++) if ((v >>> (2 * i + 1)) & 1) edge |= 1 << (16 + i);
        cs.edge = edge;
        break;
      }
      case 0x0d00:
        cs.grpmod = v;
        break;
      case 0x0e00:
        cs.nsacr = v;
        break;
      default:
        if (sgi >= 0x0400 && sgi < 0x0420) {
          for (let i = 0; i < size && sgi + i < 0x420; i++) cs.priority[sgi - 0x400 + i] = (v >>> (8 * i)) & 0xff;
          break;
        }
        return;
    }
    this.update();
  }

  private sized(value: bigint, offset: number, size: number): bigint {
    if (size === 8) return value;
    return (value >> BigInt(8 * (offset & 7 & ~3))) & 0xffff_ffffn;
  }

  /** True when `intid` raised on/for `cpu` would be signalled (for deciding whether a WFI can ever end). */
  deliverable(cpu: number, intid: number): boolean {
    const cs = this.rd[cpu]!;
    let grp: number;
    let prio: number;
    if (intid < GIC_INTERNAL) {
      if (!((cs.enabled >>> intid) & 1)) return false;
      grp = (cs.group >>> intid) & 1;
      prio = cs.priority[intid]!;
    } else {
      if (!this.enabled[intid] || this.routedCpu(intid) !== cpu) return false;
      grp = this.group[intid]!;
      prio = this.priority[intid]!;
    }
    return this.groupEnabled(grp) && cs.igrpen[grp] === 1 && prio < cs.pmr;
  }
}
