// The device tree QEMU generates for a machine description, saved with -machine dumpdtb= and
// cached by a hash of everything that shapes it (QEMU's version, cpu, memory, machine options,
// command line, initrd size): the emulator boots kernels with the same tree QEMU gives them.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WbdiffError } from '../errors.js';
import { CACHE_DIR } from '../paths.js';
import { qemuInvocation } from './qemu-args.js';
import { qemuVersionLine } from './qemu-version.js';
import { startTiedChild } from '../util/child.js';
import type { RunSpec } from './types.js';
import { sha256 } from '../util/hash.js';

/** Trees this process has read, by cache key (a key names its bytes for good). */
const recentTrees = new Map<string, Uint8Array>();
const RECENT_TREES = 16;

function remember(key: string, bytes: Uint8Array): Uint8Array {
  recentTrees.delete(key);
  recentTrees.set(key, bytes);
  if (recentTrees.size > RECENT_TREES) recentTrees.delete(recentTrees.keys().next().value!);
  return bytes;
}

export async function qemuDtb(spec: RunSpec): Promise<{ path: string; bytes: Uint8Array; cached: boolean }> {
  const { file, args } = qemuInvocation(spec);
  const qemu = await qemuVersionLine(file);
  const initrdSize = spec.machine?.initrd ? (await stat(spec.machine.initrd)).size : null;
  const key = sha256(
    JSON.stringify({
      qemu,
      cpu: spec.cpu,
      memoryMiB: spec.memoryMiB ?? null,
      machine: spec.machine ?? {},
      initrdSize,
    }),
  );
  const path = join(CACHE_DIR, 'dtb', `${key.slice(0, 24)}.dtb`);
  const recent = recentTrees.get(key);
  if (recent) return { path, bytes: recent, cached: true };
  if (existsSync(path)) return { path, bytes: remember(key, await readFile(path)), cached: true };
  await mkdir(join(CACHE_DIR, 'dtb'), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  const m = args.indexOf('-M');
  const dumpArgs = [...args];
  dumpArgs[m + 1] = `${args[m + 1]},dumpdtb=${temp.replace(/,/g, ',,')}`;
  // QEMU writes the tree once the machine is built and exits before running the guest.
  const result = await startTiedChild(file, dumpArgs, { reject: false, timeout: 30_000, stdin: 'ignore', all: true });
  if (!existsSync(temp)) {
    throw new WbdiffError(
      `QEMU did not write the device tree (exit ${result.exitCode ?? result.signal}): ${String(result.all ?? '')
        .trim()
        .split('\n')
        .pop()}`,
      { hint: 'check the machine options' },
    );
  }
  await rename(temp, path).catch(async (error) => {
    await rm(temp, { force: true });
    if (!existsSync(path)) throw error;
  });
  return { path, bytes: remember(key, await readFile(path)), cached: false };
}
