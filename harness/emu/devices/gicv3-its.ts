// The GICv3 ITS of QEMU 7.2 virt (gic-version=3, its=on by default: 0x08080000, a control frame
// and a translation frame of 64 KiB) as far as a kernel can set it up without LPIs: the ID and
// control registers and the table and command-queue registers, with QEMU's reset values and
// write masks (measured with kernels/its-probe on qemu-system-aarch64 7.2.22). kvm-unit-tests'
// its_init() runs on every GICv3 boot: it reads GITS_TYPER and the BASERs, gives the device and
// collection tables an address and sets up the command queue. What needs LPIs ends the run as an
// infrastructure error naming it: enabling the ITS with commands queued (CWRITER != CREADR), and
// any write to the translation frame (GITS_TRANSLATER). Other offsets are RAZ/WI, as on QEMU.
import type { MmioDevice, Unmodelled } from './mmio.js';

export const GITS_SIZE = 0x2_0000;

const CTLR_ENABLE = 1n;
const CTLR_QUIESCENT = 1n << 31n;
/** GITS_TYPER: physical LPIs, ITT entry 16 bytes, 16 event and 16 device ID bits, CIL with 16 collection bits (read from QEMU). */
const TYPER = 0x0000_001f_0001_efb1n;
const IIDR = 0x43bn;
const PIDR2 = 0x3bn;
/** BASER0 (device table) and BASER1 (collection table) at reset; the others are not implemented (RAZ/WI). */
const BASER_RESET = [0x0107_0000_0000_0200n, 0x0407_0000_0000_0200n];
/** Type (58:56) and entry size (52:48) are read-only; every other field sticks. */
const BASER_RO = 0x071f_0000_0000_0000n;
const U64 = (1n << 64n) - 1n;

export class GicV3Its implements MmioDevice {
  readonly name = 'GICv3 ITS';
  readonly size = GITS_SIZE;
  private ctlr = CTLR_QUIESCENT;
  private cbaser = 0n;
  private cwriter = 0n;
  private readonly creadr = 0n;
  private readonly baser = [...BASER_RESET];

  constructor(
    readonly base: bigint,
    private readonly unmodelled: Unmodelled,
  ) {}

  read(offset: number, size: number): bigint {
    const value = this.register(offset & ~7);
    const shift = BigInt((offset & 7) * 8);
    return (value >> shift) & ((1n << BigInt(size * 8)) - 1n);
  }

  write(offset: number, size: number, value: bigint): void {
    if (offset >= 0x1_0000) {
      this.unmodelled(this.name, offset, `a write to the ITS translation frame (GITS_TRANSLATER at +0x10040: LPIs are not modelled)`);
      return;
    }
    const aligned = offset & ~7;
    const shift = BigInt((offset & 7) * 8);
    const mask = ((1n << BigInt(size * 8)) - 1n) << shift;
    const merged = (old: bigint) => ((old & ~mask) | ((value << shift) & mask)) & U64;
    if (aligned === 0x0) {
      // GITS_CTLR is 32 bits (offset 0); IIDR (offset 4) is read-only.
      if ((offset & 7) >= 4) return;
      const enable = (merged(this.ctlr) & CTLR_ENABLE) !== 0n;
      this.ctlr = CTLR_QUIESCENT | (enable ? CTLR_ENABLE : 0n);
      this.checkCommands();
    } else if (aligned === 0x80) {
      // GITS_CBASER: writable while the ITS is disabled; CREADR goes back to 0.
      if ((this.ctlr & CTLR_ENABLE) === 0n) this.cbaser = merged(this.cbaser);
    } else if (aligned === 0x88) {
      this.cwriter = merged(this.cwriter) & 0xf_ffe0n;
      this.checkCommands();
    } else if (aligned >= 0x100 && aligned < 0x140) {
      const n = (aligned - 0x100) / 8;
      if (n >= this.baser.length) return;
      this.baser[n] = (this.baser[n]! & BASER_RO) | (merged(this.baser[n]!) & ~BASER_RO & U64);
    }
  }

  private register(aligned: number): bigint {
    switch (aligned) {
      case 0x0:
        return this.ctlr | (IIDR << 32n);
      case 0x8:
        return TYPER;
      case 0x80:
        return this.cbaser;
      case 0x88:
        return this.cwriter;
      case 0x90:
        return this.creadr;
      case 0xffe8:
        return PIDR2;
      default:
        if (aligned >= 0x100 && aligned < 0x100 + 8 * this.baser.length) return this.baser[(aligned - 0x100) / 8]!;
        return 0n;
    }
  }

  /** An enabled ITS with commands queued would process them: not modelled. */
  private checkCommands(): void {
    if ((this.ctlr & CTLR_ENABLE) !== 0n && this.cwriter !== this.creadr)
      this.unmodelled(this.name, 0x88, `ITS commands (CWRITER ${this.cwriter} past CREADR ${this.creadr}): LPIs are not modelled`);
  }
}
