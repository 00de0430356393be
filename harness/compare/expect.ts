// Does a run match what the kernel's manifest expects? Pure; every mismatch is said in words.
import type { KernelExpectation } from '../build/manifest.js';
import { isInfrastructure, type RunResult } from '../runners/types.js';

export interface Mismatch {
  what: 'verdict' | 'done' | 'marker' | 'conflict' | 'exit status';
  id?: string;
  expected: string;
  actual: string;
}

export function checkExpectation(run: RunResult, expect: KernelExpectation): Mismatch[] {
  const out: Mismatch[] = [];
  const verdict = expect.verdict ?? 'completed';
  if (run.verdict !== verdict) out.push({ what: 'verdict', expected: verdict, actual: run.verdict });
  if (expect.done !== undefined && run.done !== expect.done)
    out.push({ what: 'done', expected: String(expect.done), actual: String(run.done) });
  for (const [id, want] of Object.entries(expect.markers ?? {})) {
    const got = run.markers[id];
    if (got === undefined) out.push({ what: 'marker', id, expected: want, actual: '(missing)' });
    else if (want !== '*' && got !== want) out.push({ what: 'marker', id, expected: want, actual: got });
  }
  if (run.exitStatus != null || expect.exitStatus !== undefined) {
    const allowed = expect.exitStatus === undefined ? [0] : Array.isArray(expect.exitStatus) ? expect.exitStatus : [expect.exitStatus];
    const got = run.exitStatus ?? null;
    if (got === null || !allowed.includes(got))
      out.push({ what: 'exit status', expected: allowed.join(' or '), actual: got === null ? '(none)' : String(got) });
  }
  if (expect.noFailingMarkers) {
    for (const [id, value] of Object.entries(run.markers))
      if (FAILING_VALUES.has(value) && expect.markers?.[id] === undefined)
        out.push({ what: 'marker', id, expected: 'not failing', actual: value });
  }
  const wantConflicts = new Set(expect.conflicts ?? []);
  const gotConflicts = new Set(run.conflicts.map((c) => c.id));
  for (const id of wantConflicts) if (!gotConflicts.has(id)) out.push({ what: 'conflict', id, expected: 'conflict', actual: 'none' });
  for (const id of gotConflicts)
    if (!wantConflicts.has(id)) out.push({ what: 'conflict', id, expected: 'none', actual: run.markers[id] ?? 'conflict' });
  return out;
}

/** Marker values that say a check failed: T<n> N, TAP not ok, kvm-unit-tests FAIL and XPASS (an unexpected pass). */
const FAILING_VALUES = new Set(['N', 'FAIL', 'XPASS']);

/** What a kernel with no manifest or config expectation is held to: it completes, exits 0 if it says, fails no marker. */
export const DEFAULT_EXPECTATION: KernelExpectation = { verdict: 'completed', noFailingMarkers: true };

export function formatMismatch(m: Mismatch): string {
  return m.id ? `${m.id}: expected ${m.expected}, got ${m.actual}` : `${m.what}: expected ${m.expected}, got ${m.actual}`;
}

/** Runners agree when the same bytes give the same verdict, DONE, markers, and fault place. */
export function runsAgree(runs: readonly RunResult[]): boolean {
  const usable = runs.filter((r) => !isInfrastructure(r.verdict));
  if (usable.length < 2) return true;
  const key = (r: RunResult) =>
    JSON.stringify([r.verdict, r.done, sortedEntries(r.markers), r.fault ? [r.fault.pc, r.fault.address] : null, r.exitStatus ?? null]);
  const first = key(usable[0]!);
  return usable.every((r) => key(r) === first);
}

function sortedEntries(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
