// Last night against tonight, cell by cell. Pure. Infrastructure errors are never regressions:
// they are their own kind, so a broken QEMU install does not read as a kernel going bad. A cell
// tonight's run was to run but did not finish is "not run", never "gone". Markers a
// non-deterministic kernel does not pin (SummaryCell.varying) are not compared.
import { isFailing, mainFinding } from '../compare/classify.js';
import type { SummaryCell } from '../matrix/cells.js';

export type ChangeKind =
  | 'regression'
  | 'fix'
  | 'new'
  | 'gone'
  | 'not-run'
  | 'known'
  | 'changed'
  | 'changed-diagnosis'
  | 'flaky'
  | 'infrastructure';

export interface Change {
  cell: string;
  kind: ChangeKind;
  text: string;
  before: Pick<SummaryCell, 'outcome' | 'verdict' | 'markers'> | null;
  after: Pick<SummaryCell, 'outcome' | 'verdict' | 'markers'> | null;
}

export interface BaselineDiff {
  runId: string;
  changes: Change[];
  counts: Partial<Record<ChangeKind, number>>;
}

/** The cells tonight's run was to run (its shard) and the cells of the whole matrix. */
export interface DiffScope {
  planned: readonly string[];
  matrix: readonly string[];
}

/**
 * Baseline cells tonight was to run but that did not finish are "not run"; those of another shard
 * are not compared; only those no longer in the matrix are "gone" (without a scope: every
 * baseline cell missing tonight).
 */
export function diffAgainstBaseline(
  current: readonly SummaryCell[],
  baseline: readonly SummaryCell[],
  baselineRunId: string,
  scope?: DiffScope,
): BaselineDiff {
  const before = new Map(baseline.map((c) => [c.id, c]));
  const changes: Change[] = [];
  const brief = (c: SummaryCell) => ({ outcome: c.outcome, verdict: c.verdict, markers: c.markers });
  for (const now of current) {
    const was = before.get(now.id);
    before.delete(now.id);
    if (now.flaky)
      changes.push({ cell: now.id, kind: 'flaky', text: `flaky: ${flakyText(now)}`, before: was ? brief(was) : null, after: brief(now) });
    if (!was) {
      changes.push({ cell: now.id, kind: 'new', text: `new cell: ${now.outcome} (${describe(now)})`, before: null, after: brief(now) });
      continue;
    }
    if (now.outcome === 'infrastructure' || was.outcome === 'infrastructure') {
      if (now.outcome !== was.outcome) {
        const text =
          now.outcome === 'infrastructure' ? `could not run: ${now.reason}` : `runs again (was an infrastructure error: ${was.reason})`;
        changes.push({ cell: now.id, kind: 'infrastructure', text, before: brief(was), after: brief(now) });
      }
      continue;
    }
    if (!isFailing(was.outcome) && isFailing(now.outcome)) {
      const lapsed = now.knownExpired ? ` (its known-failure entry expired on ${now.knownExpired.until})` : '';
      changes.push({
        cell: now.id,
        kind: 'regression',
        text: `regression: was ${was.outcome === 'expected' ? 'expected' : was.outcome}, now ${now.outcome}${lapsed}: ${mainFinding(now)?.summary ?? describe(now)}`,
        before: brief(was),
        after: brief(now),
      });
    } else if (isFailing(was.outcome) && now.outcome === 'known') {
      changes.push({
        cell: now.id,
        kind: 'known',
        text: `now a known failure (was ${was.outcome})`,
        before: brief(was),
        after: brief(now),
      });
    } else if (isFailing(was.outcome) && !isFailing(now.outcome)) {
      changes.push({
        cell: now.id,
        kind: 'fix',
        text: `fixed: was ${was.outcome}, now ${now.outcome === 'expected' ? 'as expected' : now.outcome}`,
        before: brief(was),
        after: brief(now),
      });
    } else if (was.outcome !== now.outcome || describe(was) !== describe(now)) {
      changes.push({
        cell: now.id,
        kind: 'changed',
        text: `changed: ${was.outcome} (${describe(was)}) -> ${now.outcome} (${describe(now)})`,
        before: brief(was),
        after: brief(now),
      });
    } else if (findingTexts(was) !== findingTexts(now)) {
      changes.push({
        cell: now.id,
        kind: 'changed-diagnosis',
        text: `diagnosis changed: now ${findingList(now)}; was ${findingList(was)}`,
        before: brief(was),
        after: brief(now),
      });
    }
  }
  const planned = new Set(scope?.planned ?? []);
  const matrix = new Set(scope?.matrix ?? []);
  for (const missing of before.values()) {
    if (planned.has(missing.id))
      changes.push({
        cell: missing.id,
        kind: 'not-run',
        text: `not run: the run ended before this cell finished (was ${missing.outcome})`,
        before: brief(missing),
        after: null,
      });
    else if (!matrix.has(missing.id))
      changes.push({
        cell: missing.id,
        kind: 'gone',
        text: `gone: the cell is no longer in the matrix (was ${missing.outcome})`,
        before: brief(missing),
        after: null,
      });
  }
  const counts: BaselineDiff['counts'] = {};
  for (const c of changes) counts[c.kind] = (counts[c.kind] ?? 0) + 1;
  return { runId: baselineRunId, changes, counts };
}

function describe(c: SummaryCell): string {
  const markers = Object.entries(c.markers)
    .map(([k, v]) => `${k}=${c.varying?.includes(k) ? '*' : v}`)
    .join(' ');
  return `${c.verdict}${markers ? ` ${markers}` : ''}`;
}

/** The findings as people read them: "[convention-bug] x25 was not set…; [patch-bug] …". */
function findingList(c: SummaryCell): string {
  return c.findings.length ? c.findings.map((f) => `[${f.kind}] ${f.summary}`).join('; ') : '(no findings)';
}

function findingTexts(c: SummaryCell): string {
  return JSON.stringify(c.findings.map((f) => [f.kind, f.summary]));
}

function flakyText(c: SummaryCell): string {
  const seen = new Map<string, number>();
  for (const r of c.repeats ?? []) {
    const key = `${r.verdict} ${Object.entries(r.markers)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const total = c.repeats?.length ?? 0;
  return [...seen].map(([key, n]) => `${n}/${total} runs: ${key}`).join('; ');
}
