// The file side of ELF reading: read, parse (elf.ts), and keep recent images while the file is
// unchanged.
import { statSync } from 'node:fs';
import { MiB, readFileBounded } from '../util/bounded-read.js';
import { isElf, parseElf, type ElfImage } from './elf.js';

/** Parsed images by path, valid while the file's size and mtime are unchanged (matrix cells and
 *  repeats run the same bytes many times). Small: patched ELFs are many but short-lived. */
const imageCache = new Map<string, { stamp: string; image: ElfImage }>();
const IMAGE_CACHE_SIZE = 8;

export async function readElf(path: string): Promise<ElfImage> {
  const file = await readKernelFile(path);
  if ('elf' in file) return file.elf;
  // Not an ELF: parseElf says so, naming the file.
  return parseElf(file.bytes, path);
}

/**
 * A kernel file read once: its parsed image when it is an ELF (not read at all while the cached
 * image's size, mtime and inode still match), else its bytes (a raw or Image kernel).
 */
export async function readKernelFile(path: string): Promise<{ elf: ElfImage } | { bytes: Buffer }> {
  let stamp: string | null = null;
  try {
    // Synchronous: a few microseconds, where the promise's thread-pool round trip left the
    // event loop idle ~0.2 ms per run (pooled hello's whole run is ~0.6 ms).
    const info = statSync(path);
    stamp = `${info.size}:${info.mtimeMs}:${info.ino}`;
    const hit = imageCache.get(path);
    if (hit && hit.stamp === stamp) return { elf: hit.image };
  } catch {
    // reported below, by the read
  }
  const bytes = await readElfBytes(path);
  if (!isElf(bytes)) return { bytes };
  const image = parseElf(bytes, path);
  if (stamp) {
    imageCache.delete(path);
    imageCache.set(path, { stamp, image });
    if (imageCache.size > IMAGE_CACHE_SIZE) imageCache.delete(imageCache.keys().next().value!);
  }
  return { elf: image };
}

/** Larger than any kernel the virt board can hold (128 MiB flash + RAM): refused before reading. */
export const MAX_ELF_BYTES = 512 * MiB;

/** A kernel ELF's bytes: a regular file of at most MAX_ELF_BYTES (`/dev/zero` is a clear error). */
export function readElfBytes(path: string): Promise<Buffer> {
  return readFileBounded(path, {
    what: 'kernel ELF',
    maxBytes: MAX_ELF_BYTES,
    hint: 'give the path of an AArch64 kernel ELF, or a bundled kernel name (wbdiff build --list)',
  });
}
