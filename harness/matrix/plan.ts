// Expands a matrix config into the work to do: subjects (bytes to run: a build, or a build plus
// variants) and cells (subject x runner x CPU). Pure over the loaded kernels.
import { isAbsolute, basename, resolve } from 'node:path';
import type { BuildTarget, Kernel, KernelExpectation } from '../build/manifest.js';
import { buildTargets } from '../build/targets.js';
import { WbdiffError } from '../errors.js';
import { DEFAULTS, type ResultPattern, type RunnerName } from '../runners/types.js';
import { cellId, type CellKey } from './cells.js';
import type { KernelEntry, MatrixConfig } from './config.js';

export interface PlannedSubject {
  /** "gowb@go1.19/seed-barrier" or "hello/unpatched". */
  key: string;
  target: string;
  variant: string | null;
  /** Variant spec as written in the config (name or path). */
  variantSpec: string | null;
  build: BuildTarget | null;
  elfPath: string | null;
  kernelName: string | null;
  toolchainId: string | null;
  expect: KernelExpectation | null;
  timeoutMs: number;
  memoryMiB: number | undefined;
  maxSerialBytes: number | undefined;
  resultPatterns: ResultPattern[];
  convention: string | null;
  /** A captured log for the replay runner, if the config names one for these bytes. */
  logPath: string | null;
  /** The unpatched subject of the same build: what a variant is compared against. */
  baseKey: string;
}

export interface PlannedCell extends CellKey {
  id: string;
  subject: string;
}

export interface MatrixPlan {
  subjects: PlannedSubject[];
  cells: PlannedCell[];
}

export function subjectKey(target: string, variant: string | null): string {
  return `${target}/${variant ?? 'unpatched'}`;
}

export function planMatrix(config: MatrixConfig, kernels: ReadonlyMap<string, Kernel>): MatrixPlan {
  const subjects: PlannedSubject[] = [];
  const cells: PlannedCell[] = [];
  const seen = new Set<string>();
  for (const entry of config.kernels) {
    const runners: RunnerName[] = entry.runners ?? config.runners ?? ['qemu', 'emu'];
    const cpus = entry.cpus ?? config.cpus ?? [DEFAULTS.cpu];
    for (const base of entrySubjects(entry, config, kernels)) {
      for (const variantSpec of [null, ...(entry.variants ?? [])]) {
        const variant = variantSpec === null ? null : basename(variantSpec).replace(/\.json$/, '');
        const key = subjectKey(base.target, variant);
        const log = entry.logs?.[variant ?? 'unpatched'];
        const logPath = log === undefined ? null : isAbsolute(log) ? log : resolve(config.baseDir, log);
        if (!seen.has(key)) {
          seen.add(key);
          subjects.push({ ...base, key, variant, variantSpec, logPath, baseKey: subjectKey(base.target, null) });
        }
        for (const cpu of cpus) {
          // A replay cell exists only where a captured log does.
          for (const runner of runners.filter((r) => r !== 'replay' || logPath !== null)) {
            const cell: CellKey = { target: base.target, variant, runner, cpu };
            const id = cellId(cell);
            if (!cells.some((c) => c.id === id)) cells.push({ ...cell, id, subject: key });
          }
        }
      }
    }
  }
  return { subjects, cells };
}

type BaseSubject = Omit<PlannedSubject, 'key' | 'variant' | 'variantSpec' | 'baseKey' | 'logPath'>;

function entrySubjects(entry: KernelEntry, config: MatrixConfig, kernels: ReadonlyMap<string, Kernel>): BaseSubject[] {
  const timeout = (manifestTimeout?: number) => entry.timeoutMs ?? manifestTimeout ?? config.timeoutMs ?? DEFAULTS.timeoutMs;
  if (entry.elf !== undefined) {
    const elfPath = isAbsolute(entry.elf) ? entry.elf : resolve(config.baseDir, entry.elf);
    return [{
      target: entry.name ?? basename(entry.elf),
      build: null,
      elfPath,
      kernelName: null,
      toolchainId: null,
      expect: entry.expect ?? null,
      timeoutMs: timeout(),
      memoryMiB: undefined,
      maxSerialBytes: undefined,
      resultPatterns: entry.resultPatterns ?? [],
      convention: entry.convention ?? null,
    }];
  }
  const [name, only] = entry.kernel!.split('@') as [string, string | undefined];
  const kernel = kernels.get(name);
  if (!kernel) {
    throw new WbdiffError(`kernels entry "${entry.kernel}": no bundled kernel is called "${name}"`, {
      where: config.source,
      hint: `bundled kernels: ${[...kernels.keys()].join(', ')}; for any other ELF write { "elf": "path/to.elf" }`,
    });
  }
  const builds = buildTargets(kernel).filter((t) => only === undefined || t.id === entry.kernel);
  if (builds.length === 0) {
    throw new WbdiffError(`kernels entry "${entry.kernel}": ${name} has no build "${only}"`, { where: config.source, hint: `builds: ${buildTargets(kernel).map((t) => t.id).join(', ')}` });
  }
  return builds
    .map((build) => ({
      target: build.id,
      build,
      elfPath: null,
      kernelName: name,
      toolchainId: build.toolchain.kind === 'go' ? `go${build.toolchain.version}` : null,
      expect: kernel.manifest.expect,
      timeoutMs: timeout(kernel.manifest.timeoutMs),
      memoryMiB: kernel.manifest.memoryMiB,
      maxSerialBytes: kernel.manifest.maxSerialBytes,
      resultPatterns: kernel.manifest.resultPatterns ?? [],
      convention: entry.convention ?? null,
    }));
}

/** Playwright-style sharding: a pure, stable function of the cell id (issue: nightly sharding). */
export function shardOf(cellIdText: string, count: number): number {
  let h = 2166136261;
  for (let i = 0; i < cellIdText.length; i++) h = Math.imul(h ^ cellIdText.charCodeAt(i), 16777619) >>> 0;
  return h % count;
}
