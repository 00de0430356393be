// Where QEMU 7.2's hw/arm/boot.c puts the device tree (qemu-dtb.ts gets it from QEMU) in guest
// memory, and the boot stub it writes for raw and Image kernels. Pure.
import { WbdiffError } from '../errors.js';

/** The size of every tree virt makes (create_device_tree's FDT_MAX_SIZE; QEMU does not pack it). */
export const VIRT_DTB_SIZE = 0x10_0000;

/** fdt_header.totalsize (big-endian at offset 4), checking the magic. */
export function dtbTotalSize(dtb: Uint8Array): number {
  const view = new DataView(dtb.buffer, dtb.byteOffset, dtb.byteLength);
  if (dtb.length < 40 || view.getUint32(0) !== 0xd00d_feed) throw new WbdiffError('not a flattened device tree (no 0xd00dfeed magic)');
  return view.getUint32(4);
}

export interface BootPlacement {
  /** Where the DTB goes, or null when QEMU loads none (it would overlap the kernel). */
  dtbAddress: bigint | null;
  /** x0 at the first instruction: 0 for an ELF (QEMU jumps straight to its entry). */
  x0: bigint;
  why: string;
}

/**
 * hw/arm/boot.c (7.2) for an ELF kernel: QEMU starts the CPU at the entry with every register
 * zero, and loads the DTB at the base of RAM only when the ELF leaves room below it (the ELF
 * starts above RAM's base, or ends below it) and the whole tree fits under the ELF's lowest
 * address (virt's tree is 1 MiB: a kernel at 0x40080000 gets none).
 */
export function elfBootPlacement(elf: { low: bigint; high: bigint }, ramBase: bigint, dtbSize: number): BootPlacement {
  if (!(elf.low > ramBase || elf.high < ramBase))
    return { dtbAddress: null, x0: 0n, why: 'the ELF covers the base of RAM: QEMU loads no DTB' };
  const limit = elf.low < ramBase ? 0n : elf.low;
  if (limit !== 0n && BigInt(dtbSize) > limit - ramBase) {
    return { dtbAddress: null, x0: 0n, why: `the ${dtbSize}-byte DTB would overlap the ELF at 0x${elf.low.toString(16)}: QEMU loads none` };
  }
  return {
    dtbAddress: ramBase,
    x0: 0n,
    why: 'DTB at the base of RAM, as QEMU loads it for an ELF kernel (x0 = 0: QEMU jumps straight to the ELF entry)',
  };
}

/** Where the kernel image ends in guest memory and how large the initrd is (0: none). */
export interface LinuxBootExtent {
  imageEnd?: bigint;
  initrdSize?: number;
}

/**
 * QEMU's AArch64 boot stub (hw/arm/boot.c bootloader_aarch64) for raw and Image kernels, as it
 * writes it at the base of RAM: ldr x0, dtb; mov x1-x3, xzr; ldr x4, entry; br x4; then the DTB
 * address and the entry. The initrd goes at RAM + min(RAM / 2, 128 MiB), or past the image when
 * the image ends above that, page aligned; the DTB after the initrd, 2 MiB aligned (AArch64
 * kernels map the tree's 2 MiB block). Measured on QEMU 7.2 with 512 MiB: initrd at 0x48000000,
 * a 44-byte initrd puts the DTB at 0x48200000 (kernels/initrd).
 */
export function linuxBootStub(
  ramBase: bigint,
  ramSize: bigint,
  entry: bigint,
  extent: LinuxBootExtent = {},
): { code: Uint8Array; dtbAddress: bigint; initrdAddress: bigint } {
  const half = ramSize / 2n;
  let initrdAddress = ramBase + (half < 128n << 20n ? half : 128n << 20n);
  if (extent.imageEnd !== undefined && extent.imageEnd > initrdAddress) initrdAddress = extent.imageEnd;
  initrdAddress = alignUp(initrdAddress, 0x1000n);
  const dtbAddress = alignUp(initrdAddress + BigInt(extent.initrdSize ?? 0), 2n << 20n);
  const code = new Uint8Array(40);
  const view = new DataView(code.buffer);
  [0x5800_00c0, 0xaa1f_03e1, 0xaa1f_03e2, 0xaa1f_03e3, 0x5800_0084, 0xd61f_0080].forEach((word, i) => view.setUint32(i * 4, word, true));
  view.setBigUint64(24, dtbAddress, true);
  view.setBigUint64(32, entry, true);
  return { code, dtbAddress, initrdAddress };
}

function alignUp(value: bigint, align: bigint): bigint {
  return (value + align - 1n) & ~(align - 1n);
}
