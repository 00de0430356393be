// virt's MMIO devices as QEMU 7.2 presents them with no extra -device options, one CPU (the GIC is
// interrupts/gic-v2.ts).
// Values were read from QEMU itself (a probe kernel printing each register after reset) and
// agree with the sources (hw/virtio/virtio-mmio.c, hw/pci-host/gpex.c,
// hw/rtc/pl031.c, hw/gpio/pl061.c, hw/nvram/fw_cfg.c). A register a device here does not
// model calls `unmodelled`, which ends the run as an infrastructure error naming it.

import type { PciBarDecoder, PciFunction, PciSpace } from './pci-testdev.js';

export interface MmioDevice {
  readonly name: string;
  readonly base: bigint;
  readonly size: number;
  read(offset: number, size: number): bigint;
  write(offset: number, size: number, value: bigint): void;
}

export type Unmodelled = (device: string, offset: number, detail: string) => void;

/** PrimeCell ID registers at 0xfe0..0xffc (one byte per word). */
function primecellId(offset: number, ids: readonly number[], at = 0xfe0): number | null {
  if (offset < at || offset >= at + ids.length * 4 || offset % 4 !== 0) return null;
  return ids[(offset - at) / 4]!;
}

/** Plain read/write registers over a word array (what a device keeps and echoes back). */
class Registers {
  private readonly words = new Map<number, number>();
  constructor(reset: Record<number, number> = {}) {
    for (const [k, v] of Object.entries(reset)) this.words.set(Number(k), v);
  }
  get(offset: number): number {
    return this.words.get(offset & ~3) ?? 0;
  }
  set(offset: number, value: number): void {
    this.words.set(offset & ~3, value >>> 0);
  }
}

// ------------------------------------------------------------------ PL011

export class Pl011 implements MmioDevice {
  readonly name = 'PL011 UART';
  readonly size = 0x1000;
  private readonly regs = new Registers({ 0x30: 0x300, 0x24: 0, 0x28: 0 });
  constructor(
    readonly base: bigint,
    private readonly transmit: (byte: number) => void,
  ) {}
  read(offset: number): bigint {
    const id = primecellId(offset, [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
    if (id !== null) return BigInt(id);
    if (offset === 0x18) return 0x90n; // FR: TX FIFO empty, RX FIFO empty
    if (offset === 0x00) return 0n; // nothing received
    return BigInt(this.regs.get(offset));
  }
  write(offset: number, _size: number, value: bigint): void {
    if (offset === 0x00) this.transmit(Number(value & 0xffn));
    else this.regs.set(offset, Number(value & 0xffff_ffffn));
  }
}

// ------------------------------------------------------------------ virtio-mmio

/** virt's 32 transports with nothing plugged in: legacy (version 1), device id 0. */
export class VirtioMmioTransports implements MmioDevice {
  readonly name = 'virtio-mmio transports';
  readonly size = 32 * 0x200;
  constructor(readonly base: bigint) {}
  read(offset: number): bigint {
    switch (offset & 0x1ff) {
      case 0x000:
        return 0x7472_6976n; // "virt"
      case 0x004:
        return 1n;
      case 0x008:
        return 0n;
      case 0x00c:
        return 0x554d_4551n; // "QEMU"
      default:
        return 0n; // every other register of an empty transport reads 0
    }
  }
  write(): void {
    // An empty transport ignores writes.
  }
}

// ------------------------------------------------------------------ PCIe

/**
 * ECAM (virt's high ECAM, 256 buses): the gpex host bridge at 00:00.0, the functions plugged in
 * (`functions`, by bus-0 devfn), all-ones elsewhere.
 */
export class PcieEcam implements MmioDevice {
  readonly name = 'PCIe ECAM';
  readonly size = 0x1000_0000;
  private readonly hostBridge = new Registers({ 0x0: 0x0008_1b36, 0x8: 0x0600_0000, 0x2c: 0x1100_1af4 });
  constructor(
    readonly base: bigint,
    private readonly functions: ReadonlyMap<number, PciFunction> = new Map(),
  ) {}
  read(offset: number, size: number): bigint {
    const plugged = this.functions.get(offset >>> 12);
    if (plugged) return plugged.configRead(offset & 0xfff, size);
    if (offset >= 0x1000) return allOnes(size);
    if (offset >= 0x100) return allOnes(size); // no extended capabilities
    const word = this.hostBridge.get(offset);
    return BigInt((word >>> ((offset & 3) * 8)) >>> 0) & mask(size);
  }
  write(offset: number, size: number, value: bigint): void {
    const plugged = this.functions.get(offset >>> 12);
    if (plugged) plugged.configWrite(offset & 0xfff, size, value);
    // The host bridge's command register and BARs-less header: keep command/status writes only.
    else if (offset === 0x4) this.hostBridge.set(0x4, Number(value & 0x0000_0547n));
  }
}

/**
 * A PCI window (virt's 32-bit MMIO window, PCI address = CPU address; its PIO window, PCI I/O
 * address 0 at its base): accesses go to the BAR of `decoders` that the guest placed there and
 * enabled; with none, reads are all-ones and writes ignored (QEMU's PCI bus does that).
 */
export class PciWindow implements MmioDevice {
  constructor(
    readonly name: string,
    readonly base: bigint,
    readonly size: number,
    private readonly space: PciSpace,
    private readonly busAddress: number,
    private readonly decoders: readonly PciBarDecoder[] = [],
  ) {}
  read(offset: number, size: number): bigint {
    for (const d of this.decoders) {
      const value = d.barRead(this.space, this.busAddress + offset, size);
      if (value !== null) return value;
    }
    return allOnes(size);
  }
  write(offset: number, size: number, value: bigint): void {
    for (const d of this.decoders) if (d.barWrite(this.space, this.busAddress + offset, size, value)) return;
  }
}

// ------------------------------------------------------------------ PL031 / PL061

/** A PrimeCell peripheral: its ID registers, plain registers, and any live ones of its own. */
class PrimeCell implements MmioDevice {
  readonly size = 0x1000;
  protected readonly regs: Registers;
  constructor(
    readonly name: string,
    readonly base: bigint,
    private readonly ids: readonly number[],
    reset: Record<number, number>,
    private readonly writeMask: bigint,
  ) {
    this.regs = new Registers(reset);
  }
  read(offset: number, _size: number): bigint {
    const id = primecellId(offset, this.ids);
    return BigInt(id ?? this.regs.get(offset));
  }
  write(offset: number, _size: number, value: bigint): void {
    this.regs.set(offset, Number(value & this.writeMask));
  }
}

/**
 * hw/rtc/pl031.c: DR counts host seconds (QEMU's default -rtc base=utc) plus what LR set; MR arms
 * a match that raises RIS bit 0 once DR reaches it; MIS = RIS & IMSC; ICR clears it; DR, RIS, MIS
 * and the ids are read-only. (The interrupt itself reaches no GIC here.)
 */
export class Pl031 extends PrimeCell {
  private offset = 0;
  private match: number | null = null;
  private raised = 0;
  constructor(
    base: bigint,
    private readonly now: () => number = Date.now,
  ) {
    super('PL031 RTC', base, [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1], { 0xc: 1 }, 0xffff_ffffn);
  }
  private seconds(): number {
    return (Math.floor(this.now() / 1000) + this.offset) >>> 0;
  }
  private ris(): number {
    if (this.match !== null && this.seconds() >= this.match) this.raised = 1;
    return this.raised;
  }
  override read(offset: number, size: number): bigint {
    switch (offset) {
      case 0x00:
        return BigInt(this.seconds());
      case 0x14:
        return BigInt(this.ris());
      case 0x18:
        return BigInt(this.ris() & this.regs.get(0x10) & 1);
      default:
        return super.read(offset, size);
    }
  }
  override write(offset: number, size: number, value: bigint): void {
    const v = Number(value & 0xffff_ffffn);
    if (offset === 0x08) this.offset = (v - Math.floor(this.now() / 1000)) | 0;
    if (offset === 0x04) this.match = v;
    if (offset === 0x1c) {
      if (v & 1) this.raised = 0;
      this.match = this.match !== null && this.seconds() >= this.match ? null : this.match;
      return;
    }
    if ([0x04, 0x08, 0x0c, 0x10].includes(offset)) super.write(offset, size, offset === 0x10 || offset === 0x0c ? value & 1n : value);
  }
}

export class Pl061 extends PrimeCell {
  constructor(base: bigint) {
    super('PL061 GPIO', base, [0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1], {}, 0xffn);
  }
}

// ------------------------------------------------------------------ fw_cfg

/**
 * fw_cfg's MMIO interface (hw/nvram/fw_cfg.c, fw_cfg_init_mem_wide as virt.c creates it): data
 * at +0 (a byte stream, first byte at the lowest address), big-endian selector at +8, DMA address
 * at +16. Items as QEMU 7.2 presents them for a plain virt with -nographic, direct kernel boot and
 * no -fw_cfg options (kernels/fwcfg, measured; the same with 128/512 MiB, GICv2/v3, cortex-a57
 * and max): the signature, the feature id (traditional + DMA), a zero UUID, NOGRAPHIC = 1,
 * NB_CPUS, BOOT_MENU = 0 and the file directory (FW_CFG_FILE_DIR, 0x0019) with its nine files.
 * The empty files and etc/boot-fail-wait (le32 -1: no reboot timeout) are modelled; reading the
 * ACPI, SMBIOS and table-loader files (their bytes come from QEMU's table builders) or a DMA
 * transfer is an infrastructure error naming the file. Any other key reads 0, as an item QEMU
 * never set.
 */
export class FwCfg implements MmioDevice {
  readonly name = 'fw_cfg';
  readonly size = 0x18;
  private selector = 0;
  private position = 0;
  private readonly items: ReadonlyMap<number, Uint8Array>;
  constructor(
    readonly base: bigint,
    private readonly unmodelled: Unmodelled,
    cpus = 1,
  ) {
    this.items = fwCfgItems(cpus);
  }
  read(offset: number, size: number): bigint {
    // The DMA address register reads as the signature "QEMU CFG" (big-endian).
    if (offset >= 0x10) return (offset < 0x14 ? 0x554d_4551n : 0x4746_4320n) & mask(size);
    if (offset >= 0x8) return 0n;
    const file = FW_CFG_FILES.find((f) => f.select === this.selector);
    const item = this.items.get(this.selector);
    if (!item && file) {
      this.unmodelled(this.name, offset, `the contents of fw_cfg file ${file.name} (select ${hex16(file.select)}, ${file.size} bytes)`);
      return 0n;
    }
    let value = 0n;
    for (let i = 0; i < size; i++) {
      const byte = item?.[this.position] ?? 0;
      if (item && this.position < item.length) this.position++;
      value |= BigInt(byte) << BigInt(i * 8);
    }
    return value;
  }
  write(offset: number, size: number, value: bigint): void {
    if (offset === 0x8 && size === 2) {
      const v = Number(value & 0xffffn);
      this.selector = ((v & 0xff) << 8) | (v >> 8); // big-endian register
      this.position = 0;
    } else if (offset >= 0x10) {
      this.unmodelled(this.name, offset, 'fw_cfg DMA transfers');
    }
  }
}

/** QEMU 7.2 virt's fw_cfg file directory (kernels/fwcfg on qemu-system-aarch64 7.2.22). */
export const FW_CFG_FILES: readonly { select: number; size: number; name: string }[] = [
  { select: 0x20, size: 0, name: 'bios-geometry' },
  { select: 0x21, size: 0, name: 'bootorder' },
  { select: 0x22, size: 36, name: 'etc/acpi/rsdp' },
  { select: 0x23, size: 131072, name: 'etc/acpi/tables' },
  { select: 0x24, size: 4, name: 'etc/boot-fail-wait' },
  { select: 0x25, size: 24, name: 'etc/smbios/smbios-anchor' },
  { select: 0x26, size: 266, name: 'etc/smbios/smbios-tables' },
  { select: 0x27, size: 3072, name: 'etc/table-loader' },
  { select: 0x28, size: 0, name: 'etc/tpm/log' },
];

/** The items whose bytes are modelled, by key (pure). */
export function fwCfgItems(cpus: number): Map<number, Uint8Array> {
  const le16 = (v: number) => Uint8Array.from([v & 0xff, (v >> 8) & 0xff]);
  const directory = new Uint8Array(4 + 64 * FW_CFG_FILES.length);
  const view = new DataView(directory.buffer);
  view.setUint32(0, FW_CFG_FILES.length); // FWCfgFiles: big-endian count and entries
  FW_CFG_FILES.forEach((file, i) => {
    view.setUint32(4 + 64 * i, file.size);
    view.setUint16(8 + 64 * i, file.select);
    directory.set(Buffer.from(file.name), 12 + 64 * i);
  });
  const items = new Map<number, Uint8Array>([
    [0x0000, Buffer.from('QEMU')],
    [0x0001, Uint8Array.from([3, 0, 0, 0])], // FW_CFG_VERSION | FW_CFG_VERSION_DMA, le32
    [0x0002, new Uint8Array(16)], // UUID: none given
    [0x0004, le16(1)], // NOGRAPHIC (-nographic)
    [0x0005, le16(cpus)], // NB_CPUS (virt.c)
    [0x000e, le16(0)], // BOOT_MENU
    [0x0019, directory],
    [0x0024, Uint8Array.from([0xff, 0xff, 0xff, 0xff])], // etc/boot-fail-wait: le32 -1
  ]);
  for (const file of FW_CFG_FILES) if (file.size === 0) items.set(file.select, new Uint8Array(0));
  return items;
}

function hex16(v: number): string {
  return `0x${v.toString(16).padStart(4, '0')}`;
}

function mask(size: number): bigint {
  return (1n << BigInt(size * 8)) - 1n;
}

function allOnes(size: number): bigint {
  return mask(size);
}
