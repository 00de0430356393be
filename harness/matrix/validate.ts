// Checks a matrix before any cell runs: every mistake a config can hold is found at once, said
// with where it is, a did-you-mean and the list of what exists, and ends the run with exit 2
// before a results folder is made. The checks that need the disk (files, variants, QEMU's CPU
// list) are here; the plan itself stays pure (plan.ts).
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { execa } from 'execa';
import type { Kernel } from '../build/manifest.js';
import { buildTargets } from '../build/targets.js';
import { WbdiffError } from '../errors.js';
import { UNICORN_CPU_MODELS } from '../runners/emu.js';
import { QEMU_BINARY } from '../runners/qemu-args.js';
import { parseRunnerName, unknownBoard } from '../runners/index.js';
import { DEFAULTS } from '../runners/types.js';
import { didYouMean } from '../util/suggest.js';
import { globMatcher } from '../compare/known.js';
import { cellFileName } from './cells.js';
import { bundledVariants, resolveVariantPath } from '../build/run-target.js';
import type { MatrixConfig } from './config.js';
import { planMatrix, type MatrixPlan } from './plan.js';

export interface ValidateOptions {
  /** The CPU models QEMU has (`-cpu help`); null when QEMU cannot say (then QEMU checks its own). */
  qemuCpus?: () => Promise<string[] | null>;
}

/** Plans the matrix and checks it; throws one WbdiffError (exit 2) listing every problem. */
export async function planValidMatrix(
  config: MatrixConfig,
  kernels: ReadonlyMap<string, Kernel>,
  options: ValidateOptions = {},
): Promise<MatrixPlan> {
  const problems = entryProblems(config, kernels);
  if (problems.length) throw problemsError(config, problems);
  const plan = planMatrix(config, kernels);
  problems.push(...plan.collisions);
  problems.push(...variantProblems(config, plan));
  problems.push(...(await cpuProblems(config, options.qemuCpus ?? qemuCpuModels)));
  const files = new Map<string, string>();
  for (const cell of plan.cells) {
    // Case-insensitive: macOS and Windows file systems would still put two cells in one file.
    const file = cellFileName(cell).toLowerCase();
    const other = files.get(file);
    if (other !== undefined && other !== cell.id)
      problems.push(
        `cells "${other}" and "${cell.id}" would share the results file ${cellFileName(cell)}: rename one kernel entry ("name")`,
      );
    files.set(file, cell.id);
  }
  if (!problems.length && plan.cells.length === 0)
    problems.push('the matrix has no cells: no runner applies to any kernel (a "replay" runner needs "logs")');
  if (problems.length) throw problemsError(config, problems);
  return plan;
}

function problemsError(config: MatrixConfig, problems: string[]): WbdiffError {
  const [first, ...rest] = problems;
  return new WbdiffError(`${first}${rest.length ? `\n  ${rest.join('\n  ')}` : ''}`, {
    where: config.source,
    hint: problems.length > 1 ? `${problems.length} problems; nothing was run` : 'nothing was run',
  });
}

function entryProblems(config: MatrixConfig, kernels: ReadonlyMap<string, Kernel>): string[] {
  const problems: string[] = [];
  const names = [...kernels.keys()];
  const boards = Object.keys(config.boards ?? {});
  for (const [i, entry] of config.kernels.entries()) {
    const at = `kernels[${i}]`;
    if (entry.kernel !== undefined) {
      const [name, only] = entry.kernel.split('@') as [string, string | undefined];
      const kernel = kernels.get(name);
      if (!kernel) {
        problems.push(
          `${at}: no bundled kernel "${name}"${didYouMean(name, names)}; bundled kernels: ${names.join(', ')} (or give an ELF: "elf": "path/to.elf")`,
        );
      } else if (only !== undefined) {
        const builds = buildTargets(kernel).map((b) => b.id);
        if (!builds.includes(entry.kernel)) {
          problems.push(
            `${at}: ${name} has no build "${entry.kernel}"${didYouMean(entry.kernel, builds)}; its builds: ${builds.join(', ')}`,
          );
        }
      }
    }
    if (entry.elf !== undefined) {
      const path = isAbsolute(entry.elf) ? entry.elf : resolve(config.baseDir, entry.elf);
      if (!existsSync(path)) problems.push(`${at}: no such ELF file ${entry.elf} (looked at ${path})`);
    }
    if (entry.name?.includes('/')) problems.push(`${at}: the name "${entry.name}" contains "/", which separates the parts of a cell id`);
    for (const problem of boardProblems(entry.runners, boards)) problems.push(`${at}: ${problem}`);
    const cpus = entry.cpus ?? config.cpus ?? [DEFAULTS.cpu];
    for (const cpu of Object.keys(entry.expectByCpu ?? {})) {
      if (!cpus.includes(cpu))
        problems.push(`${at}.expectByCpu: "${cpu}" is not a CPU model this entry runs${didYouMean(cpu, cpus)}; it runs ${cpus.join(', ')}`);
    }
  }
  for (const problem of boardProblems(config.runners, boards)) problems.push(`runners: ${problem}`);
  return problems;
}

/** Runners "board:<name>" whose board the config does not define. */
function boardProblems(runners: readonly string[] | undefined, boards: readonly string[]): string[] {
  return (runners ?? []).flatMap((runner) => {
    const board = parseRunnerName(runner)?.board;
    return board && !boards.includes(board) ? [unknownBoard(board, boards)] : [];
  });
}

function variantProblems(config: MatrixConfig, plan: MatrixPlan): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const subject of plan.subjects) {
    if (subject.variantSpec === null) continue;
    const once = `${subject.kernelName}\0${subject.toolchainId}\0${subject.variantSpec}`;
    if (seen.has(once)) continue;
    seen.add(once);
    try {
      resolveVariantPath(subject.variantSpec, subject.kernelName, subject.toolchainId, config.baseDir);
    } catch (error) {
      const bundled = subject.kernelName ? bundledVariants(subject.kernelName, subject.toolchainId) : [];
      const isPath = subject.variantSpec.includes('/') || subject.variantSpec.endsWith('.json');
      const known =
        isPath || !bundled.length
          ? ''
          : `${didYouMean(subject.variantSpec, bundled)}; variants of ${subject.target}: ${bundled.join(', ')}`;
      problems.push(`${subject.target}: ${(error as Error).message}${known}`);
    }
  }
  return problems;
}

async function cpuProblems(config: MatrixConfig, qemuCpus: () => Promise<string[] | null>): Promise<string[]> {
  const problems: string[] = [];
  const emu = Object.keys(UNICORN_CPU_MODELS);
  let qemu: string[] | null | undefined;
  for (const [i, entry] of config.kernels.entries()) {
    const runners = entry.runners ?? config.runners ?? ['qemu', 'emu'];
    for (const cpu of entry.cpus ?? config.cpus ?? [DEFAULTS.cpu]) {
      if (runners.includes('emu') && !emu.includes(cpu)) {
        problems.push(`kernels[${i}]: the emulator has no CPU model "${cpu}"${didYouMean(cpu, emu)}; it models ${emu.join(', ')}`);
        continue;
      }
      if (runners.includes('qemu')) {
        qemu ??= await qemuCpus();
        if (qemu && !qemu.includes(cpu))
          problems.push(`kernels[${i}]: QEMU has no CPU model "${cpu}"${didYouMean(cpu, qemu)}; see qemu-system-aarch64 -cpu help`);
      }
    }
  }
  return [...new Set(problems)];
}

let qemuCpuCache: Promise<string[] | null> | null = null;

/** `qemu-system-aarch64 -cpu help`, once per process; null when QEMU is missing (its cells say so). */
export function qemuCpuModels(): Promise<string[] | null> {
  qemuCpuCache ??= execa(process.env['WBDIFF_QEMU'] ?? QEMU_BINARY, ['-cpu', 'help'], { reject: false, timeout: 10_000 }).then((r) =>
    r.exitCode === 0
      ? r.stdout
          .split('\n')
          .slice(1)
          .map((l) => l.trim().split(/\s+/)[0]!)
          .filter(Boolean)
      : null,
  );
  return qemuCpuCache;
}

/** Known-failure entries whose `cells` glob matches no cell of the plan: most likely a typo (said, not fatal). */
export function unmatchedKnownEntries(config: MatrixConfig, plan: MatrixPlan): string[] {
  return (config.known ?? []).flatMap((entry, i) => {
    const glob = globMatcher(entry.cells);
    return plan.cells.some((c) => glob.test(c.id))
      ? []
      : [
          `known[${i}]: "${entry.cells}" matches no cell of this matrix (cell ids look like ${plan.cells[0]?.id ?? 'kernel/variant/runner/cpu'})`,
        ];
  });
}
