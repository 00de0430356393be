// junit.xml in the common JUnit schema that Jenkins and GitLab read: one <testsuite> per build +
// variant, one <testcase> per cell x marker ("T2 [qemu/cortex-a57]") and one per cell for its
// verdict. A failing cell fails with its findings and diagnosis; an infrastructure error is an
// <error>, never a <failure>; a known failure (config "known") and SKIP/TODO markers are
// <skipped>, so the failure count agrees with the exit code. Pure.
import type { SummaryCell } from '../matrix/cells.js';
import { escapeXmlAttr, escapeXmlText } from './escape.js';
import {
  explainLines,
  headline,
  isExpected,
  knownText,
  markerChecks,
  placeName,
  serialTail,
  suiteName,
  type ReportModel,
  type Reporter,
} from './model.js';

interface Case {
  name: string;
  classname: string;
  seconds: number;
  result: { kind: 'pass' } | { kind: 'failure' | 'error' | 'skipped'; message: string; type?: string; body?: string };
  systemOut?: string;
}

const SERIAL_LIMITS = { maxLines: 200, maxChars: 32 * 1024 };

export function renderJunit(model: ReportModel): string {
  const { summary } = model;
  const suites = new Map<string, SummaryCell[]>();
  for (const cell of summary.cells) {
    const name = suiteName(cell);
    if (!suites.has(name)) suites.set(name, []);
    suites.get(name)!.push(cell);
  }
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0, seconds: 0 };
  const body: string[] = [];
  for (const [name, cells] of suites) {
    const cases = cells.flatMap((cell) => casesOf(model, cell));
    const count = (kind: string) => cases.filter((c) => c.result.kind === kind).length;
    const seconds = cells.reduce((s, c) => s + c.durationMs / 1000, 0);
    const stats = { tests: cases.length, failures: count('failure'), errors: count('error'), skipped: count('skipped') };
    totals.tests += stats.tests;
    totals.failures += stats.failures;
    totals.errors += stats.errors;
    totals.skipped += stats.skipped;
    totals.seconds += seconds;
    body.push(
      `  <testsuite ${attrs({ name, tests: stats.tests, failures: stats.failures, errors: stats.errors, skipped: stats.skipped, time: seconds.toFixed(3), ...timestamp(model) })}>`,
    );
    const first = cells[0]!;
    body.push('    <properties>');
    body.push(`      <property ${attrs({ name: 'subject', value: first.subject })}/>`);
    if (first.provenance.elfHash) body.push(`      <property ${attrs({ name: 'elfHash', value: first.provenance.elfHash })}/>`);
    if (first.provenance.toolchain) body.push(`      <property ${attrs({ name: 'toolchain', value: first.provenance.toolchain })}/>`);
    body.push('    </properties>');
    for (const c of cases) body.push(...renderCase(c));
    body.push('  </testsuite>');
  }
  const head = `<testsuites ${attrs({ name: `wbdiff matrix ${summary.runId}`, tests: totals.tests, failures: totals.failures, errors: totals.errors, skipped: totals.skipped, time: totals.seconds.toFixed(3) })}>`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', head, ...body, '</testsuites>', ''].join('\n');
}

function casesOf(model: ReportModel, cell: SummaryCell): Case[] {
  const { summary } = model;
  const classname = suiteName(cell);
  const place = placeName(cell);
  const explanation = explainLines(summary, cell).join('\n');
  const cases: Case[] = markerChecks(summary.cells, cell).map(
    (m): Case => ({
      name: `${m.id} [${place}]`,
      classname,
      seconds: 0,
      result:
        m.status === 'pass'
          ? { kind: 'pass' }
          : m.status === 'skip'
            ? { kind: 'skipped', message: m.message }
            : { kind: 'failure', message: m.message, type: cell.outcome, body: `${m.id}=${m.value}\n${explanation}` },
    }),
  );
  const verdict: Case = { name: `verdict [${place}]`, classname, seconds: cell.durationMs / 1000, result: { kind: 'pass' } };
  if (cell.outcome === 'infrastructure')
    verdict.result = { kind: 'error', message: headline(cell), type: 'infrastructure', body: explanation };
  else if (cell.outcome === 'known')
    verdict.result = { kind: 'skipped', message: `${knownText(cell)}: ${headline({ ...cell, outcome: cell.known?.outcome ?? 'known' })}` };
  else if (!isExpected(cell)) verdict.result = { kind: 'failure', message: headline(cell), type: cell.outcome, body: explanation };
  if (verdict.result.kind !== 'pass') {
    const serial = model.cells.get(cell.id)?.run;
    if (serial) {
      const tail = serialTail(serial.serial, SERIAL_LIMITS);
      verdict.systemOut = `serial output of ${cell.id} (${serial.serialBytes} bytes${tail.omittedLines ? `; last ${SERIAL_LIMITS.maxLines} lines` : ''}${tail.truncated && !tail.omittedLines ? '; cut' : ''}):\n${tail.text}\n`;
    }
  }
  cases.push(verdict);
  return cases;
}

function renderCase(c: Case): string[] {
  const open = `    <testcase ${attrs({ name: c.name, classname: c.classname, time: c.seconds.toFixed(3) })}`;
  if (c.result.kind === 'pass' && !c.systemOut) return [`${open}/>`];
  const lines = [`${open}>`];
  const r = c.result;
  if (r.kind === 'skipped') lines.push(`      <skipped ${attrs({ message: r.message })}/>`);
  else if (r.kind === 'failure' || r.kind === 'error') {
    lines.push(`      <${r.kind} ${attrs({ message: r.message, type: r.type ?? r.kind })}>${escapeXmlText(r.body ?? '')}</${r.kind}>`);
  }
  if (c.systemOut) lines.push(`      <system-out>${escapeXmlText(c.systemOut)}</system-out>`);
  lines.push('    </testcase>');
  return lines;
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${escapeXmlAttr(String(v))}"`)
    .join(' ');
}

/** The run's start as xs:dateTime without a zone, the form the Jenkins schema accepts. */
function timestamp(model: ReportModel): { timestamp?: string } {
  const at = model.runInfo?.startedAt;
  const m = at ? /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})/.exec(at) : null;
  return m ? { timestamp: m[1]! } : {};
}

export const junitReporter: Reporter = { name: 'junit', fileName: 'junit.xml', render: renderJunit };
