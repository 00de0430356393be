// What a command runs: a bundled kernel (built, with its manifest) or any ELF path (as it is).
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseElf } from '../elf/elf.js';
import { readElfBytes } from '../elf/read-elf.js';
import type { ResultPattern } from '../runners/types.js';
import { sha256 } from '../util/hash.js';
import { build, type BuildResult } from './builder.js';
import { resolveTargets, type Kernel } from './manifest.js';

export interface Subject {
  /** "hello", "gowb@go1.19", or the ELF's file name. */
  id: string;
  elfPath: string;
  elfHash: string;
  kernel: Kernel | null;
  build: BuildResult | null;
  timeoutMs: number | undefined;
  memoryMiB: number | undefined;
  maxSerialBytes: number | undefined;
  resultPatterns: ResultPattern[];
}

export function looksLikePath(spec: string): boolean {
  return spec.includes('/') || spec.endsWith('.elf') || (existsSync(spec) && statSync(spec).isFile());
}

export async function resolveSubjects(spec: string, options: { force?: boolean } = {}): Promise<Subject[]> {
  if (looksLikePath(spec)) {
    const elfPath = resolve(spec);
    const bytes = await readElfBytes(elfPath);
    parseElf(bytes, spec); // a clear error now beats one from each runner
    return [{ id: basename(spec), elfPath, elfHash: sha256(bytes), kernel: null, build: null, timeoutMs: undefined, memoryMiB: undefined, maxSerialBytes: undefined, resultPatterns: [] }];
  }
  const targets = await resolveTargets(spec);
  const subjects: Subject[] = [];
  for (const target of targets) {
    const result = await build(target, options);
    subjects.push({
      id: target.id,
      elfPath: result.elfPath,
      elfHash: result.elfHash,
      kernel: target.kernel,
      build: result,
      timeoutMs: target.kernel.manifest.timeoutMs,
      memoryMiB: target.kernel.manifest.memoryMiB,
      maxSerialBytes: target.kernel.manifest.maxSerialBytes,
      resultPatterns: target.kernel.manifest.resultPatterns ?? [],
    });
  }
  return subjects;
}
