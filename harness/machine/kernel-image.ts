// A kernel file as a runner sees it: its boot format, where its bytes sit in guest memory, and
// symbols (its own, or those of `symbolsElf` moved to where the raw image was loaded).
import { parseElf, readWord, type ElfImage } from '../elf/elf.js';
import { readElfBytes, readKernelFile } from '../elf/read-elf.js';
import { Symbolizer } from '../elf/symbols.js';
import { WbdiffError } from '../errors.js';
import { hex } from '../util/hex.js';
import { detectImageFormat, imageHeaderProblem, placeImage, type BootImage } from './boot-image.js';
import type { ImageFormat } from './description.js';

export interface KernelImage {
  format: ImageFormat;
  elf: ElfImage | null;
  boot: BootImage | null;
  /** A raw or Image file's bytes, as read (bounded) once; null for an ELF. */
  bytes: Uint8Array | null;
  symbols: Symbolizer;
  /** The 32-bit word the image puts at a guest address, or null when nothing of the image is there. */
  wordAt(addr: bigint): number | null;
}

export interface KernelImageSpec {
  elfPath: string;
  imageFormat?: ImageFormat | undefined;
  symbolsElf?: string | undefined;
}

export async function loadKernelImage(spec: KernelImageSpec): Promise<KernelImage> {
  // One read (none while the parsed ELF is cached): the bytes tell an ELF from a raw or Image file.
  const file = await readKernelFile(spec.elfPath);
  if ('elf' in file) {
    const elf = file.elf;
    return { format: 'elf', elf, boot: null, bytes: null, symbols: elf.symbols, wordAt: (addr) => readWord(elf, addr) };
  }
  const format = spec.imageFormat ?? detectImageFormat(file.bytes);
  if (format === 'elf')
    throw new WbdiffError('not an ELF file, though its format was given as elf', {
      where: spec.elfPath,
      hint: 'leave the format out (it is detected) or say raw / linux-image',
    });
  return imageFromBytes(file.bytes, format, spec, spec.symbolsElf ? await readSymbolsElf(spec.symbolsElf) : null);
}

/** Pure part: place a raw or Image file and shift the symbols ELF to where it landed. */
export function imageFromBytes(bytes: Uint8Array, format: ImageFormat, spec: KernelImageSpec, symbolsElf: ElfImage | null): KernelImage {
  const boot = placeImage(bytes);
  if (format === 'linux-image' && !boot.header) {
    throw new WbdiffError('no arm64 Image header (magic "ARM\\x64" at offset 0x38)', {
      where: spec.elfPath,
      hint: 'give it as a raw image (--image raw), or build it with an Image header',
    });
  }
  const problem = boot.header ? imageHeaderProblem(boot.header) : null;
  if (problem) throw new WbdiffError(problem, { where: spec.elfPath });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wordAt = (addr: bigint): number | null => {
    const off = addr - boot.loadAddress;
    return off >= 0n && off + 4n <= BigInt(bytes.length) && (off & 3n) === 0n ? view.getUint32(Number(off), true) : null;
  };
  return {
    format: boot.format,
    elf: null,
    boot,
    bytes,
    symbols: symbolsElf ? shiftedSymbols(symbolsElf, boot.loadAddress) : new Symbolizer([]),
    wordAt,
  };
}

/** The symbols ELF's lowest loaded address is taken as the image's first byte (objcopy -O binary). */
function shiftedSymbols(elf: ElfImage, loadAddress: bigint): Symbolizer {
  const loads = elf.segments.filter((s) => s.type === 'load');
  const low = loads.reduce((min, s) => (s.vaddr < min ? s.vaddr : min), loads[0]!.vaddr);
  const delta = loadAddress - low;
  if (delta === 0n) return elf.symbols;
  const all = [...elf.symbols.all];
  return new Symbolizer(all.map((s) => ({ ...s, value: s.value + delta })));
}

async function readSymbolsElf(path: string): Promise<ElfImage> {
  return parseElf(await readElfBytes(path), path, { allowDyn: true });
}

export function describeImage(image: KernelImage): string {
  if (!image.boot) return 'ELF';
  const h = image.boot.header;
  return `${image.format === 'raw' ? 'raw image' : `arm64 Image (text_offset ${hex(h!.textOffset)}, image_size ${hex(h!.imageSize)}, flags ${hex(h!.flags)})`} loaded at ${hex(image.boot.loadAddress)}`;
}
