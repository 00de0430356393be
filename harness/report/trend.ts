// The trend across the runs kept beside this one (of the same matrix): per run, how many cells
// passed, failed, were known failures or infrastructure errors, and how many regressions the run
// found against its baseline. One bar per run, not per day: two runs a day are two bars. Pure:
// the runs are read by load.ts; the chart is a small inline SVG string with no script and no fonts.
import { isFailing } from '../compare/classify.js';
import { escapeXmlAttr, escapeXmlText } from './escape.js';
import { OUTCOME_COLOUR } from './outcomes.js';
import { plural } from './terminal.js';

export interface TrendRun {
  runId: string;
  /** "2026-11-23" */
  day: string;
  /** When it started (ISO), to order runs; the run id when unknown. */
  at: string;
  expected: number;
  notExpected: number;
  known: number;
  infrastructure: number;
  /** Regressions against its baseline; null when the run had no baseline. */
  regressions: number | null;
}

/** A run's counts, or null for a run that is not whole (interrupted, or one shard). */
export function trendRunOf(
  summary: {
    runId: string;
    startedAt?: string;
    interrupted?: boolean;
    shard?: unknown;
    cells: readonly { outcome: string }[];
    baseline?: { changes: readonly { kind: string }[] } | null;
  },
  day: string,
): TrendRun | null {
  if (summary.interrupted || summary.shard) return null;
  const count = (test: (outcome: string) => boolean) => summary.cells.filter((c) => test(c.outcome)).length;
  const notExpected = count(isFailing);
  const known = count((o) => o === 'known');
  const infrastructure = count((o) => o === 'infrastructure');
  return {
    runId: summary.runId,
    day,
    at: summary.startedAt ?? summary.runId,
    expected: summary.cells.length - notExpected - known - infrastructure,
    notExpected,
    known,
    infrastructure,
    regressions: summary.baseline ? summary.baseline.changes.filter((c) => c.kind === 'regression').length : null,
  };
}

/** The runs oldest first, the last `maxRuns`. */
export function trendRuns(runs: readonly TrendRun[], maxRuns = 30): TrendRun[] {
  return [...runs].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.runId < b.runId ? -1 : 1)).slice(-maxRuns);
}

/** ["11-23", "17:28"] from a run id such as 2026-11-23T17-28-04Z (or its start time), else the day. */
function runLabel(run: TrendRun): [string, string] {
  const m = /^\d{4}-(\d{2}-\d{2})T(\d{2})-(\d{2})/.exec(run.runId) ?? /^\d{4}-(\d{2}-\d{2})T(\d{2}):(\d{2})/.exec(run.at);
  return m ? [m[1]!, `${m[2]}:${m[3]}`] : [run.day.slice(5), ''];
}

const BAR = 26;
const GAP = 10;
const PLOT = 110;
const TOP = 22;
const LEFT = 34;

/** Stacked bars per run (as expected / failing / known / infrastructure) with the regression count on top. */
export function trendSvg(runs: readonly TrendRun[]): string {
  const width = LEFT + Math.max(runs.length, 1) * (BAR + GAP) + GAP;
  const height = TOP + PLOT + 34;
  const max = Math.max(1, ...runs.map((d) => d.expected + d.notExpected + d.known + d.infrastructure));
  const y = (n: number) => (n / max) * PLOT;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="trend" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-label="cells per run: as expected, failing, known failures, infrastructure errors; regressions on top">`,
  );
  parts.push(`<line x1="${LEFT - 4}" y1="${TOP + PLOT}" x2="${width - GAP / 2}" y2="${TOP + PLOT}" class="axis"/>`);
  parts.push(`<text x="${LEFT - 8}" y="${TOP + 4}" class="tick" text-anchor="end">${max}</text>`);
  parts.push(`<text x="${LEFT - 8}" y="${TOP + PLOT}" class="tick" text-anchor="end">0</text>`);
  runs.forEach((d, i) => {
    const x = LEFT + GAP / 2 + i * (BAR + GAP);
    let base = TOP + PLOT;
    const title = `${d.runId}: ${d.expected} as expected, ${d.notExpected} failing, ${d.known} known, ${plural(d.infrastructure, 'infrastructure error')}; ${d.regressions === null ? 'no baseline' : plural(d.regressions, 'regression')}`;
    parts.push(
      `<g class="run" data-run="${escapeXmlAttr(d.runId)}" data-day="${escapeXmlAttr(d.day)}" data-expected="${d.expected}" data-not-expected="${d.notExpected}" data-known="${d.known}" data-regressions="${d.regressions ?? ''}"><title>${escapeXmlText(title)}</title>`,
    );
    for (const [n, colour] of [
      [d.expected, OUTCOME_COLOUR.expected.fg],
      [d.notExpected, OUTCOME_COLOUR['patch-bug'].fg],
      [d.known, OUTCOME_COLOUR.known.fg],
      [d.infrastructure, OUTCOME_COLOUR.infrastructure.fg],
    ] as const) {
      if (n <= 0) continue;
      const h = Math.max(1, y(n));
      base -= h;
      parts.push(`<rect x="${x}" y="${base.toFixed(1)}" width="${BAR}" height="${h.toFixed(1)}" fill="${colour}"/>`);
    }
    if (d.regressions) {
      parts.push(`<text x="${x + BAR / 2}" y="${(base - 5).toFixed(1)}" class="reg" text-anchor="middle">▲${d.regressions}</text>`);
    }
    const [date, time] = runLabel(d);
    parts.push(`<text x="${x + BAR / 2}" y="${TOP + PLOT + 14}" class="tick" text-anchor="middle">${escapeXmlText(date)}</text>`);
    parts.push(`<text x="${x + BAR / 2}" y="${TOP + PLOT + 27}" class="tick sub" text-anchor="middle">${escapeXmlText(time)}</text>`);
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('');
}
