// results.tap: TAP version 13, one test point per cell. ok when the cell is as expected; not ok
// otherwise, with a YAML block (outcome, findings, verdict, markers, fault, diagnosis). An
// infrastructure error is "ok ... # SKIP": the run did not happen, so it is neither a pass nor
// a kernel failure (tap-parser counts it as a skip, not a failure). Pure.
import type { SummaryCell } from '../matrix/cells.js';
import { displayText, tapDescription, yamlString } from './escape.js';
import {
  changesFor,
  diagnosisFor,
  describeFault,
  isExpected,
  knownText,
  type ReportModel,
  type Reporter,
  type ReportSummary,
} from './model.js';
import { OUTCOME_ORDER } from './outcomes.js';

export function renderTap(model: ReportModel): string {
  const { summary } = model;
  const tally = (o: string) => summary.cells.filter((c) => c.outcome === o).length;
  const counts = OUTCOME_ORDER.filter((o) => tally(o)).map((o) => `${tally(o)} ${o}`);
  const lines = [
    'TAP version 13',
    `# wbdiff matrix ${tapDescription(summary.runId)}: ${summary.cells.length} cells${counts.length ? `: ${counts.join(', ')}` : ''}`,
  ];
  lines.push(`1..${summary.cells.length}`);
  summary.cells.forEach((cell, i) => {
    const n = i + 1;
    const name = tapDescription(cell.id);
    if (isExpected(cell)) {
      lines.push(`ok ${n} - ${name}`);
      return;
    }
    // TAP's TODO is its known failure: reported, not counted as failing.
    if (cell.outcome === 'known') lines.push(`not ok ${n} - ${name} # TODO ${tapDescription(displayText(knownText(cell)))}`);
    else if (cell.outcome === 'infrastructure')
      lines.push(`ok ${n} - ${name} # SKIP infrastructure error: ${tapDescription(displayText(cell.reason))}`);
    else lines.push(`not ok ${n} - ${name}`);
    lines.push('  ---', ...yamlBlock(diagnostic(summary, cell), '  '), '  ...');
  });
  const infra = tally('infrastructure');
  if (infra) lines.push(`# ${infra} infrastructure error${infra === 1 ? '' : 's'}: reported as SKIP, never as failures`);
  if (summary.interrupted) lines.push('# the run was interrupted: cells that did not run are not listed');
  return `${lines.join('\n')}\n`;
}

function diagnostic(summary: ReportSummary, cell: SummaryCell): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    outcome: cell.outcome,
    findings: cell.findings.map((f) => ({ kind: f.kind, summary: f.summary, ...(f.evidence.length ? { evidence: f.evidence } : {}) })),
    verdict: cell.verdict,
    reason: cell.reason,
    markers: cell.markers,
    done: cell.done,
  };
  if (cell.fault) doc['fault'] = describeFault(cell.fault);
  if (cell.flaky) doc['flaky'] = true;
  if (cell.known)
    doc['known'] = {
      outcome: cell.known.outcome,
      reason: cell.known.reason,
      ...(cell.known.link ? { link: cell.known.link } : {}),
      ...(cell.known.until ? { until: cell.known.until } : {}),
    };
  if (cell.failingSince) doc['failingSince'] = cell.failingSince;
  const diagnosis = diagnosisFor(summary, cell);
  if (diagnosis) doc['diagnosis'] = { verdict: diagnosis.verdict, findings: diagnosis.findings.map((f) => `[${f.kind}] ${f.text}`) };
  const changes = changesFor(summary, cell);
  if (changes.length) doc['baseline'] = changes.map((c) => `${c.kind}: ${c.text}`);
  doc['durationMs'] = cell.durationMs;
  return doc;
}

/** Block-style YAML with every string double-quoted: nothing a kernel prints can change its structure. */
export function yamlBlock(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    if (!value.length) return [`${indent}[]`];
    return value.flatMap((item) =>
      isScalar(item) || isEmpty(item) ? [`${indent}- ${scalar(item)}`] : [`${indent}-`, ...yamlBlock(item, `${indent}  `)],
    );
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (!entries.length) return [`${indent}{}`];
    return entries.flatMap(([k, v]) => {
      const key = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : yamlString(k);
      return isScalar(v) || isEmpty(v) ? [`${indent}${key}: ${scalar(v)}`] : [`${indent}${key}:`, ...yamlBlock(v, `${indent}  `)];
    });
  }
  return [`${indent}${scalar(value)}`];
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function isEmpty(v: unknown): boolean {
  return Array.isArray(v) ? v.length === 0 : v !== null && typeof v === 'object' && Object.keys(v).length === 0;
}

function scalar(v: unknown): string {
  if (Array.isArray(v)) return '[]';
  if (v !== null && typeof v === 'object') return '{}';
  if (typeof v === 'string') return yamlString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return 'null';
}

export const tapReporter: Reporter = { name: 'tap', fileName: 'results.tap', render: renderTap };
