// What a command runs: a bundled kernel (built, with its manifest) or any kernel file (as it is:
// an ELF, a raw image or an arm64 Image), with the command line's machine flags laid over it.
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseElf } from '../elf/elf.js';
import { detectImageFormat } from '../machine/boot-image.js';
import { canonicalMachine, mergeMachine, type ImageFormat, type MachineOptions } from '../machine/description.js';
import { imageFromBytes } from '../machine/kernel-image.js';
import type { ResultPattern, ResultPreset, RunOverrides } from '../runners/types.js';
import { readElfBytes } from '../elf/read-elf.js';
import { sha256 } from '../util/hash.js';
import { build, type BuildResult } from './builder.js';
import { resolveTargets, type Kernel } from './manifest.js';

export interface Subject {
  /** "hello", "gowb@go1.19", or the kernel file's name. */
  id: string;
  /** The file QEMU's -kernel gets (an ELF, or a raw/Image file). */
  elfPath: string;
  elfHash: string;
  kernel: Kernel | null;
  build: BuildResult | null;
  timeoutMs: number | undefined;
  memoryMiB: number | undefined;
  maxSerialBytes: number | undefined;
  resultPatterns: ResultPattern[];
  results?: ResultPreset | undefined;
  machine?: MachineOptions | undefined;
  imageFormat?: ImageFormat | undefined;
  symbolsElf?: string | undefined;
}

const IMAGE_SUFFIX = /\.(elf|bin|flat|img)$|(^|\/)Image$/;

export function looksLikePath(spec: string): boolean {
  return spec.includes('/') || IMAGE_SUFFIX.test(spec) || (existsSync(spec) && statSync(spec).isFile());
}

export async function resolveSubjects(spec: string, options: { force?: boolean; overrides?: RunOverrides } = {}): Promise<Subject[]> {
  const overrides = options.overrides ?? {};
  if (looksLikePath(spec)) {
    const file = await bytesOfFile(resolve(spec), undefined, spec);
    return [
      withOverrides(
        {
          id: basename(spec),
          elfPath: file.path,
          elfHash: file.hash,
          kernel: null,
          build: null,
          timeoutMs: undefined,
          memoryMiB: undefined,
          maxSerialBytes: undefined,
          resultPatterns: [],
          ...(file.imageFormat !== 'elf' ? { imageFormat: file.imageFormat } : {}),
        },
        overrides,
      ),
    ];
  }
  const targets = await resolveTargets(spec);
  const subjects: Subject[] = [];
  for (const target of targets) {
    const result = await build(target, options);
    const manifest = target.kernel.manifest;
    const bytes = bytesOfBuild(result, manifest.image);
    subjects.push(
      withOverrides(
        {
          id: target.id,
          elfPath: bytes.path,
          elfHash: bytes.hash,
          kernel: target.kernel,
          build: result,
          timeoutMs: manifest.timeoutMs,
          memoryMiB: manifest.memoryMiB,
          maxSerialBytes: manifest.maxSerialBytes,
          resultPatterns: manifest.resultPatterns ?? [],
          results: manifest.results,
          machine: manifest.machine,
          ...(bytes.symbolsElf ? { imageFormat: bytes.imageFormat, symbolsElf: bytes.symbolsElf } : {}),
        },
        overrides,
      ),
    );
  }
  return subjects;
}

/** The bytes a kernel runs as, with how they boot. */
export interface KernelBytes {
  path: string;
  /** sha256 of the bytes. */
  hash: string;
  imageFormat: ImageFormat;
  /** The ELF that symbolises a flat image. */
  symbolsElf?: string;
}

/** What a build runs: its ELF, or (manifest "image": raw | linux-image) the flat image, symbolised by the ELF. */
export function bytesOfBuild(result: BuildResult, image: ImageFormat | undefined): KernelBytes {
  if (image && image !== 'elf' && result.imagePath !== undefined && result.imageHash !== undefined)
    return { path: result.imagePath, hash: result.imageHash, imageFormat: image, symbolsElf: result.elfPath };
  return { path: result.elfPath, hash: result.elfHash, imageFormat: 'elf' };
}

/**
 * A kernel file as it is (ELF, raw image, arm64 Image), checked now: a clear error beats one from
 * each runner. `declared` is how a config says it boots; otherwise its bytes (and a .elf name) say.
 */
export async function bytesOfFile(path: string, declared?: ImageFormat, shownAs = path): Promise<KernelBytes> {
  const bytes = await readElfBytes(path);
  const detected = detectImageFormat(bytes);
  if (detected === 'elf' || declared === 'elf' || (declared === undefined && shownAs.endsWith('.elf'))) parseElf(bytes, shownAs);
  else imageFromBytes(bytes, declared ?? detected, { elfPath: shownAs }, null);
  return { path, hash: sha256(bytes), imageFormat: declared ?? detected };
}

/** The command line over the manifest: one merge, so every command runs a kernel alike. */
export function withOverrides(subject: Subject, overrides: RunOverrides): Subject {
  const machine = canonicalMachine(mergeMachine(subject.machine, overrides.machine));
  return {
    ...subject,
    memoryMiB: overrides.memoryMiB ?? subject.memoryMiB,
    resultPatterns: [...(overrides.resultPatterns ?? []), ...subject.resultPatterns],
    results: overrides.results ?? subject.results,
    machine: Object.keys(machine).length ? machine : undefined,
    imageFormat: overrides.imageFormat ?? subject.imageFormat,
    symbolsElf: overrides.symbolsElf ?? subject.symbolsElf,
  };
}
