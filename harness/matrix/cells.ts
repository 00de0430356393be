// The result model of a matrix: one cell = build target x variant x runner x CPU. Pure.
import type { Classification } from '../compare/classify.js';
import type { MachineOptions } from '../machine/description.js';
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
    /** The machine the cell ran on, when not the default (smp, -machine options, devices...). */
    machine?: MachineOptions;
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

/** A file name that keeps the id readable. */
export function cellFileName(key: CellKey): string {
  return `${cellId(key).replace(/[^A-Za-z0-9_.@-]+/g, '_')}.json`;
}
