// The runner registry: every command and the matrix name runners ("qemu", "emu", "board:<name>",
// "replay"); only this file constructs runner classes. What each can do is data (capabilities.ts).
import { WbdiffError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { BoardRunner, type BoardSpec } from './board.js';
import { LOCAL_RUNNERS, parseRunnerName } from './capabilities.js';
import { EmuThreadRunner } from './emu-thread.js';
import { EmuRunner } from './emu.js';
import { QemuRunner } from './qemu.js';
import { ReplayRunner } from './replay.js';
import type { Runner, RunnerName } from './types.js';

export { capabilitiesOf, LOCAL_RUNNERS, parseRunnerName, RUNNER_CAPABILITIES, type RunnerCapabilities } from './capabilities.js';

/** Boards by name, as a config's "boards" gives them, for runners "board:<name>". */
export type BoardTable = Readonly<Record<string, Omit<BoardSpec, 'name'>>>;

export interface RunnerSources {
  boards?: BoardTable | undefined;
  /** The captured log a replay runner reads. */
  logPath?: string | null | undefined;
}

const NAMES_HINT = `runners: ${LOCAL_RUNNERS.join(', ')}, replay, board:<name> (or "both" for ${LOCAL_RUNNERS.join(' and ')})`;

/** The runner a name means; a board name must be in `sources.boards`. */
export function createRunner(name: string, sources: RunnerSources = {}): Runner {
  const parsed = parseRunnerName(name);
  switch (parsed?.kind) {
    case 'qemu':
      return new QemuRunner();
    case 'emu':
      return new EmuRunner();
    case 'replay':
      return replayRunner(sources.logPath ?? '(no captured log for these bytes)');
    case 'board': {
      const boards = sources.boards ?? {};
      const board = parsed.board === null ? undefined : boards[parsed.board];
      if (!board || parsed.board === null)
        throw new WbdiffError(`runner ${name}: ${unknownBoard(parsed.board ?? '', Object.keys(boards))}`, {
          hint: 'a board runner is board:<name> with <name> in the config\'s "boards", or a board file given with --board FILE',
        });
      return boardRunner({ ...board, name: parsed.board });
    }
    default:
      throw new WbdiffError(`unknown runner "${name}"${didYouMean(name, [...LOCAL_RUNNERS, 'replay'])}`, { hint: NAMES_HINT });
  }
}

export function boardRunner(board: BoardSpec): Runner {
  return new BoardRunner(board);
}

export function replayRunner(logPath: string): Runner {
  return new ReplayRunner(logPath);
}

/** The one wording of a "board:<name>" whose board is not defined (config check and run time alike). */
export function unknownBoard(name: string, boards: readonly string[]): string {
  return `no board "${name}" in "boards"${didYouMean(name, boards)}; boards: ${boards.join(', ') || '(none)'}`;
}

/** The runners of one matrix: asked by name for each cell's subject, closed when the matrix ends. */
export interface RunnerFactory {
  runnerFor(name: RunnerName, subject: { logPath?: string | null | undefined }): Runner;
  close(): Promise<void>;
}

/**
 * The matrix's runners: the emulator on one worker thread (uc_emu_start holds its thread; QEMU's
 * pipes and timers stay served meanwhile), the others made per cell.
 */
export function matrixRunners(boards: BoardTable | undefined): RunnerFactory {
  const emu = new EmuThreadRunner();
  return {
    runnerFor: (name, subject) => (name === 'emu' ? emu : createRunner(name, { boards, logPath: subject.logPath })),
    close: () => emu.close(),
  };
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
    else
      throw new WbdiffError(`unknown runner "${name}"${didYouMean(name, [...LOCAL_RUNNERS])}`, {
        hint: `runners: ${LOCAL_RUNNERS.join(', ')}, both (boards: --board FILE; captured logs: --replay LOG)`,
      });
  }
  return [...out];
}
