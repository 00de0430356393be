// QEMU 7.2's CFI flash (hw/block/pflash_cfi01.c) as virt wires it: two 64 MiB banks, 32-bit bank
// of two 16-bit devices, 256 KiB sectors, Intel ids 0x89/0x18, no backing drive (so writable).
// Pure command state machine: the caller owns the bytes (see flash-bus.ts).
//
// What QEMU does with a store in read-array mode (the mode after reset and after -kernel loads
// an ELF there): the low byte of each (at most 4-byte) access is a command. 0x00/0xf0/0xff/0x50
// (and anything unknown) leave the array untouched and keep read-array mode: the store is
// dropped. 0x70/0x90/0x98 switch reads to status / device id / CFI query; 0x10/0x40 make the
// *next* store program the array; 0x20 erases a 256 KiB sector to 0xff; 0xe8 starts a buffered
// write. Outside read-array mode every read (instruction fetches included) returns the register
// that mode shows instead of the array. An 8-byte store reaches the device as two 4-byte ones,
// low word first (the region's ops implement at most 4 bytes).

export const VIRT_FLASH = {
  bankSize: 0x0400_0000,
  sectorSize: 0x4_0000,
  bankWidth: 4,
  deviceWidth: 2,
  ids: [0x89, 0x18, 0x00, 0x00] as const,
  /** 1 << cfi[0x2a] (0x0b for bank width 4) times the two devices. */
  writeBlockSize: 2048 * 2,
} as const;

/** What one device-sized access did to the array. */
export type FlashEffect =
  /** A command (or garbage) byte: nothing reached the array. */
  | { kind: 'dropped'; command: number; mode: string }
  /** Programmed (single-byte program or buffered write): the bytes are now in the array. */
  | { kind: 'programmed'; command: number }
  /** Block erase: the sector [start, start+size) is now 0xff; this access itself is dropped. */
  | { kind: 'erased'; command: number; start: number; size: number; mode: string };

export class CfiFlash {
  private wcycle = 0;
  private cmd = 0x00;
  private status = 0x80;
  private counter = 0;
  /** False once a write takes the device out of ROM mode; reads then return registers. */
  romd = true;
  readonly cfi = buildCfiTable();

  constructor(readonly name: string) {}

  /** Read-array mode: reads see the array bytes. */
  get readsArray(): boolean {
    return this.romd || this.cmd === 0x00;
  }

  /** The mode, in words, for findings and errors. */
  get mode(): string {
    if (this.readsArray) return 'read-array';
    return `command 0x${this.cmd.toString(16).padStart(2, '0')} (${COMMAND_NAMES[this.cmd] ?? 'unknown'})`;
  }

  /** pflash_write for one access of width 1, 2 or 4 at `offset` into the bank. */
  write(offset: number, _width: number, value: number): FlashEffect {
    const cmd = value & 0xff;
    if (this.wcycle === 0) this.romd = false;
    const drop = (): FlashEffect => ({ kind: 'dropped', command: cmd, mode: this.mode });
    switch (this.wcycle) {
      case 0:
        switch (cmd) {
          case 0x00:
          case 0xf0:
          case 0xff:
            return this.readArray(drop);
          case 0x50:
            this.status = 0;
            return this.readArray(drop);
          case 0x70:
          case 0x90:
            this.cmd = cmd;
            return drop();
          case 0x20: {
            const start = offset & ~(VIRT_FLASH.sectorSize - 1);
            this.status |= 0x80;
            this.wcycle = 1;
            this.cmd = cmd;
            return { kind: 'erased', command: cmd, start, size: VIRT_FLASH.sectorSize, mode: this.mode };
          }
          case 0xe8:
          case 0x10:
          case 0x40:
          case 0x60:
          case 0x98:
            if (cmd === 0xe8) this.status |= 0x80;
            this.wcycle = 1;
            this.cmd = cmd;
            return drop();
          default:
            return this.readArray(drop);
        }
      case 1:
        switch (this.cmd) {
          case 0x10:
          case 0x40:
            this.status |= 0x80;
            this.wcycle = 0;
            return { kind: 'programmed', command: this.cmd };
          case 0x20:
          case 0x28:
            if (cmd === 0xd0) {
              this.wcycle = 0;
              this.status |= 0x80;
              return drop();
            }
            return this.readArray(drop);
          case 0xe8:
            this.counter = value & ((1 << (VIRT_FLASH.deviceWidth * 8)) - 1);
            this.wcycle = 2;
            return drop();
          case 0x60:
            if (cmd === 0xd0 || cmd === 0x01) {
              this.wcycle = 0;
              this.status |= 0x80;
              return drop();
            }
            return this.readArray(drop);
          case 0x98:
            if (cmd === 0xff) return this.readArray(drop);
            return drop();
          default:
            return this.readArray(drop);
        }
      case 2:
        if (this.cmd !== 0xe8) return this.readArray(drop);
        this.status |= 0x80;
        if (this.counter === 0) this.wcycle = 3;
        this.counter--;
        return { kind: 'programmed', command: 0xe8 };
      case 3:
        if (this.cmd === 0xe8 && cmd === 0xd0) {
          this.wcycle = 0;
          this.status |= 0x80;
          return drop();
        }
        return this.readArray(drop);
      default:
        return this.readArray(drop);
    }
  }

  /** pflash_read outside read-array mode, for one access of width 1, 2 or 4. */
  registerRead(offset: number, width: number): number {
    switch (this.cmd) {
      case 0x10:
      case 0x20:
      case 0x28:
      case 0x40:
      case 0x50:
      case 0x60:
      case 0x70:
      case 0xe8: {
        let ret = this.status;
        for (let shift = VIRT_FLASH.deviceWidth * 8; shift + VIRT_FLASH.deviceWidth * 8 <= width * 8; shift += VIRT_FLASH.deviceWidth * 8)
          ret |= this.status << shift;
        return ret >>> 0;
      }
      case 0x90:
        return this.perBank(offset, width, (o) => {
          const boff = (o >>> 2) & 0xff;
          return boff === 0 ? VIRT_FLASH.ids[0] : boff === 1 ? VIRT_FLASH.ids[1] : 0;
        });
      case 0x98:
        return this.perBank(offset, width, (o) => this.cfi[o >>> 2] ?? 0);
      default:
        return 0;
    }
  }

  /** One bank-wide answer: the 16-bit device's answer twice (two devices side by side). */
  private perBank(offset: number, width: number, query: (offset: number) => number): number {
    const resp = query(offset) & 0xffff;
    const both = (resp | (resp << 16)) >>> 0;
    return width < 4 ? both & ((1 << (width * 8)) - 1) : both;
  }

  private readArray(effect: () => FlashEffect): FlashEffect {
    const result = effect();
    this.romd = true;
    this.wcycle = 0;
    this.cmd = 0x00;
    return { ...result, mode: 'read-array' } as FlashEffect;
  }
}

const COMMAND_NAMES: Record<number, string> = {
  0x10: 'single byte program',
  0x20: 'block erase',
  0x28: 'block erase',
  0x40: 'single byte program',
  0x50: 'clear status',
  0x60: 'block lock',
  0x70: 'read status',
  0x90: 'read device id',
  0x98: 'CFI query',
  0xe8: 'write to buffer',
};

/** pflash_cfi01_fill_cfi_table for virt's geometry (256 KiB sectors, 256 blocks per bank). */
function buildCfiTable(): Uint8Array {
  const t = new Uint8Array(0x52);
  const blocks = VIRT_FLASH.bankSize / VIRT_FLASH.sectorSize;
  const sectorPerDevice = VIRT_FLASH.sectorSize / 2;
  const deviceLen = sectorPerDevice * blocks;
  const set = (at: number, bytes: number[]) => bytes.forEach((b, i) => (t[at + i] = b));
  set(0x10, [0x51, 0x52, 0x59, 0x01, 0x00, 0x31, 0x00, 0, 0, 0, 0, 0x45, 0x55, 0, 0, 0x07, 0x07, 0x0a, 0x00, 0x04, 0x04, 0x04, 0x00]);
  t[0x27] = Math.log2(deviceLen);
  set(0x28, [0x02, 0x00, 0x0b, 0x00, 0x01, (blocks - 1) & 0xff, (blocks - 1) >> 8, (sectorPerDevice >> 8) & 0xff, sectorPerDevice >> 16]);
  set(0x31, [0x50, 0x52, 0x49, 0x31, 0x30]);
  t[0x3f] = 0x01;
  return t;
}
