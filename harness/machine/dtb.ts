// The device tree of a machine description, from QEMU itself (`-machine dumpdtb=FILE` with the
// QEMU runner's own arguments, so the tree is the one a QEMU run gets), cached by a hash of those
// arguments and QEMU's version line; and where QEMU 7.2's hw/arm/boot.c puts it in guest memory.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { WbdiffError } from '../errors.js';
import { CACHE_DIR } from '../paths.js';
import { qemuInvocation } from '../runners/qemu-args.js';
import type { RunSpec } from '../runners/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';

/**
 * QEMU's arguments that describe the machine: logging and gdb ones removed, `-kernel` kept
 * (QEMU wants it beside -append) but left out of `key`, since the tree does not depend on it.
 */
export function machineArgs(spec: RunSpec): { file: string; args: string[]; key: string[] } {
  const { file, args } = qemuInvocation(spec);
  const out: string[] = [];
  const key: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-d' || arg === '-gdb' || arg === '-D') i++;
    else if (arg === '-kernel') out.push(arg, args[++i]!);
    else if (arg !== '-S') out.push(arg), key.push(arg);
  }
  return { file, args: out, key };
}

/** The DTB QEMU generates for this machine description (cached under .cache/dtb/). */
export async function machineDtb(spec: RunSpec): Promise<Uint8Array> {
  const { file, args, key: keyArgs } = machineArgs(spec);
  let versionLine: string;
  try {
    versionLine = (await execa(file, ['--version'], { timeout: 20_000 })).stdout.split('\n')[0] ?? '';
  } catch (error) {
    throw new WbdiffError(`cannot run ${file} to get the machine's device tree: ${(error as Error).message}`, { hint: 'install qemu-system-arm (scripts/setup.sh) or set WBDIFF_QEMU', infrastructure: true });
  }
  const key = sha256(JSON.stringify({ versionLine, args: keyArgs })).slice(0, 24);
  const path = join(CACHE_DIR, 'dtb', `${key}.dtb`);
  if (existsSync(path)) return new Uint8Array(await readFile(path));
  await mkdir(join(CACHE_DIR, 'dtb'), { recursive: true });
  const work = await mkdtemp(join(CACHE_DIR, 'dtb', '.tmp-'));
  try {
    const out = join(work, 'machine.dtb');
    const result = await execa(file, [...args, '-machine', `dumpdtb=${out}`], { reject: false, all: true, timeout: 30_000 });
    if (!existsSync(out)) {
      throw new WbdiffError(`QEMU did not dump the device tree (exit ${result.exitCode ?? result.signal}): ${String(result.all ?? '').trim().slice(0, 400)}`, {
        hint: `the machine options may be wrong; the command was: ${[file, ...args, '-machine', `dumpdtb=${out}`].join(' ')}`,
        infrastructure: true,
      });
    }
    const bytes = new Uint8Array(await readFile(out));
    await writeFileAtomic(path, bytes);
    return bytes;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

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
  if (!(elf.low > ramBase || elf.high < ramBase)) return { dtbAddress: null, x0: 0n, why: 'the ELF covers the base of RAM: QEMU loads no DTB' };
  const limit = elf.low < ramBase ? 0n : elf.low;
  if (limit !== 0n && BigInt(dtbSize) > limit - ramBase) {
    return { dtbAddress: null, x0: 0n, why: `the ${dtbSize}-byte DTB would overlap the ELF at 0x${elf.low.toString(16)}: QEMU loads none` };
  }
  return { dtbAddress: ramBase, x0: 0n, why: 'DTB at the base of RAM, as QEMU loads it for an ELF kernel (x0 = 0: QEMU jumps straight to the ELF entry)' };
}

/**
 * QEMU's AArch64 boot stub (hw/arm/boot.c bootloader_aarch64) for raw and Image kernels, as it
 * writes it at the base of RAM: ldr x0, dtb; mov x1-x3, xzr; ldr x4, entry; br x4; then the DTB
 * address and the entry. The DTB goes at RAM + min(RAM / 2, 128 MiB).
 */
export function linuxBootStub(ramBase: bigint, ramSize: bigint, entry: bigint): { code: Uint8Array; dtbAddress: bigint } {
  const half = ramSize / 2n;
  const dtbAddress = ramBase + (half < 128n << 20n ? half : 128n << 20n);
  const code = new Uint8Array(40);
  const view = new DataView(code.buffer);
  [0x5800_00c0, 0xaa1f_03e1, 0xaa1f_03e2, 0xaa1f_03e3, 0x5800_0084, 0xd61f_0080].forEach((word, i) => view.setUint32(i * 4, word, true));
  view.setBigUint64(24, dtbAddress, true);
  view.setBigUint64(32, entry, true);
  return { code, dtbAddress };
}
