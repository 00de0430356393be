// The runner registry: the CLI and the matrix name runners; only this file knows the classes.
import { WbdiffError } from '../errors.js';
import { EmuRunner } from './emu.js';
import { QemuRunner } from './qemu.js';
import type { Runner, RunnerName } from './types.js';

export const LOCAL_RUNNERS = ['qemu', 'emu'] as const;

export function createRunner(name: string): Runner {
  switch (name) {
    case 'qemu':
      return new QemuRunner();
    case 'emu':
      return new EmuRunner();
    default:
      throw new WbdiffError(`unknown runner "${name}"`, { hint: `runners: ${LOCAL_RUNNERS.join(', ')} (or "both")` });
  }
}

/** "both" -> ["qemu", "emu"]; "qemu,emu" and repeated flags work too. */
export function parseRunnerList(values: readonly string[]): RunnerName[] {
  const names = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const out = new Set<RunnerName>();
  for (const name of names.length ? names : ['both']) {
    if (name === 'both' || name === 'all') LOCAL_RUNNERS.forEach((r) => out.add(r));
    else if ((LOCAL_RUNNERS as readonly string[]).includes(name)) out.add(name as RunnerName);
    else throw new WbdiffError(`unknown runner "${name}"`, { hint: `runners: ${LOCAL_RUNNERS.join(', ')}, both` });
  }
  return [...out];
}
