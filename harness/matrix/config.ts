// The matrix definition: which kernels x variants x runners x CPU models, loaded and validated.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import type { KernelExpectation } from '../build/manifest.js';
import { WbdiffError } from '../errors.js';
import { REPO_ROOT } from '../paths.js';
import type { BoardSpec } from '../runners/board.js';
import type { ImageFormat, MachineOptions } from '../machine/description.js';
import type { ResultPattern, ResultPreset, RunnerName } from '../runners/types.js';
import { expandSuiteEntry, type SkippedTest } from '../suite/load.js';
import type { KnownEntry } from '../compare/known.js';
import { loadJsonFile, validateValue } from '../util/json-file.js';
import { validatePattern } from '../markers/parse.js';
import { matrixConfigSchema } from './config-schema.js';

export interface KernelEntry {
  kernel?: string;
  elf?: string;
  name?: string;
  variants?: string[];
  cpus?: string[];
  runners?: RunnerName[];
  timeoutMs?: number;
  convention?: string;
  expect?: KernelExpectation;
  /** Per CPU model, merged over `expect` (a CPU-dependent kernel's per-model values). */
  expectByCpu?: Record<string, KernelExpectation>;
  resultPatterns?: ResultPattern[];
  /** Captured serial logs for the replay runner, by variant name ("unpatched" for none). */
  logs?: Record<string, string>;
  /** The machine, over the manifest's and the config's defaults. */
  machine?: MachineOptions;
  memoryMiB?: number;
  results?: ResultPreset;
  /** For elf entries: how the file boots (detected when absent) and an ELF whose symbols describe a raw image. */
  image?: ImageFormat;
  symbols?: string;
}

/** A test suite as entries: one kernel per test of a built tree (kvm-unit-tests' arm/unittests.cfg). */
export interface SuiteEntry {
  suite: 'kvm-unit-tests';
  dir: string;
  tests?: string[];
  groups?: string[];
  maxSmp?: number;
  cpus?: string[];
  runners?: RunnerName[];
  timeoutMs?: number;
  expect?: KernelExpectation;
}

export interface MatrixConfig {
  /** What this matrix is for, in words. */
  description?: string;
  kernels: KernelEntry[];
  /** Matrix-level defaults under every entry's own. */
  machine?: MachineOptions;
  memoryMiB?: number;
  results?: ResultPreset;
  /** Suite tests not run, and why (migration, kvm-only, manual). */
  skipped?: SkippedTest[];
  runners?: RunnerName[];
  cpus?: string[];
  timeoutMs?: number;
  concurrency?: number;
  diagnose?: boolean;
  boards?: Record<string, Omit<BoardSpec, 'name'>>;
  /** Known failures (compare/known.ts): failing cells they cover are outcome "known" until "until". */
  known?: KnownEntry[];
  /** Where relative paths in the config are resolved from (the config file's folder). */
  baseDir: string;
  /** The config's own path, or "default". */
  source: string;
}

export const DEFAULT_CONFIG_PATH = join(REPO_ROOT, 'wbdiff.config.json');

/**
 * What a config file holds (wbdiff.config.json, or the default export of wbdiff.config.ts/.js).
 * A kernel may be written as a string: "hello" (bundled) or "path/to.elf" (an ELF).
 */
export type MatrixConfigFile = Omit<MatrixConfig, 'baseDir' | 'source' | 'kernels' | 'skipped'> & {
  kernels: (KernelEntry | SuiteEntry | string)[];
};

/** "hello" -> { kernel: "hello" }; "build/mine.elf" (a "/" or an .elf suffix) -> { elf: "build/mine.elf" }. */
export function normalizeKernelEntry<T extends object>(entry: T | string): T | KernelEntry {
  if (typeof entry !== 'string') return entry;
  return entry.includes('/') || /\.elf$/i.test(entry) ? { elf: entry } : { kernel: entry };
}

/** For wbdiff.config.ts: `export default defineConfig({ ... })` gets the config type-checked. */
export function defineConfig(config: MatrixConfigFile): MatrixConfigFile {
  return config;
}

const CONFIG_HINT = 'see "The matrix" in README.md (schema: kernels/matrix.schema.json)';

export async function loadMatrixConfig(path: string = DEFAULT_CONFIG_PATH): Promise<MatrixConfig> {
  const raw = /\.(c|m)?(t|j)s$/.test(path)
    ? validateValue<MatrixConfigFile>(await importConfigModule(path), path, matrixConfigSchema, 'matrix config', CONFIG_HINT)
    : await loadJsonFile<MatrixConfigFile>(path, matrixConfigSchema, 'matrix config', CONFIG_HINT);
  const normalized = { ...raw, kernels: raw.kernels.map((k) => normalizeKernelEntry<KernelEntry | SuiteEntry>(k)) };
  checkResultPatterns(normalized, path);
  const baseDir = dirname(resolve(path));
  return { ...(await expandSuites(normalized, baseDir)), baseDir, source: resolve(path) };
}
/** `--suite kvm-unit-tests:DIR` (with --max-smp, --test): a matrix of one suite entry, no config file. */
export async function suiteConfig(
  spec: string,
  options: { maxSmp?: number | undefined; tests?: string[] | undefined; cwd?: string },
): Promise<MatrixConfig> {
  const m = /^(kvm-unit-tests):(.+)$/.exec(spec);
  if (!m)
    throw new WbdiffError(`--suite takes SUITE:DIR, not "${spec}"`, { hint: 'e.g. --suite kvm-unit-tests:~/kvm-unit-tests --max-smp 2' });
  const cwd = options.cwd ?? process.cwd();
  const entry: SuiteEntry = {
    suite: 'kvm-unit-tests',
    dir: resolve(cwd, m[2]!),
    ...(options.maxSmp ? { maxSmp: options.maxSmp } : {}),
    ...(options.tests?.length ? { tests: options.tests } : {}),
  };
  return { ...(await expandSuites({ kernels: [entry] }, cwd)), baseDir: cwd, source: `--suite ${spec}` };
}

/** Suite entries become kernel entries (one per test); what is not run is listed in `skipped`. */
export async function expandSuites(
  raw: Omit<MatrixConfigFile, 'kernels'> & { kernels: (KernelEntry | SuiteEntry)[] },
  baseDir: string,
): Promise<Omit<MatrixConfig, 'baseDir' | 'source'>> {
  const kernels: KernelEntry[] = [];
  const skipped: SkippedTest[] = [];
  for (const entry of raw.kernels) {
    if (!('suite' in entry)) {
      kernels.push(entry);
      continue;
    }
    const expanded = await expandSuiteEntry(entry, baseDir);
    kernels.push(...expanded.kernels);
    skipped.push(...expanded.skipped);
  }
  return { ...raw, kernels, ...(skipped.length ? { skipped } : {}) };
}

/** A .js/.mjs config is imported as is; a .ts one is transpiled (TypeScript, a dev dependency) next to itself first, so its relative imports resolve. */
async function importConfigModule(path: string): Promise<unknown> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new WbdiffError('no such config file', { where: path, hint: CONFIG_HINT });
  let modulePath = absolute;
  let temporary: string | null = null;
  try {
    if (/\.(c|m)?ts$/.test(absolute)) {
      let ts: typeof import('typescript');
      try {
        ts = (await import('typescript')).default;
      } catch {
        throw new WbdiffError('a .ts config needs the typescript package', {
          where: path,
          hint: 'npm ci installs it (a dev dependency), or write the config as .json or .mjs',
        });
      }
      const output = ts.transpileModule(await readFile(absolute, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: absolute,
      });
      temporary = `${absolute}.${process.pid}.${Date.now()}.mjs`;
      await writeFile(temporary, output.outputText);
      modulePath = temporary;
    }
    let module: { default?: unknown; config?: unknown };
    try {
      module = (await import(pathToFileURL(modulePath).href)) as typeof module;
    } catch (error) {
      // The line of the config that threw, when the stack names it (a .ts config: the transpiled line).
      const stack = error instanceof Error ? (error.stack ?? '') : '';
      const at = stack
        .split('\n')
        .map((l) => l.split(modulePath)[1])
        .find((rest) => rest !== undefined);
      const line = at ? /^:(\d+:\d+)/.exec(at)?.[1] : undefined;
      throw new WbdiffError(
        `the config module failed while loading: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        {
          where: line ? `${path}:${line}` : path,
          hint: 'fix the config module (it is imported and its default export checked against the schema)',
          cause: error,
        },
      );
    }
    const value = module.default ?? module.config;
    if (value === undefined)
      throw new WbdiffError('the config module exports nothing', { where: path, hint: 'export default defineConfig({ kernels: [...] })' });
    return value;
  } finally {
    if (temporary) await rm(temporary, { force: true });
  }
}

export const CONFIG_FILE_NAMES = ['wbdiff.config.json', 'wbdiff.config.ts', 'wbdiff.config.mjs', 'wbdiff.config.js'] as const;

/** The nearest wbdiff.config.{json,ts,mjs,js}, from `startDir` up to the file system root; null when none. */
export function findConfig(startDir: string): string | null {
  for (let dir = resolve(startDir); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILE_NAMES) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
    if (dirname(dir) === dir) return null;
  }
}

/** Where a config's runs are kept: $WBDIFF_RESULTS, else results/ next to the config. */
export function resultsRootFor(config: Pick<MatrixConfig, 'baseDir'>): string {
  return process.env['WBDIFF_RESULTS'] ? resolve(process.env['WBDIFF_RESULTS']) : join(config.baseDir, 'results');
}

/** Every entry's result patterns compile, have the groups, and run in bounded time (as a manifest's). */
function checkResultPatterns(config: { kernels: (KernelEntry | SuiteEntry)[] }, path: string): void {
  config.kernels.forEach((entry, k) =>
    ('suite' in entry ? [] : (entry.resultPatterns ?? [])).forEach((pattern, i) => {
      const problem = validatePattern(pattern);
      if (problem)
        throw new WbdiffError(`kernels[${k}].resultPatterns[${i}] is not usable: ${problem}`, { where: path, hint: CONFIG_HINT });
    }),
  );
}
