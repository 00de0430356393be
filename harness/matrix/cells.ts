// The result model of a matrix: one cell = build target x variant x runner x CPU. Pure.
import type { Mismatch } from '../compare/expect.js';
import type { RunnerName, RunResult } from '../runners/types.js';

export interface CellKey {
  target: string;
  variant: string | null;
  runner: RunnerName;
  cpu: string;
}

export interface CellResult extends CellKey {
  id: string;
  elfHash: string;
  expected: boolean;
  mismatches: Mismatch[];
  run: RunResult;
}

export const RESULT_FORMAT_VERSION = 1;

export function cellId(key: CellKey): string {
  return [key.target, key.variant ?? 'unpatched', key.runner, key.cpu].join('/');
}

/** A file name that keeps the id readable. */
export function cellFileName(key: CellKey): string {
  return `${cellId(key).replace(/[^A-Za-z0-9_.@-]+/g, '_')}.json`;
}
