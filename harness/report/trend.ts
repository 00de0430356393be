// The trend across the runs kept in results/: per day, how many cells were as expected, how many
// were not, and how many regressions the day's runs found against their baselines. Pure: the
// runs are read by load.ts; the chart is a small inline SVG string with no script and no fonts.
import { escapeXmlAttr, escapeXmlText } from './escape.js';
import { OUTCOME_COLOUR } from './outcomes.js';

export interface TrendRun {
  runId: string;
  /** "2026-11-23" */
  day: string;
  expected: number;
  notExpected: number;
  infrastructure: number;
  /** Regressions against its baseline; null when the run had no baseline. */
  regressions: number | null;
}

export interface TrendDay {
  day: string;
  runs: number;
  /** The day's last run, whose cell counts the day shows. */
  lastRunId: string;
  expected: number;
  notExpected: number;
  infrastructure: number;
  /** Regressions found by all the day's runs (each against the run before it); null: no baseline. */
  regressions: number | null;
}

/** A run's counts, or null for a run that is not whole (interrupted, or one shard). */
export function trendRunOf(summary: { runId: string; interrupted?: boolean; shard?: unknown; cells: readonly { outcome: string }[]; baseline?: { changes: readonly { kind: string }[] } | null }, day: string): TrendRun | null {
  if (summary.interrupted || summary.shard) return null;
  let expected = 0;
  let infrastructure = 0;
  for (const c of summary.cells) {
    if (c.outcome === 'expected') expected += 1;
    else if (c.outcome === 'infrastructure') infrastructure += 1;
  }
  return {
    runId: summary.runId,
    day,
    expected,
    notExpected: summary.cells.length - expected - infrastructure,
    infrastructure,
    regressions: summary.baseline ? summary.baseline.changes.filter((c) => c.kind === 'regression').length : null,
  };
}

/** Runs grouped by day, oldest first, the last `maxDays` days that have runs. */
export function trendDays(runs: readonly TrendRun[], maxDays = 30): TrendDay[] {
  const byDay = new Map<string, TrendRun[]>();
  for (const run of [...runs].sort((a, b) => (a.day + a.runId < b.day + b.runId ? -1 : 1))) {
    if (!byDay.has(run.day)) byDay.set(run.day, []);
    byDay.get(run.day)!.push(run);
  }
  const days = [...byDay].map(([day, list]): TrendDay => {
    const last = list[list.length - 1]!;
    const withBaseline = list.filter((r) => r.regressions !== null);
    return {
      day,
      runs: list.length,
      lastRunId: last.runId,
      expected: last.expected,
      notExpected: last.notExpected,
      infrastructure: last.infrastructure,
      regressions: withBaseline.length ? withBaseline.reduce((n, r) => n + r.regressions!, 0) : null,
    };
  });
  return days.slice(-maxDays);
}

const BAR = 26;
const GAP = 10;
const PLOT = 110;
const TOP = 22;
const LEFT = 34;

/** Stacked bars per day (expected / not expected / infrastructure) with the regression count on top. */
export function trendSvg(days: readonly TrendDay[]): string {
  const width = LEFT + Math.max(days.length, 1) * (BAR + GAP) + GAP;
  const height = TOP + PLOT + 34;
  const max = Math.max(1, ...days.map((d) => d.expected + d.notExpected + d.infrastructure));
  const y = (n: number) => (n / max) * PLOT;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="trend" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-label="cells per day: as expected, not as expected, infrastructure errors; regressions on top">`);
  parts.push(`<line x1="${LEFT - 4}" y1="${TOP + PLOT}" x2="${width - GAP / 2}" y2="${TOP + PLOT}" class="axis"/>`);
  parts.push(`<text x="${LEFT - 8}" y="${TOP + 4}" class="tick" text-anchor="end">${max}</text>`);
  parts.push(`<text x="${LEFT - 8}" y="${TOP + PLOT}" class="tick" text-anchor="end">0</text>`);
  days.forEach((d, i) => {
    const x = LEFT + GAP / 2 + i * (BAR + GAP);
    let base = TOP + PLOT;
    const title = `${d.day}: ${d.expected} as expected, ${d.notExpected} not, ${d.infrastructure} infrastructure (last of ${d.runs} run${d.runs === 1 ? '' : 's'}: ${d.lastRunId}); ${d.regressions === null ? 'no baseline' : `${d.regressions} regression${d.regressions === 1 ? '' : 's'}`}`;
    parts.push(`<g class="day" data-day="${escapeXmlAttr(d.day)}" data-expected="${d.expected}" data-not-expected="${d.notExpected}" data-regressions="${d.regressions ?? ''}"><title>${escapeXmlText(title)}</title>`);
    for (const [n, colour] of [
      [d.expected, OUTCOME_COLOUR.expected.fg],
      [d.notExpected, OUTCOME_COLOUR['patch-bug'].fg],
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
    parts.push(`<text x="${x + BAR / 2}" y="${TOP + PLOT + 14}" class="tick" text-anchor="middle">${escapeXmlText(d.day.slice(5))}</text>`);
    parts.push(`<text x="${x + BAR / 2}" y="${TOP + PLOT + 27}" class="tick sub" text-anchor="middle">${d.expected}/${d.expected + d.notExpected}</text>`);
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('');
}
