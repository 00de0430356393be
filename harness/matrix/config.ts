// The matrix definition: which kernels x variants x runners x CPU models, loaded and validated.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { KernelExpectation } from '../build/manifest.js';
import { WbdiffError } from '../errors.js';
import { KERNELS_DIR, REPO_ROOT } from '../paths.js';
import type { BoardSpec } from '../runners/board.js';
import type { ResultPattern, RunnerName } from '../runners/types.js';
import { loadJsonFile } from '../util/json-file.js';
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
  resultPatterns?: ResultPattern[];
  /** Captured serial logs for the replay runner, by variant name ("unpatched" for none). */
  logs?: Record<string, string>;
}

export interface MatrixConfig {
  kernels: KernelEntry[];
  runners?: RunnerName[];
  cpus?: string[];
  timeoutMs?: number;
  concurrency?: number;
  diagnose?: boolean;
  boards?: Record<string, Omit<BoardSpec, 'name'>>;
  /** Where relative paths in the config are resolved from (the config file's folder). */
  baseDir: string;
  /** The config's own path, or "default". */
  source: string;
}

export const DEFAULT_CONFIG_PATH = join(REPO_ROOT, 'wbdiff.config.json');

export async function loadMatrixConfig(path: string = DEFAULT_CONFIG_PATH): Promise<MatrixConfig> {
  const raw = await loadJsonFile<Omit<MatrixConfig, 'baseDir' | 'source'>>(path, matrixConfigSchema, 'matrix config', 'see the "Matrix config" section of README.md');
  return { ...raw, baseDir: dirname(resolve(path)), source: resolve(path) };
}

/**
 * Finds a variant for a build: a path (contains "/" or ends in .json, relative to the config), or
 * a bundled name looked up in kernels/<kernel>/variants/<toolchain>/<name>.json, then
 * kernels/<kernel>/variants/<name>.json.
 */
export function resolveVariantPath(spec: string, kernelName: string | null, toolchainId: string | null, baseDir: string): string {
  if (spec.includes('/') || spec.endsWith('.json')) {
    const path = isAbsolute(spec) ? spec : resolve(baseDir, spec);
    if (!existsSync(path)) throw new WbdiffError(`variant file ${spec} does not exist`, { where: path });
    return path;
  }
  const candidates = kernelName
    ? [...(toolchainId ? [join(KERNELS_DIR, kernelName, 'variants', toolchainId, `${spec}.json`)] : []), join(KERNELS_DIR, kernelName, 'variants', `${spec}.json`)]
    : [];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new WbdiffError(`no variant named "${spec}" for ${kernelName ?? 'this ELF'}${toolchainId ? ` (${toolchainId})` : ''}`, {
      hint: candidates.length ? `looked in ${candidates.join(', ')}` : 'give the variant file path for an ELF that is not a bundled kernel',
    });
  }
  return found;
}
