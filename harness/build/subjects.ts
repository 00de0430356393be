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
    const elfPath = resolve(spec);
    const bytes = await readElfBytes(elfPath);
    const imageFormat = detectImageFormat(bytes);
    // A clear error now beats one from each runner.
    if (imageFormat === 'elf' || spec.endsWith('.elf')) parseElf(bytes, spec);
    else imageFromBytes(bytes, imageFormat, { elfPath: spec }, null);
    return [
      withOverrides(
        {
          id: basename(spec),
          elfPath,
          elfHash: sha256(bytes),
          kernel: null,
          build: null,
          timeoutMs: undefined,
          memoryMiB: undefined,
          maxSerialBytes: undefined,
          resultPatterns: [],
          ...(imageFormat !== 'elf' ? { imageFormat } : {}),
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
    const flat = result.imagePath !== undefined && manifest.image !== undefined && manifest.image !== 'elf';
    subjects.push(
      withOverrides(
        {
          id: target.id,
          elfPath: flat ? result.imagePath! : result.elfPath,
          elfHash: flat ? result.imageHash! : result.elfHash,
          kernel: target.kernel,
          build: result,
          timeoutMs: manifest.timeoutMs,
          memoryMiB: manifest.memoryMiB,
          maxSerialBytes: manifest.maxSerialBytes,
          resultPatterns: manifest.resultPatterns ?? [],
          results: manifest.results,
          machine: manifest.machine,
          ...(flat ? { imageFormat: manifest.image, symbolsElf: result.elfPath } : {}),
        },
        overrides,
      ),
    );
  }
  return subjects;
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
