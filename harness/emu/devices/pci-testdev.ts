// QEMU's pci-testdev (hw/misc/pci-testdev.c, `-device pci-testdev`): a conventional PCI function
// 1b36:0005 with a 4 KiB memory BAR0 and a 256-byte I/O BAR1. Each BAR starts with a header of the
// current test { u8 test, u8 width, u16 pad, u32 offset, u8 data, u8 pad[3], u32 count, name[] }: a
// byte write at offset 0 starts test N of that BAR's kind (0..2: no-eventfd, wildcard-eventfd,
// datamatch-eventfd), and each later write at the test's offset (with the test's data, unless
// wildcard) adds 1 to count. QEMU registers an ioeventfd for the two eventfd tests: a write of the
// eventfd's exact address, width 1 and (datamatch) data is taken by the eventfd before the device
// sees it (softmmu/memory.c memory_region_dispatch_write_eventfds), so it does not count; any other
// access is split into byte accesses (the device's max_access_size is 1) that reach the device.
// Header values and counts were checked against QEMU 7.2 with kernels/pci-testdev.

/** A PCI function's configuration space as the ECAM reaches it. */
export interface PciFunction {
  configRead(offset: number, size: number): bigint;
  configWrite(offset: number, size: number, value: bigint): void;
}

export type PciSpace = 'memory' | 'io';

/** A function whose BARs a PCI window routes accesses to (PCI bus addresses, not CPU ones). */
export interface PciBarDecoder {
  /** The access's value if one of this function's BARs of `space` decodes [address, address+size), else null. */
  barRead(space: PciSpace, address: number, size: number): bigint | null;
  /** Whether one of this function's BARs decoded the write. */
  barWrite(space: PciSpace, address: number, size: number, value: bigint): boolean;
}

const TESTS = ['no-eventfd', 'wildcard-eventfd', 'datamatch-eventfd'] as const;
const KINDS: Record<PciSpace, { name: string; size: number }> = {
  memory: { name: 'mmio', size: 2048 },
  io: { name: 'portio', size: 128 },
};
const DATA_MATCH = 0xfa;
const NO_MATCH = 0xce;
const PCI_COMMAND_IO = 0x1;
const PCI_COMMAND_MEMORY = 0x2;
/** Config bytes the guest can write (QEMU pci_init_wmask and pci_register_bar). */
const COMMAND_WMASK = 0x0547;

interface Test {
  header: Uint8Array;
  offset: number;
  data: number;
  matchData: boolean;
  eventfd: boolean;
  space: PciSpace;
}

function makeTest(index: number): Test {
  const space: PciSpace = index < TESTS.length ? 'memory' : 'io';
  const kind = TESTS[index % TESTS.length]!;
  const name = `${KINDS[space].name}-${kind}`;
  const header = new Uint8Array(16 + name.length + 1);
  const offset = KINDS[space].size + index;
  const matchData = kind !== 'wildcard-eventfd';
  const data = matchData ? DATA_MATCH : NO_MATCH;
  header[0] = index;
  header[1] = 1; // width
  new DataView(header.buffer).setUint32(4, offset, true);
  header[8] = data;
  for (let i = 0; i < name.length; i++) header[16 + i] = name.charCodeAt(i);
  return { header, offset, data, matchData, eventfd: kind !== 'no-eventfd', space };
}

export class PciTestdev implements PciFunction, PciBarDecoder {
  private readonly config = new Uint8Array(256);
  private readonly wmask = new Uint8Array(256);
  private readonly tests = Array.from({ length: 2 * TESTS.length }, (_, i) => makeTest(i));
  private current: Test | null = null;
  private readonly bars: Record<PciSpace, { register: number; size: number }> = {
    memory: { register: 0x10, size: 2 * KINDS.memory.size },
    io: { register: 0x14, size: 2 * KINDS.io.size },
  };

  constructor() {
    const view = new DataView(this.config.buffer);
    view.setUint32(0x00, 0x0005_1b36, true);
    view.setUint32(0x08, 0x00ff_0000, true); // revision 0, class PCI_CLASS_OTHERS (0xff)
    view.setUint32(0x14, 0x1, true); // BAR1: I/O space
    view.setUint32(0x2c, 0x1100_1af4, true); // subsystem (QEMU's default for Red Hat devices)
    const mask = new DataView(this.wmask.buffer);
    mask.setUint16(0x04, COMMAND_WMASK, true);
    this.wmask[0x0c] = 0xff; // cache line size
    mask.setUint32(0x10, ~(this.bars.memory.size - 1) >>> 0, true);
    mask.setUint32(0x14, ~(this.bars.io.size - 1) >>> 0, true);
    this.wmask[0x3c] = 0xff; // interrupt line; pin stays 0
    this.wmask.fill(0xff, 0x40); // device-specific space: no capabilities, plain bytes
  }

  configRead(offset: number, size: number): bigint {
    if (offset >= 0x100) return (1n << BigInt(size * 8)) - 1n; // conventional: 256 bytes, the rest all-ones
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.config[offset + i] ?? 0xff);
    return value;
  }

  configWrite(offset: number, size: number, value: bigint): void {
    if (offset >= 0x100) return;
    for (let i = 0; i < size && offset + i < 0x100; i++) {
      const byte = Number((value >> BigInt(i * 8)) & 0xffn);
      const m = this.wmask[offset + i]!;
      this.config[offset + i] = (this.config[offset + i]! & ~m) | (byte & m);
    }
  }

  /** Where the guest placed a BAR, or null while it does not decode (QEMU pci_bar_address; gpex allows address 0). */
  barBase(space: PciSpace): number | null {
    const command = Number(this.configRead(0x04, 2));
    if (!(command & (space === 'io' ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY))) return null;
    const { register, size } = this.bars[space];
    const base = Number(this.configRead(register, 4)) & ~(size - 1);
    const last = (base >>> 0) + size - 1;
    if (last <= base >>> 0 || (space === 'io' && last >= 0xffff_ffff)) return null;
    return base >>> 0;
  }

  private offsetIn(space: PciSpace, address: number, size: number): number | null {
    const base = this.barBase(space);
    if (base === null || address < base || address + size > base + this.bars[space].size) return null;
    return address - base;
  }

  barRead(space: PciSpace, address: number, size: number): bigint | null {
    const offset = this.offsetIn(space, address, size);
    if (offset === null) return null;
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.readByte(offset + i));
    return value;
  }

  barWrite(space: PciSpace, address: number, size: number, value: bigint): boolean {
    const offset = this.offsetIn(space, address, size);
    if (offset === null) return false;
    const t = this.current;
    const takenByEventfd =
      t?.eventfd && t.space === space && offset === t.offset && size === 1 && (!t.matchData || Number(value & 0xffn) === t.data);
    if (takenByEventfd) return true;
    for (let i = 0; i < size; i++) this.writeByte(space, offset + i, Number((value >> BigInt(i * 8)) & 0xffn));
    return true;
  }

  /** pci_testdev_read: the current test's header byte; 0 past it (and for its last byte, the NUL). */
  private readByte(offset: number): number {
    const header = this.current?.header;
    if (!header || offset + 1 >= header.length) return 0;
    return header[offset]!;
  }

  /** pci_testdev_write, one byte: either BAR's writes count against the one current test. */
  private writeByte(space: PciSpace, offset: number, byte: number): void {
    if (offset === 0) {
      this.current = null;
      if (byte >= TESTS.length) return;
      const test = this.tests[(space === 'memory' ? 0 : TESTS.length) + byte]!;
      new DataView(test.header.buffer).setUint32(12, 0, true);
      this.current = test;
      return;
    }
    const t = this.current;
    if (!t || offset !== t.offset || (t.matchData && byte !== t.data)) return;
    const view = new DataView(t.header.buffer);
    view.setUint32(12, (view.getUint32(12, true) + 1) >>> 0, true);
  }
}
