// Expands a matrix config into the work to do: subjects (bytes to run: a build, or a build plus
// variants) and cells (subject x runner x CPU). Pure over the loaded kernels.
import { isAbsolute, basename, relative, resolve } from 'node:path';
import type { BuildTarget, Kernel, KernelExpectation } from '../build/manifest.js';
import { buildTargets } from '../build/targets.js';
import { WbdiffError } from '../errors.js';
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
  /** Per CPU model, merged over `expect` by expectationOn(). */
  expectByCpu: Record<string, KernelExpectation> | null;
  /** False for a kernel whose manifest declares its output varies run to run. */
  deterministic: boolean;
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
  /** Different bytes that would get one name (and one results file): a config mistake. */
  collisions: string[];
}

/** What a subject must do on one CPU model: its expectation with the per-CPU one merged over it. */
export function expectationOn(subject: Pick<PlannedSubject, 'expect' | 'expectByCpu'>, cpu: string): KernelExpectation | null {
  const perCpu = subject.expectByCpu?.[cpu];
  if (!perCpu) return subject.expect;
  const base = subject.expect ?? {};
  return { ...base, ...perCpu, markers: { ...(base.markers ?? {}), ...(perCpu.markers ?? {}) } };
}

/**
 * A variant's name in cell ids: the file name without .json, or (when two variants of one entry
 * share a file name, as a/fix.json and b/fix.json) its path from the config's folder.
 */
export function variantNames(specs: readonly string[], baseDir: string): string[] {
  const short = (spec: string) => basename(spec).replace(/\.json$/, '');
  return specs.map((spec) => {
    const clash = specs.some((other) => other !== spec && short(other) === short(spec));
    if (!clash) return short(spec);
    const path = isAbsolute(spec) ? relative(baseDir, spec) : relative(baseDir, resolve(baseDir, spec));
    return path.replace(/\.json$/, '');
  });
}

export function subjectKey(target: string, variant: string | null): string {
  return `${target}/${variant ?? 'unpatched'}`;
}

export function planMatrix(config: MatrixConfig, kernels: ReadonlyMap<string, Kernel>): MatrixPlan {
  const subjects: PlannedSubject[] = [];
  const cells: PlannedCell[] = [];
  const collisions: string[] = [];
  const seen = new Map<string, string>();
  // A build run on two machines is two sets of cells: the second is named by its machine.
  const machineOf = new Map<string, string>();
  for (const [index, entry] of config.kernels.entries()) {
    const runners: RunnerName[] = entry.runners ?? config.runners ?? ['qemu', 'emu'];
    const cpus = entry.cpus ?? config.cpus ?? [DEFAULTS.cpu];
    const specs = entry.variants ?? [];
    const names = variantNames(specs, config.baseDir);
    for (const planned of entrySubjects(entry, config, kernels)) {
      const label = machineLabel(planned.machine);
      const claimed = machineOf.get(planned.target);
      const base =
        claimed !== undefined && claimed !== label ? { ...planned, target: `${planned.target}[${label || 'default machine'}]` } : planned;
      if (!machineOf.has(base.target)) machineOf.set(base.target, label);
      for (const [v, variantSpec] of [null, ...specs].entries()) {
        const variant = variantSpec === null ? null : names[v - 1]!;
        const key = subjectKey(base.target, variant);
        const log = entry.logs?.[variant ?? 'unpatched'];
        const logPath = log === undefined ? null : isAbsolute(log) ? log : resolve(config.baseDir, log);
        // The same name must mean the same bytes: one ELF (or build) and one variant file.
        const identity = JSON.stringify([
          base.build?.id ?? base.elfPath,
          variantSpec === null
            ? null
            : isAbsolute(variantSpec) || variantSpec.includes('/')
              ? resolve(config.baseDir, variantSpec)
              : variantSpec,
        ]);
        const before = seen.get(key);
        if (before === undefined) {
          seen.set(key, identity);
          subjects.push({ ...base, key, variant, variantSpec, logPath, baseKey: subjectKey(base.target, null) });
        } else if (before !== identity && variant === null) {
          collisions.push(
            `kernels[${index}]: "${base.target}" names other bytes than an earlier entry of that name (${base.elfPath ?? base.build?.id})`,
          );
        } else if (before !== identity) {
          collisions.push(`kernels[${index}]: "${key}" names another variant file (${variantSpec}) than an earlier entry`);
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
  return { subjects, cells, collisions };
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
    return [
      {
        target: entry.name ?? basename(entry.elf),
        build: null,
        elfPath,
        kernelName: null,
        toolchainId: null,
        expect: entry.expect ?? null,
        expectByCpu: entry.expectByCpu ?? null,
        deterministic: true,
        timeoutMs: timeout(),
        memoryMiB: entry.memoryMiB ?? config.memoryMiB,
        maxSerialBytes: undefined,
        resultPatterns: entry.resultPatterns ?? [],
        results: entry.results ?? config.results,
        machine: machine(),
        imageFormat: entry.image,
        symbolsElf: entry.symbols === undefined ? undefined : fromConfig(entry.symbols),
        convention: entry.convention ?? null,
      },
    ];
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
    throw new WbdiffError(`kernels entry "${entry.kernel}": ${name} has no build "${only}"`, {
      where: config.source,
      hint: `builds: ${buildTargets(kernel)
        .map((t) => t.id)
        .join(', ')}`,
    });
  }
  return builds.map((build) => ({
    target: build.id,
    build,
    elfPath: null,
    kernelName: name,
    toolchainId: build.toolchain.kind === 'go' ? `go${build.toolchain.version}` : null,
    expect: entry.expect ?? kernel.manifest.expect,
    expectByCpu: entry.expectByCpu ?? null,
    deterministic: kernel.manifest.deterministic !== false,
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
