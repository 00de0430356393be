// The reporters and the one place that writes them. Each reporter renders the same model to a
// string; a reporter that throws is isolated: the others are still written, and its error is
// returned for the caller to report (as Playwright's multiplexer does).
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { htmlReporter } from './html.js';
import { junitReporter } from './junit.js';
import { loadReportModel } from './load.js';
import type { ReportModel, Reporter } from './model.js';
import { tapReporter } from './tap.js';

export const REPORTERS: readonly Reporter[] = [junitReporter, tapReporter, htmlReporter];

export interface WrittenReport {
  reporter: string;
  path: string;
  error?: unknown;
}

export async function writeReports(
  model: ReportModel,
  outDir: string,
  reporters: readonly Reporter[] = REPORTERS,
): Promise<WrittenReport[]> {
  const written: WrittenReport[] = [];
  for (const reporter of reporters) {
    const path = join(resolve(outDir), reporter.fileName);
    try {
      await writeFileAtomic(path, reporter.render(model));
      written.push({ reporter: reporter.name, path });
    } catch (error) {
      written.push({ reporter: reporter.name, path, error });
    }
  }
  return written;
}

/** Reports of a results folder, written into it (or outDir): what `wbdiff report` and the matrix call. */
export async function writeRunReports(resultsDir: string, outDir: string = resultsDir): Promise<WrittenReport[]> {
  return writeReports(await loadReportModel(resultsDir), outDir);
}

export { loadReportModel } from './load.js';
export type { ReportModel, Reporter } from './model.js';
