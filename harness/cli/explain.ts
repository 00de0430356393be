// `wbdiff matrix --explain <cell>`: the evidence behind a cell's outcome, in plain text.
import { WbdiffError } from '../errors.js';
import type { SummaryCell } from '../matrix/cells.js';
import { diagnosisKey, type MatrixSummary } from '../matrix/summarize.js';
import type { ResultsStore } from '../matrix/store.js';
import { formatRun } from '../report/run-text.js';

export async function explainCell(cell: SummaryCell, summary: MatrixSummary, store: ResultsStore): Promise<string> {
  const lines: string[] = [];
  lines.push(`${cell.id}: ${cell.outcome}`);
  for (const f of cell.findings) {
    lines.push(`  ${f.kind}: ${f.summary}`);
    for (const e of f.evidence) lines.push(`    - ${e}`);
  }
  const full = await store.readCell(cell);
  if (!full)
    throw new WbdiffError(`the cell file of ${cell.id} is missing`, {
      where: store.dir,
      hint: `wbdiff matrix --resume ${store.dir} runs the cell again`,
    });
  lines.push('', 'run:', formatRun(full.run));
  lines.push(
    `  bytes: elf ${cell.provenance.elfHash.slice(0, 16)}${cell.provenance.sourceHash ? `, sources ${cell.provenance.sourceHash.slice(0, 16)}` : ''}${cell.provenance.variantHashes.length ? `, variant ${cell.provenance.variantHashes.map((h) => h.slice(0, 16)).join('+')}` : ''}`,
  );
  const subject = summary.subjects[cell.subject];
  if (subject?.sites?.length) {
    lines.push('', 'patched sites:');
    for (const s of subject.sites) lines.push(`  ${s.address} ${s.location.padEnd(22)} ${s.old.symbolic}  ->  ${s.new.symbolic}`);
  }
  const diagnosis = summary.diagnoses[diagnosisKey(cell.target, cell.variant, cell.cpu)];
  if (diagnosis) {
    lines.push('', `diagnosis (emulator trace of redirected calls): ${diagnosis.verdict}`);
    for (const f of diagnosis.findings) lines.push(`  [${f.kind}] ${f.text}`);
  }
  const serial = full.run.serial.split('\n');
  lines.push('', `serial (${full.run.serialBytes} bytes${serial.length > 40 ? `, last 40 of ${serial.length} lines` : ''}):`);
  for (const line of serial.slice(-40)) lines.push(`  | ${line}`);
  return `${lines.join('\n')}\n`;
}
