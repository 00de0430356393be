// The one result model every reporter reads: summary.json (classified cells, subjects,
// diagnoses, the baseline diff), the per-cell files (full runs with serial output), run.json and
// the trend over sibling runs. Types and pure helpers only; harness/report/load.ts reads them.
import { isFailing, mainFinding, type DiagnosisLike } from '../compare/classify.js';
import { namesMarker } from '../compare/known.js';
import type { CellKey, CellResult, SummaryCell } from '../matrix/cells.js';
import type { MatrixRunInfo } from '../matrix/store.js';
import type { PatchManifest } from '../patch/apply.js';
import type { FaultInfo } from '../runners/types.js';
import { displayText } from './escape.js';
import type { TrendRun } from './trend.js';

export type PatchedSite = PatchManifest['sites'][number];

/** One line of the baseline diff (harness/baseline): regression, fix, new, gone, ... */
export interface BaselineChange {
  cell: string;
  kind: string;
  text: string;
}

export interface BaselineLike {
  runId: string;
  changes: BaselineChange[];
}

/**
 * summary.json as the reports read it. Loose on purpose: a report of an older run (no baseline,
 * no subjects) still renders, and reporters never depend on how the matrix computes things.
 */
export interface ReportSummary {
  version: number;
  runId: string;
  interrupted?: boolean;
  shard?: { index: number; count: number } | null;
  counts: Record<string, number>;
  cells: SummaryCell[];
  subjects?: Record<string, { ok?: boolean; error?: string; sites?: PatchedSite[] } | undefined>;
  diagnoses?: Record<string, DiagnosisLike | undefined>;
  baseline?: BaselineLike | null;
  matrixKey?: string;
  startedAt?: string;
  known?: { xpass: { cell: string; entry: { cells: string; reason: string } }[] };
}

/** run.json: what ran, with which tools (all optional: reports do not need it); the store's one shape of it. */
export type RunInfo = Partial<Pick<MatrixRunInfo, 'startedAt' | 'command' | 'versions' | 'config' | 'repeat'>>;

export interface ReportModel {
  summary: ReportSummary;
  /** Full per-cell results (serial output, conflicts) by cell id; a missing file only loses those. */
  cells: ReadonlyMap<string, CellResult>;
  runInfo: RunInfo | null;
  /** Per-run counts over the runs of this matrix kept next to this one (oldest first). */
  trend: TrendRun[];
}

/** Every output format implements this, over the same model. */
export interface Reporter {
  readonly name: string;
  /** The file it writes in the report folder. */
  readonly fileName: string;
  render(model: ReportModel): string;
}

/** A cell that passes: as expected, a fix, or a difference between CPU models its expectation allows. */
export const isExpected = (cell: Pick<SummaryCell, 'outcome'>): boolean =>
  !isFailing(cell.outcome) && cell.outcome !== 'infrastructure' && cell.outcome !== 'known';

/** "known failure: reason (link), until 2027-01-31": how every report names a known failure. */
export function knownText(cell: Pick<SummaryCell, 'known'>): string {
  const k = cell.known;
  return k ? `known failure: ${k.reason}${k.link ? ` (${k.link})` : ''}${k.until ? `, until ${k.until}` : ''}` : 'known failure';
}

/** "gowb@go1.19.seed-barrier": JUnit classname and suite of a build + variant. */
export function suiteName(cell: Pick<CellKey, 'target' | 'variant'>): string {
  return `${cell.target}.${cell.variant ?? 'unpatched'}`;
}

/** "qemu/cortex-a57": where a cell ran (the matrix column). */
export function placeName(cell: Pick<CellKey, 'runner' | 'cpu'>): string {
  return `${cell.runner}/${cell.cpu}`;
}

/** "gowb@go1.19 + seed-barrier": the matrix row, as in the terminal table. */
export function rowName(cell: Pick<CellKey, 'target' | 'variant'>): string {
  return cell.variant ? `${cell.target} + ${cell.variant}` : cell.target;
}

export interface MatrixGrid {
  columns: string[];
  rows: { name: string; target: string; variant: string | null; cells: Map<string, SummaryCell> }[];
}

/** Rows: build + variant in run order; columns: runner/cpu in order of first appearance. */
export function matrixGrid(cells: readonly SummaryCell[]): MatrixGrid {
  const columns: string[] = [];
  const rows = new Map<string, MatrixGrid['rows'][number]>();
  for (const cell of cells) {
    const column = placeName(cell);
    if (!columns.includes(column)) columns.push(column);
    const name = rowName(cell);
    if (!rows.has(name)) rows.set(name, { name, target: cell.target, variant: cell.variant, cells: new Map() });
    rows.get(name)!.cells.set(column, cell);
  }
  return { columns, rows: [...rows.values()] };
}

export function diagnosisFor(summary: ReportSummary, cell: Pick<CellKey, 'target' | 'variant' | 'cpu'>): DiagnosisLike | null {
  return summary.diagnoses?.[`${cell.target}/${cell.variant ?? 'unpatched'}/${cell.cpu}`] ?? null;
}

/** The diagnosis without the texts the cell's findings already carry: each is said once per cell. */
export function diagnosisOnce(diagnosis: DiagnosisLike | null, cell: Pick<SummaryCell, 'findings'>): DiagnosisLike | null {
  if (!diagnosis) return null;
  const said = cell.findings.flatMap((f) => [f.summary, ...f.evidence]);
  return { ...diagnosis, findings: diagnosis.findings.filter((f) => !said.some((text) => text === f.text || text.endsWith(f.text))) };
}

/** The first sentence of a finding: the one-line form of a diagnosis. */
export function firstSentence(text: string): string {
  const end = /(?<=[a-z0-9)\]'"])\. (?=[A-Z(])/.exec(text);
  return end ? text.slice(0, end.index + 1) : text;
}

export function sitesFor(summary: ReportSummary, cell: Pick<SummaryCell, 'subject'>): PatchedSite[] {
  return summary.subjects?.[cell.subject]?.sites ?? [];
}

export function changesFor(summary: ReportSummary, cell: Pick<SummaryCell, 'id'>): BaselineChange[] {
  return (summary.baseline?.changes ?? []).filter((c) => c.cell === cell.id);
}

/** The unpatched kernel on the same runner and CPU: what a variant's markers are judged against. */
export function referenceCell(cells: readonly SummaryCell[], cell: SummaryCell): SummaryCell | undefined {
  if (cell.variant === null) return undefined;
  return cells.find((c) => c.target === cell.target && c.variant === null && c.runner === cell.runner && c.cpu === cell.cpu);
}

export interface MarkerCheck {
  id: string;
  value: string;
  status: 'pass' | 'fail' | 'skip';
  /** Why, in words (empty for a plain pass). */
  message: string;
}

/**
 * Each marker of a cell as a test: SKIP/TODO markers are skipped; a cell that is as expected
 * passes all its markers (a kernel may be expected to print N); markers of an infrastructure
 * error are skipped (the run did not really happen). Otherwise a marker fails when a finding
 * names it, when it differs from the unpatched kernel on the same runner and CPU, or, with no
 * such reference, when it is N or a conflict.
 */
export function markerChecks(cells: readonly SummaryCell[], cell: SummaryCell): MarkerCheck[] {
  const reference = referenceCell(cells, cell);
  return Object.entries(cell.markers).map(([id, value]): MarkerCheck => {
    const directive = /^(SKIP|TODO)$/i.exec(value);
    if (directive) return { id, value, status: 'skip', message: `the kernel marked ${id} ${directive[1]!.toUpperCase()}` };
    if (cell.outcome === 'infrastructure') return { id, value, status: 'skip', message: `the run did not happen: ${cell.reason}` };
    if (cell.outcome === 'known') return { id, value, status: 'skip', message: knownText(cell) };
    if (isExpected(cell)) return { id, value, status: 'pass', message: '' };
    const named = cell.findings.find((f) => namesMarker(f, id));
    if (named) return { id, value, status: 'fail', message: `${named.kind}: ${named.summary}` };
    if (reference) {
      const was = reference.markers[id];
      if (was !== value)
        return { id, value, status: 'fail', message: `${id} is ${value} with ${cell.variant} but ${was ?? '(missing)'} unpatched` };
      return { id, value, status: 'pass', message: '' };
    }
    if (value === 'N' || value.includes('/'))
      return { id, value, status: 'fail', message: value === 'N' ? `${id} is N` : `${id} was printed with conflicting values ${value}` };
    return { id, value, status: 'pass', message: '' };
  });
}

export function formatMarkers(markers: Record<string, string>): string {
  const entries = Object.entries(markers);
  return entries.length ? entries.map(([id, v]) => `${id}=${v}`).join(' ') : '(no markers)';
}

export function describeFault(fault: FaultInfo): string {
  const where = `${fault.pc ?? '?'}${fault.pcSymbol && fault.pcSymbol !== fault.pc ? ` [${fault.pcSymbol}]` : ''}`;
  const address = fault.address
    ? `, address ${fault.address}${fault.addressSymbol && fault.addressSymbol !== fault.address ? ` [${fault.addressSymbol}]` : ''}`
    : '';
  return `${fault.kind}${fault.access ? ` (${fault.access})` : ''} at pc ${where}${address}${fault.esr ? `, ESR ${fault.esr}` : ''}${fault.detail ? ` — ${fault.detail}` : ''}`;
}

/** One line: the outcome and its first finding. */
export function headline(cell: SummaryCell): string {
  const first = mainFinding(cell);
  return first ? `${cell.outcome}: ${first.summary}` : cell.outcome;
}

/**
 * Everything a failure report carries, as plain lines: findings and their evidence, how the run
 * ended, the markers, the fault, the diagnosis, the baseline change, the bytes that ran.
 */
export function explainLines(summary: ReportSummary, cell: SummaryCell): string[] {
  const lines: string[] = [];
  for (const f of cell.findings) {
    lines.push(`${f.kind}: ${f.summary}`);
    for (const e of f.evidence) lines.push(`  - ${e}`);
  }
  if (cell.flaky) lines.push('flaky: its repeated runs disagree');
  if (cell.known) lines.push(`${knownText(cell)} (covers "${cell.known.cells}"; the cell is ${cell.known.outcome})`);
  if (cell.knownExpired)
    lines.push(`its known-failure entry "${cell.knownExpired.cells}" expired on ${cell.knownExpired.until}: ${cell.knownExpired.reason}`);
  if (cell.failingSince)
    lines.push(
      cell.failingSince.runs > 1 ? `failing since ${cell.failingSince.runId} (${cell.failingSince.runs} runs)` : 'failing since this run',
    );
  lines.push(`verdict: ${cell.verdict} (${cell.reason}) in ${cell.durationMs} ms`);
  lines.push(`markers: ${formatMarkers(cell.markers)}${cell.done ? ' DONE' : ''}`);
  if (cell.fault) lines.push(`fault: ${describeFault(cell.fault)}`);
  const diagnosis = diagnosisOnce(diagnosisFor(summary, cell), cell);
  if (diagnosis) {
    lines.push(
      `diagnosis (emulator trace of redirected calls): ${diagnosis.verdict}${diagnosis.findings.length ? '' : ' (its findings are the ones above)'}`,
    );
    for (const f of diagnosis.findings) lines.push(`  [${f.kind}] ${f.text}`);
  }
  for (const change of changesFor(summary, cell)) lines.push(`against baseline ${summary.baseline!.runId}: ${change.text}`);
  lines.push(
    `cell: ${cell.id}; elf ${cell.provenance.elfHash.slice(0, 16) || '(none)'}${cell.provenance.variantHashes.length ? `, variant ${cell.provenance.variantHashes.map((h) => h.slice(0, 16)).join('+')}` : ''}`,
  );
  return lines.map(displayText);
}

export interface SerialTail {
  text: string;
  /** Lines and characters left out at the start. */
  omittedLines: number;
  truncated: boolean;
}

/** The end of a serial log for people: displayText applied, at most maxLines / maxChars. */
export function serialTail(serial: string, limits: { maxLines: number; maxChars: number }): SerialTail {
  const shown = displayText(serial);
  let lines = shown.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines = lines.slice(0, -1);
  const total = lines.length;
  let kept = lines.slice(-limits.maxLines);
  let text = kept.join('\n');
  if (text.length > limits.maxChars) {
    text = text.slice(text.length - limits.maxChars);
    const cut = text.indexOf('\n');
    if (cut >= 0 && cut < 200) text = text.slice(cut + 1);
    kept = text.split('\n');
  }
  return { text, omittedLines: total - kept.length, truncated: text.length < lines.join('\n').length };
}

/** A day "2026-11-23" from a run id such as 2026-11-23T17-28-04Z, or null. */
export function dayOfRunId(runId: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})T\d{2}-\d{2}-\d{2}/.exec(runId);
  return m ? m[1]! : null;
}
