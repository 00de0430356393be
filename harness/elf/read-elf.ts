// The file side of ELF reading: read, parse (elf.ts), and keep recent images while the file is
// unchanged.
import { readFile, stat } from 'node:fs/promises';
import { WbdiffError } from '../errors.js';
import { parseElf, type ElfImage } from './elf.js';

/** Parsed images by path, valid while the file's size and mtime are unchanged (matrix cells and
 *  repeats run the same bytes many times). Small: patched ELFs are many but short-lived. */
const imageCache = new Map<string, { stamp: string; image: ElfImage }>();
const IMAGE_CACHE_SIZE = 8;

export async function readElf(path: string): Promise<ElfImage> {
  let stamp: string | null = null;
  try {
    const info = await stat(path);
    stamp = `${info.size}:${info.mtimeMs}:${info.ino}`;
    const hit = imageCache.get(path);
    if (hit && hit.stamp === stamp) return hit.image;
  } catch {
    // reported below, by the read
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new WbdiffError(`cannot read the ELF file: ${(error as Error).message}`, {
      where: path,
      hint: 'give the path of a built kernel ELF, or a bundled kernel name (see `wbdiff build --list`)',
    });
  }
  const image = parseElf(bytes, path);
  if (stamp) {
    imageCache.delete(path);
    imageCache.set(path, { stamp, image });
    if (imageCache.size > IMAGE_CACHE_SIZE) imageCache.delete(imageCache.keys().next().value!);
  }
  return image;
}
