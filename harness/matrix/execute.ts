// Runs cells: QEMU cells as parallel processes (up to `concurrency`), emulator cells one after
// another in-process (uc_emu_start holds the thread; its runner yields between slices). Each
// finished cell is handed to onCell at once, so an interrupted matrix keeps what finished.
import { capabilitiesOf, matrixRunners, type BoardTable, type RunnerFactory } from '../runners/index.js';
import { runSpecFor, type RunResult } from '../runners/types.js';
import type { PlannedCell, PlannedSubject } from './plan.js';
import type { PreparedSubject } from './prepare.js';
import { errorResult } from '../runners/serial-capture.js';
import { fileSha256 } from '../util/bounded-read.js';

export interface ExecuteOptions {
  /** Boards by name, for runners "board:<name>". */
  boards?: BoardTable;
  /** Where the cells' runners come from (default: the registry's matrixRunners(boards)); closed at the end. */
  runners?: RunnerFactory;
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
  const runners = options.runners ?? matrixRunners(options.boards);
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
        runs.push(await runners.runnerFor(cell.runner, subject).run(spec, options.signal ? { signal: options.signal } : {}));
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
  // Lanes as the runners' capabilities say: processes in parallel, the emulator thread, each
  // one-at-a-time runner (a board is one device) by itself.
  const laneOf = (runner: string) => capabilitiesOf(runner).lane;
  const devices = [...new Set(cells.map((c) => c.runner).filter((r) => laneOf(r) === 'one-at-a-time'))];
  try {
    await Promise.all([
      lane(slowFirst(cells.filter((c) => laneOf(c.runner) === 'parallel')), options.concurrency),
      lane(slowFirst(cells.filter((c) => laneOf(c.runner) === 'emulator')), 1),
      ...devices.map((d) => lane(slowFirst(cells.filter((c) => c.runner === d)), 1)),
    ]);
  } finally {
    await runners.close();
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
