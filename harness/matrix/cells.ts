// The result model of a matrix: one cell = build target x variant x runner x CPU. Pure.
import type { Classification } from '../compare/classify.js';
import type { KnownMark } from '../compare/known.js';
import type { MachineOptions } from '../machine/description.js';
import type { RunnerName, RunResult } from '../runners/types.js';
import { sha256 } from '../util/hash.js';

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
  /** Set when a config "known" entry covers this failing cell (outcome `known`). */
  known?: KnownMark;
  /** Set when the entry that covered this cell is past its `until`: it fails again. */
  knownExpired?: KnownMark;
  /** A failing cell: the first run of its current failing streak, and how many runs it lasts. */
  failingSince?: { runId: string; runs: number };
  /** Markers not compared (a kernel declared non-deterministic): their values may change freely. */
  varying?: string[];
}

export const RESULT_FORMAT_VERSION = 1;

export function cellId(key: CellKey): string {
  return [key.target, key.variant ?? 'unpatched', key.runner, key.cpu].join('/');
}

/** File names stay below every file system's 255-byte limit: a longer one is cut and hashed. */
const MAX_FILE_STEM = 200;

/**
 * A file name that keeps the id readable and is injective: "/" becomes "_", and "_", "%" and
 * every other character outside [A-Za-z0-9.@-] are percent-encoded, so "my kernel" and
 * "my_kernel" never share a file. A name longer than MAX_FILE_STEM is cut and ends in a hash of
 * the whole id (a 300-character kernel name would otherwise fail with ENAMETOOLONG).
 */
export function cellFileName(key: CellKey): string {
  const id = cellId(key);
  const encoded = [...id]
    .map((ch) =>
      ch === '/'
        ? '_'
        : /[A-Za-z0-9.@-]/.test(ch)
          ? ch
          : [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    )
    .join('');
  if (encoded.length <= MAX_FILE_STEM) return `${encoded}.json`;
  return `${encoded.slice(0, MAX_FILE_STEM - 17)}-${sha256(id).slice(0, 16)}.json`;
}
