// Known failures: entries of the config's "known" list turn a failing cell into outcome `known`
// (the run passes, JUnit skips it) until their `until` date; a known failure that passes is
// reported so the entry can go. Pure: cells, entries and today's date in, marked cells out.
import { globMatches } from '../util/glob.js';
import { isFailing, type Finding, type Outcome } from './classify.js';

export interface KnownEntry {
  /** A glob over cell ids: "*" matches any text ("/" included), "?" one character. */
  cells: string;
  /** Only when the cell has a finding of this kind (or this outcome). */
  finding?: string;
  /** Only when a finding names this marker. */
  marker?: string;
  reason: string;
  link?: string;
  /** "2027-01-31": the last day the entry holds; after it the cell fails again. */
  until?: string;
}

/** What a cell carries when an entry matched it. */
export interface KnownMark {
  cells: string;
  reason: string;
  link?: string;
  until?: string;
  /** The outcome the cell had before the entry applied. */
  outcome: Outcome;
}

export interface KnownCell {
  id: string;
  outcome: Outcome;
  findings: Finding[];
  known?: KnownMark;
  knownExpired?: KnownMark;
}

export interface KnownReport {
  /** Cells an entry covers that pass now: the entry may go. */
  xpass: { cell: string; entry: KnownMark }[];
  /** Cells failing again because their entry's `until` has passed. */
  expired: { cell: string; entry: KnownMark }[];
}

/** A cell-id glob ("*" any run, "?" any one character), matched in linear time. */
export function globMatcher(glob: string): { test(cellId: string): boolean } {
  return { test: (cellId) => globMatches(glob, cellId, true) };
}

/** Does a finding name this marker, in the classifier's words ("T1 is N …", "T1: expected Y, got N")? */
export function namesMarker(finding: Pick<Finding, 'summary' | 'evidence'>, id: string): boolean {
  const quoted = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?:^|[\\s(:;,])${quoted}(?: is |: expected )`);
  return pattern.test(finding.summary) || finding.evidence.some((e) => pattern.test(e));
}

export function applyKnown<T extends KnownCell>(
  cells: readonly T[],
  entries: readonly KnownEntry[],
  today: string,
): { cells: T[]; report: KnownReport } {
  const report: KnownReport = { xpass: [], expired: [] };
  const compiled = entries.map((entry) => ({ entry, glob: globMatcher(entry.cells) }));
  const out = cells.map((cell): T => {
    const covering = compiled.filter((c) => c.glob.test(cell.id));
    if (!covering.length || cell.outcome === 'infrastructure') return cell;
    const mark = (entry: KnownEntry): KnownMark => ({
      cells: entry.cells,
      reason: entry.reason,
      ...(entry.link ? { link: entry.link } : {}),
      ...(entry.until ? { until: entry.until } : {}),
      outcome: cell.outcome,
    });
    if (!isFailing(cell.outcome)) {
      report.xpass.push({ cell: cell.id, entry: mark(covering[0]!.entry) });
      return cell;
    }
    const matching = covering.filter(({ entry }) => matchesFilters(cell, entry));
    const live = matching.find(({ entry }) => !entry.until || entry.until >= today);
    if (live) return { ...cell, outcome: 'known', known: mark(live.entry) };
    const expired = matching[0];
    if (expired) {
      report.expired.push({ cell: cell.id, entry: mark(expired.entry) });
      return { ...cell, knownExpired: mark(expired.entry) };
    }
    return cell;
  });
  return { cells: out, report };
}

function matchesFilters(cell: KnownCell, entry: KnownEntry): boolean {
  if (entry.finding !== undefined && cell.outcome !== entry.finding && !cell.findings.some((f) => f.kind === entry.finding)) return false;
  if (entry.marker !== undefined && !cell.findings.some((f) => namesMarker(f, entry.marker!))) return false;
  return true;
}
