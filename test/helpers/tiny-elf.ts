// A tiny ELF writer for tests: PT_LOAD segments of hand-encoded A64 words, a .symtab.

export const words = (list: number[]) => new Uint8Array(new Uint32Array(list).buffer);

export interface Segment {
  addr: bigint;
  code: number[];
  bss?: number;
  flags?: number;
}
export interface Sym {
  name: string;
  value: bigint;
  size: bigint;
}

export function buildElf(entry: bigint, segments: Segment[], symbols: Sym[] = []): Uint8Array {
  const align = (n: number) => (n + 15) & ~15;
  const phoff = 64;
  let offset = align(phoff + 56 * segments.length);
  const placed = segments.map((s) => {
    const data = words(s.code);
    const at = offset;
    offset = align(offset + data.length);
    return { ...s, data, at };
  });
  const strtab = Buffer.concat([Buffer.from([0]), ...symbols.map((s) => Buffer.from(`${s.name}\0`))]);
  const symtab = Buffer.alloc(24 * (symbols.length + 1));
  let nameAt = 1;
  symbols.forEach((s, i) => {
    const o = 24 * (i + 1);
    symtab.writeUInt32LE(nameAt, o);
    symtab[o + 4] = 0x12; // STB_GLOBAL, STT_FUNC
    symtab.writeUInt16LE(1, o + 6); // section 1 (.text)
    symtab.writeBigUInt64LE(s.value, o + 8);
    symtab.writeBigUInt64LE(s.size, o + 16);
    nameAt += Buffer.byteLength(s.name) + 1;
  });
  const shstrtab = Buffer.from('\0.text\0.symtab\0.strtab\0.shstrtab\0');
  const symtabAt = offset;
  offset = align(offset + symtab.length);
  const strtabAt = offset;
  offset = align(offset + strtab.length);
  const shstrAt = offset;
  offset = align(offset + shstrtab.length);
  const shoff = offset;
  const out = Buffer.alloc(shoff + 64 * 5);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(out, 0);
  out.writeUInt16LE(2, 16); // ET_EXEC
  out.writeUInt16LE(183, 18); // EM_AARCH64
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(entry, 24);
  out.writeBigUInt64LE(BigInt(phoff), 32);
  out.writeBigUInt64LE(BigInt(shoff), 40);
  out.writeUInt16LE(64, 52);
  out.writeUInt16LE(56, 54);
  out.writeUInt16LE(segments.length, 56);
  out.writeUInt16LE(64, 58);
  out.writeUInt16LE(5, 60);
  out.writeUInt16LE(4, 62); // .shstrtab
  placed.forEach((s, i) => {
    const o = phoff + 56 * i;
    out.writeUInt32LE(1, o); // PT_LOAD
    out.writeUInt32LE(s.flags ?? 7, o + 4);
    out.writeBigUInt64LE(BigInt(s.at), o + 8);
    out.writeBigUInt64LE(s.addr, o + 16);
    out.writeBigUInt64LE(s.addr, o + 24);
    out.writeBigUInt64LE(BigInt(s.data.length), o + 32);
    out.writeBigUInt64LE(BigInt(s.data.length + (s.bss ?? 0)), o + 40);
    out.writeBigUInt64LE(16n, o + 48);
    Buffer.from(s.data).copy(out, s.at);
  });
  symtab.copy(out, symtabAt);
  strtab.copy(out, strtabAt);
  shstrtab.copy(out, shstrAt);
  const section = (i: number, name: number, type: number, addr: bigint, off: number, size: number, link = 0, info = 0, entsize = 0) => {
    const o = shoff + 64 * i;
    out.writeUInt32LE(name, o);
    out.writeUInt32LE(type, o + 4);
    out.writeBigUInt64LE(addr, o + 16);
    out.writeBigUInt64LE(BigInt(off), o + 24);
    out.writeBigUInt64LE(BigInt(size), o + 32);
    out.writeUInt32LE(link, o + 40);
    out.writeUInt32LE(info, o + 44);
    out.writeBigUInt64LE(BigInt(entsize), o + 56);
  };
  section(1, 1, 1, placed[0]!.addr, placed[0]!.at, placed[0]!.data.length);
  section(2, 7, 2, 0n, symtabAt, symtab.length, 3, 1, 24);
  section(3, 15, 3, 0n, strtabAt, strtab.length);
  section(4, 23, 3, 0n, shstrAt, shstrtab.length);
  return out;
}
