// The EL1 physical and virtual timers of one CPU, as QEMU 7.2's target/arm/helper.c
// (gt_recalc_timer, gt_*_read/write) models them for a kernel at non-secure EL1 without EL2:
// CNTVOFF is 0, so both timers compare against the same system counter. Each timer's output is
// a level (ENABLE && ISTATUS && !IMASK) wired to a PPI: on virt the physical timer is PPI 30
// and the virtual timer PPI 27 (hw/arm/virt.c ARCH_TIMER_NS_EL1_IRQ 14 / VIRT_IRQ 11, + 16).
import { CNT } from './sysreg.js';
import { VIRT_CNTFRQ_HZ, type InstructionClock } from './instruction-clock.js';

export const VIRT_TIMER_PPI = { physical: 30, virtual: 27 } as const;

const CTL_ENABLE = 1n;
const CTL_IMASK = 2n;
const CTL_ISTATUS = 4n;
const U64 = (1n << 64n) - 1n;

type TimerKind = keyof typeof VIRT_TIMER_PPI;

interface TimerState {
  ctl: bigint;
  cval: bigint;
}

export class GenericTimer {
  private readonly timers: Record<TimerKind, TimerState> = { physical: { ctl: 0n, cval: 0n }, virtual: { ctl: 0n, cval: 0n } };
  private frequency = BigInt(VIRT_CNTFRQ_HZ);
  private kctl = 0n;
  private readonly output: Record<TimerKind, boolean> = { physical: false, virtual: false };

  constructor(
    private readonly clock: InstructionClock,
    /** Drives the timer's PPI line (level-sensitive) into the GIC. */
    private readonly setLine: (ppi: number, level: boolean) => void,
  ) {}

  /** MRS by key (sysregKey); null when the register is not a timer register. */
  readSysreg(key: number): bigint | null {
    const now = this.clock.counter();
    switch (key) {
      case CNT.FRQ:
        return this.frequency;
      case CNT.PCT:
      case CNT.VCT:
        return this.clock.counterAtAccess();
      case CNT.KCTL_EL1:
        return this.kctl;
      case CNT.P_CTL:
        return this.ctl('physical', now);
      case CNT.V_CTL:
        return this.ctl('virtual', now);
      case CNT.P_CVAL:
        return this.timers.physical.cval;
      case CNT.V_CVAL:
        return this.timers.virtual.cval;
      case CNT.P_TVAL:
        return (this.timers.physical.cval - this.clock.counterAtAccess()) & 0xffff_ffffn;
      case CNT.V_TVAL:
        return (this.timers.virtual.cval - this.clock.counterAtAccess()) & 0xffff_ffffn;
      default:
        return null;
    }
  }

  /** MSR by key; false when the register is not a timer register. */
  writeSysreg(key: number, value: bigint): boolean {
    const v = value & U64;
    switch (key) {
      case CNT.FRQ:
        // Writable at the highest EL (EL1 on virt without EL2/EL3); the counter's rate stays 62.5 MHz, as in QEMU.
        this.frequency = v & 0xffff_ffffn;
        return true;
      case CNT.KCTL_EL1:
        this.kctl = v & 0x3ffn;
        return true;
      case CNT.P_CTL:
        this.timers.physical.ctl = v & (CTL_ENABLE | CTL_IMASK);
        break;
      case CNT.V_CTL:
        this.timers.virtual.ctl = v & (CTL_ENABLE | CTL_IMASK);
        break;
      case CNT.P_CVAL:
        this.timers.physical.cval = v;
        break;
      case CNT.V_CVAL:
        this.timers.virtual.cval = v;
        break;
      case CNT.P_TVAL:
        this.timers.physical.cval = (this.clock.counterAtAccess() + BigInt.asIntN(32, v)) & U64;
        break;
      case CNT.V_TVAL:
        this.timers.virtual.cval = (this.clock.counterAtAccess() + BigInt.asIntN(32, v)) & U64;
        break;
      case CNT.PCT:
      case CNT.VCT:
        return false; // read-only: UNDEF, as in QEMU
      default:
        return false;
    }
    this.recalc();
    return true;
  }

  /** Re-evaluates both outputs at the current counter value; call after the clock moves. */
  recalc(): void {
    const now = this.clock.counter();
    for (const kind of ['physical', 'virtual'] as const) {
      const t = this.timers[kind];
      const level = (t.ctl & CTL_ENABLE) !== 0n && (t.ctl & CTL_IMASK) === 0n && now >= t.cval;
      if (level !== this.output[kind]) {
        this.output[kind] = level;
        this.setLine(VIRT_TIMER_PPI[kind], level);
      }
    }
  }

  /**
   * The counter values at which an enabled, unmasked timer whose condition is not yet met will
   * fire, with its PPI: the only future events this device can cause by itself.
   */
  upcoming(): { counter: bigint; ppi: number }[] {
    const now = this.clock.counter();
    const events: { counter: bigint; ppi: number }[] = [];
    for (const kind of ['physical', 'virtual'] as const) {
      const t = this.timers[kind];
      if ((t.ctl & CTL_ENABLE) !== 0n && (t.ctl & CTL_IMASK) === 0n && now < t.cval)
        events.push({ counter: t.cval, ppi: VIRT_TIMER_PPI[kind] });
    }
    return events;
  }

  /** The counter values at which an enabled timer's ISTATUS rises, masked or not (counter-polling.ts). */
  statusChanges(): bigint[] {
    const now = this.clock.counter();
    return (['physical', 'virtual'] as const)
      .map((kind) => this.timers[kind])
      .filter((t) => (t.ctl & CTL_ENABLE) !== 0n && now < t.cval)
      .map((t) => t.cval);
  }

  private ctl(kind: TimerKind, now: bigint): bigint {
    const t = this.timers[kind];
    // ISTATUS is only meaningful (and only set) while the timer is enabled; the unsigned compare is QEMU's.
    const istatus = (t.ctl & CTL_ENABLE) !== 0n && now >= t.cval;
    return t.ctl | (istatus ? CTL_ISTATUS : 0n);
  }
}
