// GICv2 distributor and CPU interface as QEMU 7.2's hw/intc/arm_gic.c behaves on `-M virt`
// (revision 2, no security extensions, no virtualization extensions, num-irq 288). Pure state:
// the caller says which CPU makes each access and feeds interrupt lines in; irqLine/fiqLine
// say what the GIC drives into each CPU. Values marked "measured" were read from QEMU 7.2.22
// by test/unit/gic-qemu.test.ts's probe kernel; the rest follows QEMU's source.
import { GIC_INTERNAL, IIDR_ARM, NR_SGIS, SPURIOUS, idRegister } from './gic-ids.js';

/** QEMU's GIC_NCPU: target and source masks are 8 bits wide whatever the CPU count. */
const ALL_CPU_MASK = 0xff;
/** GIC_MIN_BPR for a GICv2 in QEMU: all 8 priority bits are implemented (measured: 0xff sticks). */
const MIN_BPR = 0;
const MIN_ABPR = MIN_BPR + 1;
const NR_APRS = 4;

/** GICD_PIDR4..7, PIDR0..3, CIDR0..3 at 0xfd0..0xffc (QEMU gic_id_gicv2, measured). */
const GICV2_ID = [0x04, 0x00, 0x00, 0x00, 0x90, 0xb4, 0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

const CTLR_EN_GRP0 = 1 << 0;
const CTLR_EN_GRP1 = 1 << 1;
const GICC_CTLR_FIQ_EN = 1 << 3;
const GICC_CTLR_CBPR = 1 << 4;
const GICC_CTLR_EOIMODE = 1 << 9;
/** GICC_CTLR_V2_MASK: EnableGrp0/1, AckCtl, FIQEn, CBPR, EOImode (measured: 0xffffffff reads 0x21f). */
const GICC_CTLR_MASK = 0x21f;

/** QEMU virt's GIC memory regions: the distributor decodes 4 KiB, the CPU interface 8 KiB. */
export const GICV2_DIST_SIZE = 0x1000;
export const GICV2_CPU_SIZE = 0x2000;

export interface GicV2Options {
  cpus: number;
  /** SGIs + PPIs + SPIs; QEMU virt uses 256 SPIs + 32 = 288. */
  irqs?: number;
}

const bit = (mask: number, cpu: number) => (mask >> cpu) & 1;

export class GicV2 {
  readonly cpus: number;
  readonly irqs: number;
  private ctlr = 0;
  // Per interrupt, bitmasks over CPUs (banked for SGIs/PPIs, all-CPU for SPIs).
  private readonly enabled: Uint8Array;
  private readonly pending: Uint8Array;
  private readonly active: Uint8Array;
  private readonly level: Uint8Array;
  private readonly group: Uint8Array;
  private readonly edge: Uint8Array;
  private readonly target: Uint8Array;
  private readonly privatePriority: Uint8Array;
  private readonly sharedPriority: Uint8Array;
  /** sgiPending[irq * cpus + cpu]: mask of source CPUs. */
  private readonly sgiPending: Uint8Array;
  // Per CPU.
  private readonly cpuCtlr: Uint32Array;
  private readonly priorityMask: Uint16Array;
  private readonly bpr: Uint8Array;
  private readonly abpr: Uint8Array;
  private readonly apr: Uint32Array;
  private readonly nsapr: Uint32Array;
  private readonly runningPriority: Uint16Array;
  private readonly currentPending: Uint16Array;
  private readonly irqOut: Uint8Array;
  private readonly fiqOut: Uint8Array;

  constructor(options: GicV2Options) {
    const { cpus } = options;
    const irqs = options.irqs ?? 288;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 8) throw new RangeError(`a GICv2 serves 1 to 8 CPUs, not ${cpus}`);
    if (irqs % 32 !== 0 || irqs < 32 || irqs > 1020)
      throw new RangeError(`GICv2 interrupt count ${irqs} must be a multiple of 32 in 32..1020`);
    this.cpus = cpus;
    this.irqs = irqs;
    this.enabled = new Uint8Array(irqs);
    this.pending = new Uint8Array(irqs);
    this.active = new Uint8Array(irqs);
    this.level = new Uint8Array(irqs);
    this.group = new Uint8Array(irqs);
    this.edge = new Uint8Array(irqs);
    this.target = new Uint8Array(irqs);
    this.privatePriority = new Uint8Array(GIC_INTERNAL * cpus);
    this.sharedPriority = new Uint8Array(irqs - GIC_INTERNAL);
    this.sgiPending = new Uint8Array(NR_SGIS * cpus);
    this.cpuCtlr = new Uint32Array(cpus);
    this.priorityMask = new Uint16Array(cpus);
    this.bpr = new Uint8Array(cpus).fill(MIN_BPR);
    this.abpr = new Uint8Array(cpus).fill(MIN_ABPR);
    this.apr = new Uint32Array(NR_APRS * cpus);
    this.nsapr = new Uint32Array(NR_APRS * cpus);
    this.runningPriority = new Uint16Array(cpus).fill(0x100);
    this.currentPending = new Uint16Array(cpus).fill(SPURIOUS);
    this.irqOut = new Uint8Array(cpus);
    this.fiqOut = new Uint8Array(cpus);
    // Reset (arm_gic_common_reset): SGIs enabled and edge-triggered; a uniprocessor GIC routes
    // every interrupt to its CPU.
    for (let i = 0; i < NR_SGIS; i++) {
      this.enabled[i] = ALL_CPU_MASK;
      this.edge[i] = 1;
    }
    if (cpus === 1) this.target.fill(1);
  }

  // ------------------------------------------------------------ lines

  /** The IRQ line into a CPU. */
  irqLine(cpu: number): boolean {
    return this.irqOut[cpu] === 1;
  }

  fiqLine(cpu: number): boolean {
    return this.fiqOut[cpu] === 1;
  }

  /** A private peripheral interrupt input (16..31) of one CPU, e.g. its timers. */
  setPrivateLevel(cpu: number, intid: number, level: boolean): void {
    if (intid < NR_SGIS || intid >= GIC_INTERNAL) throw new RangeError(`PPI ${intid} is not in 16..31`);
    this.setInput(intid, 1 << cpu, 1 << cpu, level);
  }

  /** A shared peripheral interrupt input (32..irqs-1). */
  setSharedLevel(intid: number, level: boolean): void {
    if (intid < GIC_INTERNAL || intid >= this.irqs) throw new RangeError(`SPI ${intid} is not in 32..${this.irqs - 1}`);
    this.setInput(intid, ALL_CPU_MASK, this.target[intid]!, level);
  }

  private setInput(irq: number, cm: number, target: number, level: boolean): void {
    if (level === ((this.level[irq]! & cm) !== 0)) return;
    if (level) {
      this.level[irq]! |= cm;
      if (this.edge[irq]) this.pending[irq]! |= target;
    } else {
      this.level[irq]! &= ~cm;
    }
    this.update();
  }

  // ------------------------------------------------------------ state helpers (QEMU's macros)

  private testPending(irq: number, cm: number): boolean {
    // Level-triggered interrupts are pending while their line is high, or when set by ISPENDR.
    return (this.pending[irq]! & cm) !== 0 || (!this.edge[irq] && (this.level[irq]! & cm) !== 0);
  }

  private priority(irq: number, cpu: number): number {
    return irq < GIC_INTERNAL ? this.privatePriority[irq * this.cpus + cpu]! : this.sharedPriority[irq - GIC_INTERNAL]!;
  }

  private groupOf(irq: number, cpu: number): number {
    return bit(this.group[irq]!, cpu);
  }

  /** gic_update: the best pending interrupt per CPU and the IRQ/FIQ lines it drives. */
  private update(): void {
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const cm = 1 << cpu;
      this.currentPending[cpu] = SPURIOUS;
      this.irqOut[cpu] = 0;
      this.fiqOut[cpu] = 0;
      if (!(this.ctlr & (CTLR_EN_GRP0 | CTLR_EN_GRP1)) || !(this.cpuCtlr[cpu]! & (CTLR_EN_GRP0 | CTLR_EN_GRP1))) continue;
      let bestPrio = 0x100;
      let bestIrq = SPURIOUS;
      for (let irq = 0; irq < this.irqs; irq++) {
        if (this.enabled[irq]! & cm && this.testPending(irq, cm) && (irq < GIC_INTERNAL || this.target[irq]! & cm)) {
          const prio = this.priority(irq, cpu);
          if (prio < bestPrio) {
            bestPrio = prio;
            bestIrq = irq;
          }
        }
      }
      if (bestPrio < this.priorityMask[cpu]!) {
        this.currentPending[cpu] = bestIrq;
        if (bestPrio < this.runningPriority[cpu]!) {
          const group = this.groupOf(bestIrq, cpu);
          if ((this.ctlr >> group) & 1 && (this.cpuCtlr[cpu]! >> group) & 1) {
            if (group === 0 && this.cpuCtlr[cpu]! & GICC_CTLR_FIQ_EN) this.fiqOut[cpu] = 1;
            else this.irqOut[cpu] = 1;
          }
        }
      }
    }
  }

  /** gic_get_current_pending_irq without security extensions: a Group 1 interrupt needs AckCtl. */
  private currentPendingIrq(cpu: number): number {
    const irq = this.currentPending[cpu]!;
    if (irq < SPURIOUS && this.groupOf(irq, cpu) === 1 && !(this.cpuCtlr[cpu]! & (1 << 2))) return 1022;
    return irq;
  }

  private groupPriority(cpu: number, irq: number): number {
    const useAbpr = !(this.cpuCtlr[cpu]! & GICC_CTLR_CBPR) && this.groupOf(irq, cpu) === 1;
    const bpr = useAbpr ? this.abpr[cpu]! : this.bpr[cpu]!;
    return this.priority(irq, cpu) & ((~0 << ((bpr & 7) + 1)) & 0xff);
  }

  private acknowledge(cpu: number): number {
    const cm = 1 << cpu;
    const irq = this.currentPendingIrq(cpu);
    if (irq >= 1020) return irq;
    if (this.priority(irq, cpu) >= this.runningPriority[cpu]!) return SPURIOUS;
    let ret = irq;
    if (irq < NR_SGIS) {
      const slot = irq * this.cpus + cpu;
      const sources = this.sgiPending[slot]!;
      const src = sources ? 31 - Math.clz32(sources & -sources) : 0;
      this.sgiPending[slot] = sources & ~(1 << src);
      if (this.sgiPending[slot] === 0) this.pending[irq]! &= ~cm;
      ret = irq | ((src & 7) << 10);
    } else {
      this.pending[irq]! &= ~cm;
    }
    // gic_activate_irq
    const prio = this.groupPriority(cpu, irq);
    const level = prio >> (MIN_BPR + 1);
    const word = NR_APRS * cpu + (level >> 5);
    if (this.groupOf(irq, cpu)) this.nsapr[word]! |= 1 << (level & 31);
    else this.apr[word]! |= 1 << (level & 31);
    this.runningPriority[cpu] = prio;
    this.active[irq]! |= cm;
    this.update();
    return ret;
  }

  private priorityFromAprs(cpu: number): number {
    for (let i = 0; i < NR_APRS; i++) {
      const apr = (this.apr[NR_APRS * cpu + i]! | this.nsapr[NR_APRS * cpu + i]!) >>> 0;
      if (apr) return (i * 32 + (31 - Math.clz32(apr & -apr))) << (MIN_BPR + 1);
    }
    return 0x100;
  }

  private endOfInterrupt(cpu: number, irq: number): void {
    if (irq >= this.irqs || this.runningPriority[cpu] === 0x100) return;
    const group = this.groupOf(irq, cpu);
    const aprs = group ? this.nsapr : this.apr;
    for (let i = 0; i < NR_APRS; i++) {
      const at = NR_APRS * cpu + i;
      if (!aprs[at]) continue;
      aprs[at] = aprs[at]! & (aprs[at]! - 1);
      break;
    }
    this.runningPriority[cpu] = this.priorityFromAprs(cpu);
    if (!(this.cpuCtlr[cpu]! & GICC_CTLR_EOIMODE)) this.active[irq]! &= ~(1 << cpu);
    this.update();
  }

  // ------------------------------------------------------------ distributor MMIO

  /** A distributor read by `cpu` (1, 2 or 4 bytes); other sizes are a bus error (null), as in QEMU. */
  readDistributor(cpu: number, offset: number, size: number): number | null {
    if (size !== 1 && size !== 2 && size !== 4) return null;
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.distReadByte(cpu, offset + i) << (8 * i);
    return value >>> 0;
  }

  writeDistributor(cpu: number, offset: number, size: number, value: number): boolean {
    if (size !== 1 && size !== 2 && size !== 4) return false;
    if (size === 4 && offset === 0xf00) {
      this.softwareInterrupt(cpu, value >>> 0);
      return true;
    }
    for (let i = 0; i < size; i++) this.distWriteByte(cpu, offset + i, (value >>> (8 * i)) & 0xff);
    return true;
  }

  private irqsOfByte(offset: number, base: number, perByte: number): number {
    return (offset - base) * perByte;
  }

  private distReadByte(cpu: number, offset: number): number {
    const cm = 1 << cpu;
    if (offset < 0x100) {
      if (offset === 0) return this.ctlr;
      if (offset === 4) return ((this.irqs / 32 - 1) | ((this.cpus - 1) << 5)) & 0xff;
      if (offset === 5) return ((this.cpus - 1) << 5) >> 8;
      if (offset >= 8 && offset < 12) return (IIDR_ARM >> (8 * (offset - 8))) & 0xff;
      if (offset < 0x80) return 0;
      const irq = this.irqsOfByte(offset, 0x80, 8);
      if (irq >= this.irqs) return 0;
      return this.gather(irq, (i) => bit(this.group[i]!, cpu) === 1);
    }
    if (offset < 0x200) {
      const irq = this.irqsOfByte(offset, offset < 0x180 ? 0x100 : 0x180, 8);
      if (irq >= this.irqs) return 0;
      return this.gather(irq, (i) => (this.enabled[i]! & cm) !== 0);
    }
    if (offset < 0x300) {
      const irq = this.irqsOfByte(offset, offset < 0x280 ? 0x200 : 0x280, 8);
      if (irq >= this.irqs) return 0;
      const mask = irq < GIC_INTERNAL ? cm : ALL_CPU_MASK;
      return this.gather(irq, (i) => this.testPending(i, mask));
    }
    if (offset < 0x400) {
      const irq = this.irqsOfByte(offset, offset < 0x380 ? 0x300 : 0x380, 8);
      if (irq >= this.irqs) return 0;
      const mask = irq < GIC_INTERNAL ? cm : ALL_CPU_MASK;
      return this.gather(irq, (i) => (this.active[i]! & mask) !== 0);
    }
    if (offset < 0x800) {
      const irq = offset - 0x400;
      return irq < this.irqs ? this.priority(irq, cpu) : 0;
    }
    if (offset < 0xc00) {
      // Uniprocessor GICs: RAZ/WI; private interrupts read as this CPU (measured 0x01010101).
      if (this.cpus === 1) return 0;
      const irq = offset - 0x800;
      if (irq >= this.irqs) return 0;
      return irq < GIC_INTERNAL ? cm : this.target[irq]!;
    }
    if (offset < 0xf00) {
      const irq = this.irqsOfByte(offset, 0xc00, 4);
      if (irq >= this.irqs) return 0;
      let res = 0;
      for (let i = 0; i < 4; i++) if (this.edge[irq + i]) res |= 2 << (i * 2);
      return res;
    }
    if (offset < 0xf10) return 0;
    if (offset < 0xf30) {
      const irq = offset < 0xf20 ? offset - 0xf10 : offset - 0xf20;
      return this.sgiPending[irq * this.cpus + cpu]!;
    }
    if (offset >= 0xfd0 && offset < 0x1000) return idRegister(GICV2_ID, offset, 0xfd0);
    return 0;
  }

  private gather(irq: number, test: (irq: number) => boolean): number {
    let res = 0;
    for (let i = 0; i < 8; i++) if (irq + i < this.irqs && test(irq + i)) res |= 1 << i;
    return res;
  }

  private distWriteByte(cpu: number, offset: number, value: number): void {
    const cpuMask = 1 << cpu;
    const bankFor = (irq: number) => (irq < GIC_INTERNAL ? cpuMask : ALL_CPU_MASK);
    if (offset < 0x100) {
      if (offset === 0) this.ctlr = value & (CTLR_EN_GRP0 | CTLR_EN_GRP1);
      else if (offset >= 0x80) {
        const irq = this.irqsOfByte(offset, 0x80, 8);
        if (irq >= this.irqs) return;
        for (let i = 0; i < 8; i++) {
          const cm = bankFor(irq + i);
          if (value & (1 << i)) this.group[irq + i]! |= cm;
          else this.group[irq + i]! &= ~cm;
        }
      }
    } else if (offset < 0x180) {
      const irq = this.irqsOfByte(offset, 0x100, 8);
      if (irq >= this.irqs) return;
      if (irq < NR_SGIS) value = 0xff;
      for (let i = 0; i < 8; i++) {
        if (!(value & (1 << i))) continue;
        const n = irq + i;
        const mask = n < GIC_INTERNAL ? cpuMask : this.target[n]!;
        this.enabled[n]! |= bankFor(n);
        // A raised level-triggered line becomes pending when enabled.
        if (this.level[n]! & mask && !this.edge[n]) this.pending[n]! |= mask;
      }
    } else if (offset < 0x200) {
      const irq = this.irqsOfByte(offset, 0x180, 8);
      if (irq >= this.irqs) return;
      if (irq < NR_SGIS) value = 0;
      for (let i = 0; i < 8; i++) if (value & (1 << i)) this.enabled[irq + i]! &= ~bankFor(irq + i);
    } else if (offset < 0x280) {
      const irq = this.irqsOfByte(offset, 0x200, 8);
      if (irq >= this.irqs) return;
      if (irq < NR_SGIS) value = 0;
      for (let i = 0; i < 8; i++) {
        const n = irq + i;
        if (value & (1 << i)) this.pending[n]! |= n < GIC_INTERNAL ? cpuMask : this.target[n]!;
      }
    } else if (offset < 0x300) {
      const irq = this.irqsOfByte(offset, 0x280, 8);
      if (irq >= this.irqs) return;
      if (irq < NR_SGIS) value = 0;
      for (let i = 0; i < 8; i++) if (value & (1 << i)) this.pending[irq + i]! &= ~(irq + i < GIC_INTERNAL ? cpuMask : ALL_CPU_MASK);
    } else if (offset < 0x400) {
      // ISACTIVER / ICACTIVER (measured: both act, banked for private interrupts).
      const set = offset < 0x380;
      const irq = this.irqsOfByte(offset, set ? 0x300 : 0x380, 8);
      if (irq >= this.irqs) return;
      for (let i = 0; i < 8; i++) {
        if (!(value & (1 << i))) continue;
        const cm = bankFor(irq + i);
        if (set) this.active[irq + i]! |= cm;
        else this.active[irq + i]! &= ~cm;
      }
    } else if (offset < 0x800) {
      const irq = offset - 0x400;
      if (irq >= this.irqs) return;
      if (irq < GIC_INTERNAL) this.privatePriority[irq * this.cpus + cpu] = value;
      else this.sharedPriority[irq - GIC_INTERNAL] = value;
    } else if (offset < 0xc00) {
      if (this.cpus === 1) return;
      const irq = offset - 0x800;
      if (irq >= this.irqs) return;
      // Private interrupts' targets are read-only.
      if (irq >= GIC_INTERNAL) this.target[irq] = value & ALL_CPU_MASK;
    } else if (offset < 0xf00) {
      const irq = this.irqsOfByte(offset, 0xc00, 4);
      if (irq >= this.irqs) return;
      if (irq < NR_SGIS) value |= 0xaa;
      for (let i = 0; i < 4; i++) this.edge[irq + i] = value & (2 << (i * 2)) ? 1 : 0;
    } else if (offset >= 0xf10 && offset < 0xf20) {
      const slot = (offset - 0xf10) * this.cpus + cpu;
      this.sgiPending[slot]! &= ~value;
      if (this.sgiPending[slot] === 0) this.pending[offset - 0xf10]! &= ~cpuMask;
    } else if (offset >= 0xf20 && offset < 0xf30) {
      const irq = offset - 0xf20;
      this.pending[irq]! |= cpuMask;
      this.sgiPending[irq * this.cpus + cpu]! |= value;
    } else {
      return;
    }
    this.update();
  }

  /** GICD_SGIR: target list, all-but-self or self; the SGI remembers its source CPU. */
  private softwareInterrupt(cpu: number, value: number): void {
    const irq = value & 0x3ff;
    let mask: number;
    switch ((value >>> 24) & 3) {
      case 0:
        mask = (value >>> 16) & ALL_CPU_MASK;
        break;
      case 1:
        mask = ALL_CPU_MASK ^ (1 << cpu);
        break;
      case 2:
        mask = 1 << cpu;
        break;
      default:
        mask = ALL_CPU_MASK;
    }
    if (irq >= NR_SGIS) return; // QEMU would index past its SGI table; no kernel does this
    this.pending[irq]! |= mask;
    for (let target = 0; target < this.cpus; target++) if (mask & (1 << target)) this.sgiPending[irq * this.cpus + target]! |= 1 << cpu;
    this.update();
  }

  // ------------------------------------------------------------ CPU interface MMIO

  /** A CPU-interface read. Offsets QEMU does not implement read as 0 (measured: AIAR, DIR). */
  readCpuInterface(cpu: number, offset: number, _size: number): number {
    switch (offset) {
      case 0x00:
        return this.cpuCtlr[cpu]!;
      case 0x04:
        return this.priorityMask[cpu]!;
      case 0x08:
        return this.bpr[cpu]!;
      case 0x0c:
        return this.acknowledge(cpu);
      case 0x14:
        return Math.min(this.runningPriority[cpu]!, 0xff);
      case 0x18:
        return this.currentPendingIrq(cpu);
      case 0x1c:
        return this.abpr[cpu]!;
      case 0xd0:
      case 0xd4:
      case 0xd8:
      case 0xdc:
        return this.apr[NR_APRS * cpu + (offset - 0xd0) / 4]!;
      case 0xe0:
      case 0xe4:
      case 0xe8:
      case 0xec:
        return this.nsapr[NR_APRS * cpu + (offset - 0xe0) / 4]!;
      case 0xfc:
        return (2 << 16) | IIDR_ARM;
      default:
        return 0;
    }
  }

  /** A CPU-interface write; offsets QEMU does not implement are ignored. */
  writeCpuInterface(cpu: number, offset: number, _size: number, value: number): void {
    value >>>= 0;
    switch (offset) {
      case 0x00:
        this.cpuCtlr[cpu] = value & GICC_CTLR_MASK;
        break;
      case 0x04:
        this.priorityMask[cpu] = value & 0xff;
        break;
      case 0x08:
        this.bpr[cpu] = Math.max(value & 7, MIN_BPR);
        break;
      case 0x10:
        this.endOfInterrupt(cpu, value & 0x3ff);
        return;
      case 0x1c:
        this.abpr[cpu] = Math.max(value & 7, MIN_ABPR);
        break;
      case 0xd0:
      case 0xd4:
      case 0xd8:
      case 0xdc:
        this.apr[NR_APRS * cpu + (offset - 0xd0) / 4] = value;
        break;
      case 0xe0:
      case 0xe4:
      case 0xe8:
      case 0xec:
        this.nsapr[NR_APRS * cpu + (offset - 0xe0) / 4] = value;
        break;
      case 0x1000: // GICC_DIR: deactivate, only meaningful with EOImode = 1
        if (this.cpuCtlr[cpu]! & GICC_CTLR_EOIMODE) this.active[value & 0x3ff]! &= ~(1 << cpu);
        break;
      default:
        return;
    }
    this.update();
  }

  /** True when some interrupt could still reach `cpu` if its line went high (for WFI timeouts). */
  deliverable(cpu: number, intid: number): boolean {
    const cm = 1 << cpu;
    if (!(this.ctlr & (CTLR_EN_GRP0 | CTLR_EN_GRP1)) || !(this.cpuCtlr[cpu]! & (CTLR_EN_GRP0 | CTLR_EN_GRP1))) return false;
    if (!(this.enabled[intid]! & cm)) return false;
    if (intid >= GIC_INTERNAL && !(this.target[intid]! & cm)) return false;
    const group = this.groupOf(intid, cpu);
    return (
      this.priority(intid, cpu) < this.priorityMask[cpu]! && ((this.ctlr >> group) & 1) === 1 && ((this.cpuCtlr[cpu]! >> group) & 1) === 1
    );
  }
}
