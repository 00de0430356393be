// What `wbdiff matrix` prints: the table, the progress line, the baseline changes, the failing
// and known cells and the counts, sized to the terminal and coloured only where colour is wanted.
// Pure: a summary and a style in, text out (golden-tested in test/unit/terminal.test.ts).
import { isFailing, mainFinding, type Outcome } from '../compare/classify.js';
import type { CellResult, SummaryCell } from '../matrix/cells.js';
import type { MatrixSummary } from '../matrix/summarize.js';
import { formatMarkers, matrixGrid } from './model.js';
import { OUTCOME_LABEL, OUTCOME_ORDER, isOutcome } from './outcomes.js';

export interface TerminalStyle {
  /** Columns to fit; Infinity for a log file or pipe. */
  width: number;
  colour: boolean;
}

/**
 * Colour on a TTY only; NO_COLOR (non-empty) turns it off, FORCE_COLOR (not "0"/"false") on.
 * Width: the TTY's columns, else $COLUMNS, else no limit (CI logs are not wrapped).
 */
export function terminalStyle(stream: { isTTY?: boolean; columns?: number }, env: Record<string, string | undefined>): TerminalStyle {
  const force = env['FORCE_COLOR'];
  const colour = force !== undefined ? force !== '0' && force !== 'false' : env['NO_COLOR'] ? false : Boolean(stream.isTTY);
  const columns = stream.isTTY && stream.columns ? stream.columns : Number(env['COLUMNS']);
  return { width: Number.isInteger(columns) && columns > 20 ? columns : Infinity, colour };
}

const ANSI: Partial<Record<Outcome | 'dim' | 'bold', string>> = {
  expected: '32',
  fix: '32',
  'cpu-dependent': '36',
  known: '33',
  infrastructure: '35',
  'patch-bug': '31;1',
  'parity-divergence': '31;1',
  'convention-bug': '31;1',
  'masked-failure': '31;1',
  unexpected: '31;1',
  dim: '2',
  bold: '1',
};

export function paint(text: string, what: keyof typeof ANSI, style: Pick<TerminalStyle, 'colour'>): string {
  const code = ANSI[what];
  return style.colour && code ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** "1 cell", "2 cells". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Cuts text to `width` characters, ending in "…" when cut. */
export function fit(text: string, width: number): string {
  if (!Number.isFinite(width) || text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

interface TableCell {
  text: string;
  outcome?: Outcome;
}

/**
 * Rows: build + variant; columns: runner (and CPU when several). Each cell says its outcome and
 * markers; when that is wider than the terminal, the markers go (they are in the failing list and
 * --explain), then the row names are shortened.
 */
export function renderTable(cells: readonly SummaryCell[], style: TerminalStyle = { width: Infinity, colour: false }): string {
  const grid = matrixGrid(cells);
  const oneCpu = new Set(cells.map((c) => c.cpu)).size <= 1;
  let header = ['kernel + variant', ...grid.columns.map((col) => (oneCpu ? col.split('/')[0]! : col))];
  const cellText = (c: SummaryCell | undefined, withMarkers: boolean): TableCell => {
    if (!c) return { text: '' };
    const label = isOutcome(c.outcome) ? OUTCOME_LABEL[c.outcome] : c.outcome;
    const what =
      c.verdict === 'completed'
        ? formatMarkers(c.markers)
        : `${c.verdict}${Object.keys(c.markers).length ? ` ${formatMarkers(c.markers)}` : ''}`;
    return { text: withMarkers ? `${label}: ${what}` : label, outcome: c.outcome };
  };
  const build = (withMarkers: boolean) =>
    grid.rows.map((row) => [{ text: row.name }, ...grid.columns.map((col) => cellText(row.cells.get(col), withMarkers))]);
  let rows = build(true);
  if (tableWidth(header, rows) > style.width) rows = build(false);
  // "qemu/cortex-a57" -> "qemu/a57": the CPU family is the same word in every column.
  if (tableWidth(header, rows) > style.width) header = header.map((h, i) => (i === 0 ? h : h.replace('/cortex-', '/')));
  const widths = columnWidths(header, rows);
  const over = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) - style.width;
  if (over > 0) widths[0] = Math.max(12, widths[0]! - over);
  const line = (cells: TableCell[]) =>
    cells
      .map((c, i) => {
        // Colour the text, not its padding, so a line still ends where its text does.
        const text = fit(c.text, widths[i]!);
        return `${c.outcome ? paint(text, c.outcome, style) : text}${' '.repeat(widths[i]! - text.length)}`;
      })
      .join('  ')
      .trimEnd();
  const head = line(header.map((text) => ({ text })));
  return [style.colour ? paint(head, 'bold', style) : head, line(widths.map((w) => ({ text: '-'.repeat(w) }))), ...rows.map(line)].join(
    '\n',
  );
}

function columnWidths(header: string[], rows: TableCell[][]): number[] {
  return header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.text.length ?? 0)));
}

function tableWidth(header: string[], rows: TableCell[][]): number {
  const widths = columnWidths(header, rows);
  return widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
}

/** "12 cells: 2 PATCH-BUG, 1 KNOWN, 9 ok". */
export function renderCounts(cells: readonly SummaryCell[], style: TerminalStyle = { width: Infinity, colour: false }): string {
  const tally = (o: string) => cells.filter((c) => c.outcome === o).length;
  const parts = OUTCOME_ORDER.filter((o) => tally(o)).map((o) => paint(`${tally(o)} ${OUTCOME_LABEL[o]}`, o, style));
  return `${plural(cells.length, 'cell')}: ${parts.join(', ')}`;
}

/** Failing cells with their first finding and how long they have been failing. */
export function renderFailing(cells: readonly SummaryCell[], style: TerminalStyle = { width: Infinity, colour: false }): string {
  const failing = cells.filter((c) => isFailing(c.outcome));
  if (!failing.length) return '';
  const lines = failing.map((c) => {
    const since = c.failingSince
      ? c.failingSince.runs > 1
        ? ` (failing since ${c.failingSince.runId}, ${plural(c.failingSince.runs, 'run')})`
        : ' (failing since this run)'
      : '';
    const expired = c.knownExpired ? ` [its known-failure entry expired on ${c.knownExpired.until}]` : '';
    return `  ${paint(OUTCOME_LABEL[c.outcome as Outcome] ?? c.outcome, c.outcome as Outcome, style)} ${c.id}: ${mainFinding(c)?.summary ?? c.reason}${since}${expired}`;
  });
  return `failing: ${plural(failing.length, 'cell')}\n${lines.join('\n')}\n`;
}

/** Known failures (apart from the failing ones), one line per entry, and those that pass now. */
export function renderKnown(
  summary: { cells: readonly SummaryCell[]; known?: { xpass: { cell: string; entry: { cells: string; reason: string } }[] } },
  style: TerminalStyle = { width: Infinity, colour: false },
): string {
  const known = summary.cells.filter((c) => c.outcome === 'known' && c.known);
  const lines: string[] = [];
  if (known.length) {
    lines.push(`known failures: ${plural(known.length, 'cell')} (not failing the run)`);
    const byEntry = new Map<string, SummaryCell[]>();
    for (const c of known) byEntry.set(c.known!.cells, [...(byEntry.get(c.known!.cells) ?? []), c]);
    for (const [pattern, cells] of byEntry) {
      const k = cells[0]!.known!;
      const outcomes = [...new Set(cells.map((c) => c.known!.outcome))].join(', ');
      const which = cells.length === 1 ? cells[0]!.id : `${pattern} (${plural(cells.length, 'cell')})`;
      lines.push(
        `  ${paint('KNOWN', 'known', style)} ${which}: ${outcomes}: ${k.reason}${k.link ? ` <${k.link}>` : ''}${k.until ? ` (until ${k.until})` : ''}`,
      );
    }
  }
  for (const x of summary.known?.xpass ?? []) {
    lines.push(
      `  ${paint('XPASS', 'fix', style)} ${x.cell} passes, but the known-failure entry "${x.entry.cells}" lists it (${x.entry.reason}): remove or narrow the entry`,
    );
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export interface BaselineView {
  runId: string;
  changes: readonly { cell: string; kind: string; text: string }[];
}

const CHANGE_ORDER = ['regression', 'infrastructure', 'not-run', 'flaky', 'new', 'fix', 'known', 'changed', 'changed-diagnosis', 'gone'];

/** The changes against the baseline, regressions first. */
export function renderBaseline(
  baseline: BaselineView | null | undefined,
  style: TerminalStyle = { width: Infinity, colour: false },
): string {
  if (!baseline) return '';
  if (!baseline.changes.length) return `against baseline ${baseline.runId}: no changes\n`;
  const rank = (kind: string) => (CHANGE_ORDER.indexOf(kind) + 100) % 100;
  const changes = [...baseline.changes].sort((a, b) => rank(a.kind) - rank(b.kind));
  const lines = changes.map((c) => {
    const kind = c.kind.toUpperCase().padEnd(17);
    return `  ${c.kind === 'regression' ? paint(kind, 'unexpected', style) : c.kind === 'fix' ? paint(kind, 'fix', style) : kind} ${c.cell}: ${c.text}`;
  });
  return `against baseline ${baseline.runId}:\n${lines.join('\n')}\n`;
}

export interface ProgressState {
  done: number;
  total: number;
  failing: number;
  infrastructure: number;
  elapsedMs: number;
  last: string;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600
    ? `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
    : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** "[12/40] 2 failing · 0:05, ~0:12 left · hello/unpatched/qemu/cortex-a57", cut to width - 1 (no wrap). */
export function progressLine(p: ProgressState, style: TerminalStyle): string {
  const so = [
    p.failing ? paint(`${p.failing} failing`, 'unexpected', style) : '',
    p.infrastructure ? paint(`${p.infrastructure} infrastructure`, 'infrastructure', style) : '',
  ]
    .filter(Boolean)
    .join(', ');
  const eta = p.done > 0 && p.done < p.total ? `, ~${formatDuration((p.elapsedMs / p.done) * (p.total - p.done))} left` : '';
  const head = `[${p.done}/${p.total}]${so ? ` ${so}` : ''} · ${formatDuration(p.elapsedMs)}${eta} · `;
  const visible = head.replace(/\x1b\[[0-9;]*m/g, '').length;
  const room = Number.isFinite(style.width) ? Math.max(0, style.width - 1 - visible) : Infinity;
  return `${head}${fit(p.last, room)}`;
}

/** Without a terminal (a CI log, a pipe): one line per finished cell instead of the progress line. */
export function progressRecord(p: Pick<ProgressState, 'done' | 'total'>, cell: Pick<CellResult, 'id' | 'run'>): string {
  return `[${p.done}/${p.total}] ${cell.id}: ${cell.run.verdict} ${formatMarkers(cell.run.markers)}\n`;
}

/** What a finished `wbdiff matrix` prints: the table, the baseline changes, failing and known cells, the counts, where it all is. */
export function renderMatrixResult(
  summary: MatrixSummary,
  style: TerminalStyle,
  where: { durationMs: number; dir: string; report: string | null },
): string {
  const sections = [
    renderTable(summary.cells, style),
    renderBaseline(summary.baseline, style),
    renderFailing(summary.cells, style),
    renderKnown(summary, style),
  ].filter(Boolean);
  const report = where.report ? `report: ${where.report}\n` : '';
  return `\n${sections.join('\n')}\n${renderCounts(summary.cells, style)} in ${formatDuration(where.durationMs)}\nresults: ${where.dir}\n${report}`;
}

/** What `wbdiff merge` prints. */
export function renderMergeResult(
  summary: Pick<MatrixSummary, 'cells' | 'interrupted'>,
  style: TerminalStyle,
  where: { shards: number; dir: string },
): string {
  const missing = summary.interrupted ? ' (some cells missing: a shard did not finish)' : '';
  return `${renderTable(summary.cells, style)}\n\nmerged ${where.shards} shard(s): ${plural(summary.cells.length, 'cell')}${missing}\nresults: ${where.dir}\n`;
}
