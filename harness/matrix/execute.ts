// Runs cells: QEMU cells as parallel processes (up to `concurrency`), emulator cells one after
// another in-process (uc_emu_start holds the thread; its runner yields between slices). Each
// finished cell is handed to onCell at once, so an interrupted matrix keeps what finished.
import { WbdiffError } from '../errors.js';
import { BoardRunner, type BoardSpec } from '../runners/board.js';
import { EmuThreadRunner } from '../runners/emu-thread.js';
import { ReplayRunner } from '../runners/replay.js';
import { runSpecFor, type Runner } from '../runners/types.js';
import { createRunner } from '../runners/index.js';
import type { RunResult } from '../runners/types.js';
import type { PlannedCell, PlannedSubject } from './plan.js';
import type { PreparedSubject } from './prepare.js';
import { errorResult } from '../runners/serial-capture.js';
import { fileSha256 } from '../util/bounded-read.js';

export interface ExecuteOptions {
  /** Boards by name, for runners "board:<name>". */
  boards?: Record<string, Omit<BoardSpec, 'name'>>;
  concurrency: number;
  /** Runs per cell (flakiness); the first is the cell's result. */
  repeat?: number;
  signal?: AbortSignal;
  onCell: (cell: PlannedCell, runs: RunResult[]) => Promise<void>;
}

export async function executeCells(
  cells: readonly PlannedCell[],
  subjects: ReadonlyMap<string, PlannedSubject>,
  prepared: ReadonlyMap<string, PreparedSubject>,
  options: ExecuteOptions,
): Promise<void> {
  // Emulator cells run on a worker thread, so QEMU's pipes and timers are served meanwhile.
  const emu = new EmuThreadRunner();
  const runnerFor = (name: string, subject: PlannedSubject): Runner => {
    if (name === 'emu') return emu;
    if (name === 'replay') return new ReplayRunner(subject.logPath ?? '(no captured log for these bytes)');
    if (name.startsWith('board:')) {
      const board = options.boards?.[name.slice(6)];
      if (!board)
        throw new WbdiffError(`runner ${name}: no board "${name.slice(6)}" in the config's "boards"`, {
          hint: `boards: ${Object.keys(options.boards ?? {}).join(', ') || '(none)'}`,
        });
      return new BoardRunner({ ...board, name: name.slice(6) });
    }
    return createRunner(name);
  };
  const runOne = async (cell: PlannedCell) => {
    if (options.signal?.aborted) return;
    const subject = subjects.get(cell.subject)!;
    const bytes = prepared.get(cell.subject);
    const runs: RunResult[] = [];
    // The bytes about to run must be those prepared (and recorded in the cell's provenance).
    const now = bytes?.ok ? await fileSha256(bytes.elfPath) : null;
    if (!bytes?.ok) {
      runs.push(errorResult(cell.runner, cell.cpu, bytes && !bytes.ok ? bytes.error : 'not prepared'));
    } else if (now !== bytes.elfHash) {
      runs.push(
        errorResult(
          cell.runner,
          cell.cpu,
          `${bytes.elfPath} changed since it was prepared (sha256 ${bytes.elfHash.slice(0, 12)}, now ${now?.slice(0, 12) ?? 'unreadable'}): not run`,
        ),
      );
    } else
      for (let i = 0; i < (options.repeat ?? 1); i++) {
        const spec = runSpecFor(bytes.elfPath, cell.cpu, subject, undefined, bytes.symbolsElf ? { symbolsElf: bytes.symbolsElf } : {});
        runs.push(await runnerFor(cell.runner, subject).run(spec, options.signal ? { signal: options.signal } : {}));
      }
    // A cell cut short by Ctrl-C did not finish: leave it for --resume.
    if (options.signal?.aborted && runs.some((r) => r.verdict === 'error')) return;
    await options.onCell(cell, runs);
  };
  const lane = async (queue: PlannedCell[], width: number) => {
    const workers = Array.from({ length: Math.max(1, Math.min(width, queue.length)) }, async () => {
      for (let cell = queue.shift(); cell; cell = queue.shift()) await runOne(cell);
    });
    await Promise.all(workers);
  };
  // Longest first (LPT scheduling): cells expected to run into their timeout would otherwise
  // start last and leave the other lanes idle while they finish.
  const slowFirst = (list: PlannedCell[]) =>
    list.sort((a, b) => expectedCost(subjects.get(b.subject)!) - expectedCost(subjects.get(a.subject)!));
  // Lanes: QEMU processes in parallel; the emulator thread; each board one run at a time.
  const boardNames = [...new Set(cells.map((c) => c.runner).filter((r) => r.startsWith('board:')))];
  try {
    await Promise.all([
      lane(slowFirst(cells.filter((c) => c.runner !== 'emu' && !c.runner.startsWith('board:'))), options.concurrency),
      lane(slowFirst(cells.filter((c) => c.runner === 'emu')), 1),
      ...boardNames.map((b) => lane(slowFirst(cells.filter((c) => c.runner === b)), 1)),
    ]);
  } finally {
    await emu.close();
  }
}

/** A rough cost estimate: a kernel expected to hang costs its timeout; others are quick. */
function expectedCost(subject: PlannedSubject): number {
  return subject.expect?.verdict === 'timeout'
    ? subject.timeoutMs
    : subject.expect?.verdict === 'output-limit'
      ? subject.timeoutMs / 10
      : 0;
}
