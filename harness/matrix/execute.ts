// Runs cells: QEMU cells as parallel processes (up to `concurrency`), emulator cells one after
// another in-process (uc_emu_start holds the thread; its runner yields between slices). Each
// finished cell is handed to onCell at once, so an interrupted matrix keeps what finished.
import { createRunner } from '../runners/index.js';
import type { RunResult } from '../runners/types.js';
import type { PlannedCell, PlannedSubject } from './plan.js';
import type { PreparedSubject } from './prepare.js';
import { errorResult } from '../runners/serial-capture.js';

export interface ExecuteOptions {
  concurrency: number;
  signal?: AbortSignal;
  onCell: (cell: PlannedCell, run: RunResult) => Promise<void>;
}

export async function executeCells(
  cells: readonly PlannedCell[],
  subjects: ReadonlyMap<string, PlannedSubject>,
  prepared: ReadonlyMap<string, PreparedSubject>,
  options: ExecuteOptions,
): Promise<void> {
  const runOne = async (cell: PlannedCell) => {
    if (options.signal?.aborted) return;
    const subject = subjects.get(cell.subject)!;
    const bytes = prepared.get(cell.subject);
    let run: RunResult;
    if (!bytes || !bytes.ok) {
      run = errorResult(cell.runner, cell.cpu, bytes && !bytes.ok ? bytes.error : 'not prepared');
    } else {
      run = await createRunner(cell.runner).run(
        { elfPath: bytes.elfPath, cpu: cell.cpu, timeoutMs: subject.timeoutMs, resultPatterns: subject.resultPatterns },
        options.signal ? { signal: options.signal } : {},
      );
    }
    // A cell cut short by Ctrl-C did not finish: leave it for --resume.
    if (options.signal?.aborted && run.verdict === 'error') return;
    await options.onCell(cell, run);
  };
  const lane = async (queue: PlannedCell[], width: number) => {
    const workers = Array.from({ length: Math.max(1, Math.min(width, queue.length)) }, async () => {
      for (let cell = queue.shift(); cell; cell = queue.shift()) await runOne(cell);
    });
    await Promise.all(workers);
  };
  await Promise.all([
    lane(cells.filter((c) => c.runner !== 'emu'), options.concurrency),
    lane(cells.filter((c) => c.runner === 'emu'), 1),
  ]);
}
