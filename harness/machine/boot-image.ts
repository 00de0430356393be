// Where QEMU's `-kernel` puts an image and how it enters it (hw/arm/boot.c, AArch64 virt). Pure:
// bytes in, a description out. An ELF is loaded by its program headers and entered at e_entry; any
// other file goes through load_aarch64_image(): an arm64 Linux `Image` (magic "ARM\x64" at 0x38)
// at RAM base + text_offset (+2 MiB when text_offset is inside the 4 KiB boot stub), a raw image
// (`.bin`, `.flat`) at RAM base + 0x80000; both entered by the boot stub with x0 = the DTB address.
import { isElf } from '../elf/elf.js';
import { VIRT_RAM_BASE } from '../util/virt-addresses.js';
import type { ImageFormat } from './description.js';

export { VIRT_RAM_BASE };
/** KERNEL64_LOAD_ADDR: where a raw AArch64 image (or an Image with image_size 0) lands. */
export const RAW_LOAD_OFFSET = 0x8_0000n;
const BOOTLOADER_MAX_SIZE = 0x1000n;
const IMAGE_MAGIC_OFFSET = 0x38;

export interface LinuxImageHeader {
  textOffset: bigint;
  imageSize: bigint;
  /** Bit 0: big-endian kernel; bits 1-2: page size; bit 3: placement anywhere. */
  flags: bigint;
}

export interface BootImage {
  format: ImageFormat;
  /** Physical address of the first byte of the file (raw and Image formats). */
  loadAddress: bigint;
  entry: bigint;
  /** Bytes QEMU copies to loadAddress (the whole file for raw and Image). */
  size: number;
  header: LinuxImageHeader | null;
}

export function hasLinuxImageMagic(bytes: Uint8Array): boolean {
  const m = IMAGE_MAGIC_OFFSET;
  return bytes.length > m + 4 && bytes[m] === 0x41 && bytes[m + 1] === 0x52 && bytes[m + 2] === 0x4d && bytes[m + 3] === 0x64;
}

/** What QEMU would take the file for. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat {
  if (isElf(bytes)) return 'elf';
  return hasLinuxImageMagic(bytes) ? 'linux-image' : 'raw';
}

export function linuxImageHeader(bytes: Uint8Array): LinuxImageHeader | null {
  if (!hasLinuxImageMagic(bytes) || bytes.length < 0x40) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { textOffset: view.getBigUint64(8, true), imageSize: view.getBigUint64(16, true), flags: view.getBigUint64(24, true) };
}

/** Placement of a raw or Image file, as load_aarch64_image() does it. */
export function placeImage(bytes: Uint8Array, ramBase: bigint = VIRT_RAM_BASE): BootImage {
  const header = linuxImageHeader(bytes);
  let offset = RAW_LOAD_OFFSET;
  // text_offset is only valid when image_size is non-zero (kernels before 3.17 left both 0).
  if (header && header.imageSize !== 0n)
    offset = header.textOffset < BOOTLOADER_MAX_SIZE ? header.textOffset + 0x20_0000n : header.textOffset;
  const loadAddress = ramBase + offset;
  return { format: header ? 'linux-image' : 'raw', loadAddress, entry: loadAddress, size: bytes.length, header };
}

/** Words of a Linux Image header that make a file unbootable, in words (null when fine). */
export function imageHeaderProblem(header: LinuxImageHeader): string | null {
  if (header.flags & 1n) return 'the Image header says big-endian (flags bit 0); QEMU virt runs it little-endian';
  return null;
}
