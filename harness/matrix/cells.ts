// The result model of a matrix: one cell = build target x variant x runner x CPU. Pure.
import { createHash } from 'node:crypto';
import type { Classification } from '../compare/classify.js';
import type { RunnerName, RunResult } from '../runners/types.js';

export interface CellKey {
  target: string;
  variant: string | null;
  runner: RunnerName;
  cpu: string;
}

/** One finished cell, as written to results/<run>/cells/<id>.json. */
export interface CellResult extends CellKey {
  id: string;
  /** "gowb@go1.19/seed-barrier": the bytes this cell ran (shared by its runners and CPUs). */
  subject: string;
  /** Everything needed to tell exactly which bytes ran. */
  provenance: {
    elfHash: string;
    sourceHash: string | null;
    variantHashes: string[];
    toolchain: string | null;
  };
  run: RunResult;
  /** With --repeat N: every run's outcome (the first is `run`), for flakiness. */
  repeats?: RepeatOutcome[];
}

export interface RepeatOutcome {
  verdict: RunResult['verdict'];
  done: boolean;
  markers: Record<string, string>;
  faultPc: string | null;
}

/** A cell in summary.json: the run condensed, plus what the comparison says about it. */
export interface SummaryCell extends CellKey, Classification {
  id: string;
  subject: string;
  verdict: RunResult['verdict'];
  reason: string;
  markers: Record<string, string>;
  done: boolean;
  fault: RunResult['fault'];
  durationMs: number;
  provenance: CellResult['provenance'];
  repeats?: RepeatOutcome[];
  flaky?: boolean;
}

export const RESULT_FORMAT_VERSION = 1;

export function cellId(key: CellKey): string {
  return [key.target, key.variant ?? 'unpatched', key.runner, key.cpu].join('/');
}

/** File names stay below every file system's 255-byte limit: a longer id is cut and hashed. */
const MAX_FILE_STEM = 200;

/** A file name that keeps the id readable (and unique: a cut one ends in a hash of the whole id). */
export function cellFileName(key: CellKey): string {
  const id = cellId(key);
  const stem = id.replace(/[^A-Za-z0-9_.@-]+/g, '_');
  if (stem.length <= MAX_FILE_STEM) return `${stem}.json`;
  return `${stem.slice(0, MAX_FILE_STEM - 17)}-${createHash('sha256').update(id).digest('hex').slice(0, 16)}.json`;
}
