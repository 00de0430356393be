// Reads an AArch64 ELF: header checks, PT_LOAD segments, sections and .symtab (decoded here from
// the section bytes, since elfy stops at section headers). Pure over bytes; read-elf.ts adds the file.
import elfy from 'elfy';
import { WbdiffError } from '../errors.js';
import { hex } from '../util/hex.js';
import { Symbolizer, type ElfSymbol } from './symbols.js';
import { explainEtDyn } from './et-dyn.js';

export interface SegmentFlags {
  r: boolean;
  w: boolean;
  x: boolean;
}

export interface ElfSegment {
  type: string;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  flags: SegmentFlags;
  data: Uint8Array;
}

export interface ElfSection {
  name: string;
  type: string;
  addr: bigint;
  offset: number;
  size: number;
  data: Uint8Array;
}

export interface ElfImage {
  path: string;
  bytes: Uint8Array;
  entry: bigint;
  segments: ElfSegment[];
  sections: ElfSection[];
  symbols: Symbolizer;
}

const EM_AARCH64 = 'AArch64';

/** The ELF magic (\x7fELF) at the start of a file. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export function parseElf(bytes: Uint8Array, path = '<memory>', options: { allowDyn?: boolean } = {}): ElfImage {
  const fail = (what: string, hint?: string): never => {
    throw new WbdiffError(what, { where: path, ...(hint ? { hint } : {}) });
  };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 4 || buffer.readUInt32BE(0) !== 0x7f454c46) {
    fail('not an ELF file (no \\x7fELF magic)', 'pass the kernel ELF, not a raw binary image or a source file');
  }
  if (buffer.length < 64)
    fail(`truncated ELF: ${buffer.length} bytes, shorter than the 64-byte ELF header`, 'rebuild the kernel; the file was cut short');
  if (buffer[4] !== 2) fail('not a 64-bit ELF (ELFCLASS32): wbdiff runs AArch64 kernels');
  if (buffer[5] !== 1) fail('not a little-endian ELF: wbdiff runs little-endian AArch64 kernels');

  let parsed: ElfyFile;
  try {
    parsed = elfy.parse(buffer) as ElfyFile;
  } catch (error) {
    return fail(`malformed or truncated ELF: ${(error as Error).message}`, 'rebuild the kernel; the file may be cut short');
  }
  if (parsed.machine !== EM_AARCH64) {
    fail(`not an AArch64 ELF (machine: ${parsed.machine})`, 'build the kernel with an aarch64 toolchain');
  }
  const dyn = parsed.type === 'dyn';
  if (parsed.type !== 'exec' && !dyn)
    fail(`not an executable ELF (type: ${parsed.type})`, 'link the kernel (ET_EXEC), not just compile it');

  const segments: ElfSegment[] = parsed.body.programs.map((p, i) => {
    if (p.type === 'load' && p.offset + p.filesz > buffer.length) {
      fail(`truncated ELF: segment ${i} needs bytes up to ${p.offset + p.filesz}, the file has ${buffer.length}`, 'rebuild the kernel');
    }
    return {
      type: String(p.type),
      offset: p.offset,
      vaddr: BigInt(p.vaddr),
      paddr: BigInt(p.paddr),
      filesz: BigInt(p.filesz),
      memsz: BigInt(p.memsz),
      flags: { r: !!p.flags.r, w: !!p.flags.w, x: !!p.flags.x },
      // Only PT_LOAD bytes are used (and checked above); other headers may point anywhere.
      data: p.type === 'load' ? new Uint8Array(buffer.buffer, buffer.byteOffset + p.offset, p.filesz) : new Uint8Array(0),
    };
  });
  const loads = segments.filter((s) => s.type === 'load');
  if (loads.length === 0) fail('the ELF has no PT_LOAD segment: nothing to load');
  if (dyn && !options.allowDyn) {
    const low = loads.reduce((min, s) => (s.paddr < min ? s.paddr : min), loads[0]!.paddr);
    const { what, hint } = explainEtDyn(low, BigInt(parsed.entry));
    fail(what, hint);
  }

  const sections: ElfSection[] = parsed.body.sections.map((s) => {
    const inFile = s.type !== 'nobits' && s.off + s.size <= buffer.length;
    return {
      name: s.name,
      type: String(s.type),
      addr: BigInt(s.addr),
      offset: s.off,
      size: s.size,
      data: inFile ? new Uint8Array(buffer.buffer, buffer.byteOffset + s.off, s.size) : new Uint8Array(0),
    };
  });

  // Decoded on first use: a run that never faults never needs the (large, for Go) symbol table.
  let symbols: Symbolizer | null = null;
  return {
    path,
    bytes,
    entry: BigInt(parsed.entry),
    segments,
    sections,
    get symbols() {
      symbols ??= new Symbolizer(decodeSymtab(parsed.body.sections));
      return symbols;
    },
  };
}

/** Elf64_Sym: st_name u32, st_info u8, st_other u8, st_shndx u16, st_value u64, st_size u64. */
export function decodeSymtab(sections: readonly ElfySection[]): ElfSymbol[] {
  const symtab = sections.find((s) => s.type === 'symtab');
  if (!symtab) return [];
  const strtab = sections[symtab.link];
  if (!strtab) return [];
  const data = symtab.data;
  const out: ElfSymbol[] = [];
  for (let off = 24; off + 24 <= data.length; off += 24) {
    const nameOff = data.readUInt32LE(off);
    const info = data[off + 4]!;
    const shndx = data.readUInt16LE(off + 6);
    if (shndx === 0) continue; // undefined symbol
    const type = info & 0xf;
    if (type === 3 || type === 4) continue; // STT_SECTION, STT_FILE
    out.push({
      name: cString(strtab.data, nameOff),
      value: data.readBigUInt64LE(off + 8),
      size: data.readBigUInt64LE(off + 16),
      kind: type === 2 ? 'func' : type === 1 ? 'object' : 'other',
      binding: info >> 4 === 0 ? 'local' : info >> 4 === 2 ? 'weak' : 'global',
    });
  }
  return out;
}

function cString(bytes: Buffer, offset: number): string {
  const end = bytes.indexOf(0, offset);
  return bytes.toString('latin1', offset, end < 0 ? bytes.length : end);
}

/** The PT_LOAD segment holding addr in its file-backed bytes, or null. */
export function loadSegmentAt(image: ElfImage, addr: bigint): ElfSegment | null {
  for (const s of image.segments) {
    if (s.type === 'load' && addr >= s.vaddr && addr < s.vaddr + s.filesz) return s;
  }
  return null;
}

/** File offset of a virtual address inside a PT_LOAD segment's file bytes, or null. */
export function fileOffsetOf(image: ElfImage, addr: bigint): number | null {
  const s = loadSegmentAt(image, addr);
  return s ? s.offset + Number(addr - s.vaddr) : null;
}

export function readWord(image: ElfImage, addr: bigint): number | null {
  const off = fileOffsetOf(image, addr);
  if (off === null || off + 4 > image.bytes.length) return null;
  return Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).readUInt32LE(off);
}

/** Every aligned word of executable PT_LOAD bytes, optionally only inside [start, end). */
export function* codeWords(image: ElfImage, range: { start: bigint; end: bigint } | null): Generator<[bigint, number]> {
  for (const segment of image.segments) {
    if (segment.type !== 'load' || !segment.flags.x) continue;
    const view = new DataView(segment.data.buffer, segment.data.byteOffset, segment.data.byteLength);
    const first = range && range.start > segment.vaddr ? range.start : segment.vaddr;
    const endInSegment = segment.vaddr + BigInt(segment.data.byteLength);
    const last = range && range.end < endInSegment ? range.end : endInSegment;
    for (let address = (first + 3n) & ~3n; address + 4n <= last; address += 4n) {
      yield [address, view.getUint32(Number(address - segment.vaddr), true)];
    }
  }
}

export function describeSegments(image: ElfImage): string {
  return image.segments
    .filter((s) => s.type === 'load')
    .map((s) => `${hex(s.vaddr)}-${hex(s.vaddr + s.memsz)} ${s.flags.r ? 'r' : '-'}${s.flags.w ? 'w' : '-'}${s.flags.x ? 'x' : '-'}`)
    .join(', ');
}

// The parts of elfy's output we read (it ships no types).
interface ElfySection {
  name: string;
  type: string | number;
  addr: number;
  off: number;
  size: number;
  link: number;
  data: Buffer;
}
interface ElfyProgram {
  type: string | number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: Record<string, boolean>;
}
interface ElfyFile {
  machine: string;
  type: string;
  entry: number;
  body: { programs: ElfyProgram[]; sections: ElfySection[] };
}
