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
