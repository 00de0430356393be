// Bundled kernels: find them, read their manifests, and list their build targets.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { WbdiffError } from '../errors.js';
import { validatePattern } from '../markers/parse.js';
import { KERNELS_DIR } from '../paths.js';
import type { ImageFormat, MachineOptions } from '../machine/description.js';
import type { ResultPattern, ResultPreset, Verdict } from '../runners/types.js';
import { loadJsonFile } from '../util/json-file.js';
import { kernelManifestSchema } from './manifest-schema.js';
import { buildTargets } from './targets.js';

export interface KernelExpectation {
  verdict?: Exclude<Verdict, 'crash' | 'error'>;
  done?: boolean;
  /** The kernel's exit status (semihosting, chr-testdev, EXIT: STATUS=): one value or any of a list; 0 when it gives one and this is absent. */
  exitStatus?: number | number[];
  /** Any marker with a failing value (N, FAIL, XPASS) not listed in `markers` is a mismatch. */
  noFailingMarkers?: boolean;
  markers?: Record<string, string>;
  conflicts?: string[];
}

export interface KernelManifest {
  description: string;
  toolchain: 'gcc' | 'go';
  sources?: string[];
  /** gcc only: the link map, relative to the kernel folder (default: kernels/common/virt.ld). */
  linkerScript?: string;
  go?: { versions: string[]; entry: string; cArchive?: CArchiveRecipe };
  timeoutMs?: number;
  memoryMiB?: number;
  maxSerialBytes?: number;
  /** False when the output varies from run to run by design; runners are then not expected to agree. */
  deterministic?: boolean;
  expect: KernelExpectation;
  resultPatterns?: ResultPattern[];
  /** A named result format (markers, kvm-unit-tests, ktap). */
  results?: ResultPreset;
  /** The runners that can run it as it is (the emulator does not model every machine option yet); all when absent. */
  runners?: ('qemu' | 'emu')[];
  /** How the kernel is booted: the ELF (default), or its flat image, raw or with an arm64 Image header. */
  image?: ImageFormat;
  /** The machine it runs on: smp, -machine options, command line, initrd, devices, semihosting. */
  machine?: MachineOptions;
  convention?: Record<string, unknown>;
}

/** A Go kernel built with -buildmode=c-archive and linked by gcc with its own script and objects. */
export interface CArchiveRecipe {
  sources: string[];
  linkerScript: string;
  /** Per object ("go" = the archive, or a source file name): objcopy symbol options, in order. */
  objcopy?: Record<string, string[]>;
}

export interface Kernel {
  name: string;
  dir: string;
  manifestPath: string;
  manifest: KernelManifest;
}

export type Toolchain = { kind: 'gcc' } | { kind: 'go'; version: string };

/** One buildable thing: a kernel with one toolchain ("gowb@go1.19", or just "hello"). */
export interface BuildTarget {
  id: string;
  kernel: Kernel;
  toolchain: Toolchain;
}

export const MANIFEST_FILE = 'kernel.json';

export async function listKernels(root = KERNELS_DIR): Promise<Kernel[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, MANIFEST_FILE)))
    .map((e) => e.name)
    .sort();
  return Promise.all(names.map((name) => loadKernel(name, root)));
}

export async function loadKernel(name: string, root = KERNELS_DIR): Promise<Kernel> {
  const dir = join(root, name);
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    const known = existsSync(root) ? (await readdir(root)).filter((n) => existsSync(join(root, n, MANIFEST_FILE))) : [];
    throw new WbdiffError(`no bundled kernel named "${name}" (and no such file)`, {
      hint: `bundled kernels: ${known.join(', ') || '(none)'}; or give the path of an ELF file`,
    });
  }
  const manifest = await loadJsonFile<KernelManifest>(
    manifestPath,
    kernelManifestSchema,
    'kernel manifest',
    'see kernels/README.md for the manifest format',
  );
  for (const [i, pattern] of (manifest.resultPatterns ?? []).entries()) {
    const problem = validatePattern(pattern);
    if (problem) throw new WbdiffError(`resultPatterns[${i}] is not usable: ${problem}`, { where: manifestPath });
  }
  if (manifest.machine?.initrd !== undefined) manifest.machine.initrd = resolvePath(dir, manifest.machine.initrd);
  for (const source of [...(manifest.sources ?? []), ...(manifest.linkerScript ? [manifest.linkerScript] : [])]) {
    if (!existsSync(join(dir, source)))
      throw new WbdiffError(`source "${source}" listed in the manifest does not exist`, { where: manifestPath });
  }
  return { name, dir, manifestPath, manifest };
}

export { buildTargets } from './targets.js';

/** "gowb" -> every target of gowb; "gowb@go1.23" -> that one. */
export async function resolveTargets(spec: string): Promise<BuildTarget[]> {
  const [name, toolchain] = spec.split('@') as [string, string | undefined];
  const targets = buildTargets(await loadKernel(name));
  if (toolchain === undefined) return targets;
  const picked = targets.filter((t) => t.id === spec);
  if (picked.length === 0) {
    throw new WbdiffError(`kernel "${name}" has no build "${spec}"`, { hint: `its builds: ${targets.map((t) => t.id).join(', ')}` });
  }
  return picked;
}
