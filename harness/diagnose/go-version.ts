// The Go version a binary was built with, from the `.go.buildinfo` blob the Go linker leaves
// (the format `go version <file>` and debug/buildinfo read). Pure over the ELF image's bytes.
//
// Blob: 14-byte magic "\xff Go buildinf:", pointer size (1 byte), flags (1 byte), padding to 16.
// - flags & 2 (Go >= 1.18): version and module info follow inline at offset 32, each a
//   uvarint length and the bytes.
// - otherwise (Go < 1.18): at offset 16 two pointers (pointer size, byte order from the flags
//   byte: non-zero = big endian) to Go string headers {data pointer, length}.
import type { ElfImage } from '../elf/elf.js';

export const BUILDINFO_MAGIC = Uint8Array.from([0xff, ...Buffer.from(' Go buildinf:', 'latin1')]);
const HEADER_SIZE = 32;
const FLAG_INLINE = 2;

type ImageBytes = Pick<ElfImage, 'sections' | 'segments'>;

/** "go1.19.8", or null when the image has no (readable) Go build info. */
export function goVersion(image: ImageBytes): string | null {
  const blob = findBlob(image);
  if (!blob) return null;
  const ptrSize = blob[14]!;
  const flags = blob[15]!;
  if (flags & FLAG_INLINE) {
    const version = readVarintString(blob, HEADER_SIZE);
    return validVersion(version);
  }
  if (ptrSize !== 4 && ptrSize !== 8) return null;
  const bigEndian = flags !== 0;
  const headerAddress = readPointer(blob, 16, ptrSize, bigEndian);
  if (headerAddress === null) return null;
  const header = readVirtual(image, headerAddress, 2 * ptrSize);
  if (!header) return null;
  const data = readPointer(header, 0, ptrSize, bigEndian);
  const length = readPointer(header, ptrSize, ptrSize, bigEndian);
  if (data === null || length === null || length > 256n) return null;
  const bytes = readVirtual(image, data, Number(length));
  return bytes ? validVersion(Buffer.from(bytes).toString('latin1')) : null;
}

/** { major: 1, minor: 19 } from "go1.19.8" / "go1.23" / "go1.21rc2"; null when not a Go release name. */
export function parseGoVersion(text: string): { major: number; minor: number } | null {
  const m = /^go(\d+)\.(\d+)/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

/** The blob: the `.go.buildinfo` section, else a 16-byte aligned magic in a loaded segment (stripped section table). */
function findBlob(image: ImageBytes): Uint8Array | null {
  const section = image.sections.find((s) => s.name === '.go.buildinfo');
  if (section && section.data.length >= HEADER_SIZE && startsWithMagic(section.data, 0)) return section.data;
  for (const segment of image.segments) {
    if (segment.type !== 'load') continue;
    const data = segment.data;
    for (let off = 0; off + HEADER_SIZE <= data.length; off += 16) {
      if (startsWithMagic(data, off)) return data.subarray(off);
    }
  }
  return null;
}

function startsWithMagic(data: Uint8Array, offset: number): boolean {
  for (let i = 0; i < BUILDINFO_MAGIC.length; i++) if (data[offset + i] !== BUILDINFO_MAGIC[i]) return false;
  return true;
}

function readVarintString(data: Uint8Array, offset: number): string | null {
  let length = 0;
  let shift = 0;
  let at = offset;
  for (;;) {
    if (at >= data.length || shift > 28) return null;
    const byte = data[at++]!;
    length |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
    shift += 7;
  }
  if (length > 256 || at + length > data.length) return null;
  return Buffer.from(data.subarray(at, at + length)).toString('latin1');
}

function readPointer(data: Uint8Array, offset: number, size: number, bigEndian: boolean): bigint | null {
  if (offset + size > data.length) return null;
  const view = new DataView(data.buffer, data.byteOffset + offset, size);
  if (size === 8) return view.getBigUint64(0, !bigEndian);
  return BigInt(view.getUint32(0, !bigEndian));
}

/** Bytes at a virtual address, from the file-backed part of a PT_LOAD segment. */
function readVirtual(image: ImageBytes, address: bigint, length: number): Uint8Array | null {
  for (const segment of image.segments) {
    if (segment.type !== 'load') continue;
    const end = segment.vaddr + BigInt(segment.data.length);
    if (address >= segment.vaddr && address + BigInt(length) <= end) {
      const start = Number(address - segment.vaddr);
      return segment.data.subarray(start, start + length);
    }
  }
  return null;
}

function validVersion(text: string | null): string | null {
  return text && /^go\d+\.\d+/.test(text) ? text : null;
}
