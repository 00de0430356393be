// `wbdiff report <results-dir> [--out dir]`: junit.xml, results.tap and index.html of a matrix
// run, written next to its summary.json (or into --out); prints their paths.
import { resolve } from 'node:path';
import { EXIT, formatError, WbdiffError } from '../errors.js';
import { writeRunReports } from '../report/index.js';
import { parseCommandArgs } from './args.js';

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('report', argv, { out: { type: 'string' } });
  if (positionals.length !== 1) {
    throw new WbdiffError(positionals.length ? `one results folder, not ${positionals.length}` : 'which results folder?', {
      where: 'wbdiff report',
      hint: 'wbdiff report results/<run-id> [--out dir]',
    });
  }
  const dir = resolve(positionals[0]!);
  const written = await writeRunReports(dir, values.out ? resolve(values.out) : dir);
  let failed = 0;
  for (const w of written) {
    if (w.error === undefined) process.stdout.write(`${w.path}\n`);
    else {
      failed += 1;
      process.stderr.write(`wbdiff report: the ${w.reporter} reporter failed (${w.path} not written): ${formatError(w.error)}\n`);
    }
  }
  return failed ? EXIT.harness : EXIT.ok;
}
