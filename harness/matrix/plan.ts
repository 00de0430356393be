// Expands a matrix config into the work to do: subjects (bytes to run: a build, or a build plus
// variants) and cells (subject x runner x CPU). Pure over the loaded kernels.
import { isAbsolute, basename, resolve } from 'node:path';
import type { BuildTarget, Kernel, KernelExpectation } from '../build/manifest.js';
import { buildTargets } from '../build/targets.js';
import { canonicalMachine, machineLabel, mergeMachine, type ImageFormat, type MachineOptions } from '../machine/description.js';
import { DEFAULTS, type ResultPattern, type ResultPreset, type RunnerName } from '../runners/types.js';
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
  results: ResultPreset | undefined;
  /** The machine these bytes run on (manifest, config defaults, entry; canonical). */
  machine: MachineOptions | undefined;
  /** How the file boots when it is not an ELF, and the ELF that symbolises it. */
  imageFormat: ImageFormat | undefined;
  symbolsElf: string | undefined;
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
  // A build run on two machines is two sets of cells: the second is named by its machine.
  const machineOf = new Map<string, string>();
  for (const entry of config.kernels) {
    const runners: RunnerName[] = entry.runners ?? config.runners ?? ['qemu', 'emu'];
    const cpus = entry.cpus ?? config.cpus ?? [DEFAULTS.cpu];
    for (const planned of entrySubjects(entry, config, kernels)) {
      const label = machineLabel(planned.machine);
      const claimed = machineOf.get(planned.target);
      const base = claimed !== undefined && claimed !== label ? { ...planned, target: `${planned.target}[${label || 'default machine'}]` } : planned;
      if (!machineOf.has(base.target)) machineOf.set(base.target, label);
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
  const fromConfig = (path: string) => (isAbsolute(path) ? path : resolve(config.baseDir, path));
  const machine = (manifest?: MachineOptions) => {
    const merged = canonicalMachine(mergeMachine(manifest, config.machine, entry.machine));
    if (merged.initrd !== undefined) merged.initrd = fromConfig(merged.initrd);
    return Object.keys(merged).length ? merged : undefined;
  };
  if (entry.elf !== undefined) {
    const elfPath = fromConfig(entry.elf);
    return [{
      target: entry.name ?? basename(entry.elf),
      build: null,
      elfPath,
      kernelName: null,
      toolchainId: null,
      expect: entry.expect ?? null,
      timeoutMs: timeout(),
      memoryMiB: entry.memoryMiB ?? config.memoryMiB,
      maxSerialBytes: undefined,
      resultPatterns: entry.resultPatterns ?? [],
      results: entry.results ?? config.results,
      machine: machine(),
      imageFormat: entry.image,
      symbolsElf: entry.symbols === undefined ? undefined : fromConfig(entry.symbols),
      convention: entry.convention ?? null,
    }];
  }
  const [name, only] = entry.kernel!.split('@') as [string, string | undefined];
  const kernel = kernels.get(name);
  if (!kernel) throw new Error(`kernel "${name}" was not loaded`);
  return buildTargets(kernel)
    .filter((t) => only === undefined || t.id === entry.kernel)
    .map((build) => ({
      target: build.id,
      build,
      elfPath: null,
      kernelName: name,
      toolchainId: build.toolchain.kind === 'go' ? `go${build.toolchain.version}` : null,
      expect: kernel.manifest.expect,
      timeoutMs: timeout(kernel.manifest.timeoutMs),
      memoryMiB: entry.memoryMiB ?? config.memoryMiB ?? kernel.manifest.memoryMiB,
      maxSerialBytes: kernel.manifest.maxSerialBytes,
      resultPatterns: [...(entry.resultPatterns ?? []), ...(kernel.manifest.resultPatterns ?? [])],
      results: entry.results ?? config.results ?? kernel.manifest.results,
      machine: machine(kernel.manifest.machine),
      // A flat image is made by the build; its path (and the ELF for symbols) comes with the prepared bytes.
      imageFormat: kernel.manifest.image === 'elf' ? undefined : kernel.manifest.image,
      symbolsElf: undefined,
      convention: entry.convention ?? null,
    }));
}

/** Playwright-style sharding: a pure, stable function of the cell id (issue: nightly sharding). */
export function shardOf(cellIdText: string, count: number): number {
  let h = 2166136261;
  for (let i = 0; i < cellIdText.length; i++) h = Math.imul(h ^ cellIdText.charCodeAt(i), 16777619) >>> 0;
  return h % count;
}
