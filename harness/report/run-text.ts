// Plain-text rendering of single runs and tables for the terminal (run, explain, bisect, parity, patch). Pure.
import type { RunResult } from '../runners/types.js';
import { formatMarkers } from './model.js';

export function formatRun(run: RunResult): string {
  const lines = [
    `  ${run.runner.padEnd(5)} ${run.verdict.padEnd(9)} ${formatMarkers(run.markers)}${run.done ? ' DONE' : ''}${run.exitStatus != null ? ` status=${run.exitStatus}` : ''}  (${run.durationMs} ms; ${run.reason})`,
  ];
  if (run.fault) {
    const f = run.fault;
    lines.push(
      `        fault: ${f.kind}${f.access ? ` (${f.access})` : ''} at pc ${f.pc ?? '?'} [${f.pcSymbol ?? '?'}]${f.address ? `, address ${f.address}${f.addressSymbol && f.addressSymbol !== f.address ? ` [${f.addressSymbol}]` : ''}` : ''}${f.esr ? `, ESR ${f.esr}` : ''}`,
    );
  }
  for (const c of run.conflicts)
    lines.push(`        conflict: ${c.id} printed as ${c.values.join(' then ')} (lines ${c.lines.join(', ')})`);
  return lines.join('\n');
}

/** A fixed-width table: header row plus rows, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One subject's runs as `wbdiff run` shows them: what the command worked out, ready to print. */
export interface SubjectRunsView {
  target: string;
  variant: string | null;
  elf: string;
  runs: {
    run: RunResult;
    /** Stores the machine's flash dropped (a layout bug), in words, when the runner saw any. */
    layout: { text: string; lines: string[] } | null;
    /** How the run is not what its kernel must do, in words; null when it is (or it is infrastructure). */
    notAsExpected: string | null;
  }[];
  agree: boolean;
  /** The matrix's verdict on a variant and its runs, already rendered; '' without a variant. */
  verdict: string;
}

export function renderSubjectRuns(view: SubjectRunsView): string {
  const lines = [`${view.target}${view.variant ? ` + ${view.variant}` : ''}  (${view.elf})`];
  for (const { run, layout } of view.runs) {
    lines.push(formatRun(run));
    if (layout) lines.push(`  ${run.runner}: ${layout.text}`, ...layout.lines.map((line) => `    ${line}`));
  }
  for (const { run, notAsExpected } of view.runs) if (notAsExpected) lines.push(`  ${run.runner}: not as expected: ${notAsExpected}`);
  if (view.runs.length > 1) lines.push(`  runners ${view.agree ? 'agree' : 'DISAGREE'}`);
  return `${lines.join('\n')}\n${view.verdict}`;
}
