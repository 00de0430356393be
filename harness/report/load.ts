// Reads a results folder into the report model: summary.json (required), the per-cell files,
// run.json, and the summaries of the runs kept beside it (for the trend). The only I/O of reports
// besides writing them (index.ts).
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WbdiffError } from '../errors.js';
import type { CellResult } from '../matrix/cells.js';
import { ResultsStore } from '../matrix/store.js';
import { dayOfRunId, type ReportModel, type ReportSummary, type RunInfo } from './model.js';
import { trendRuns, trendRunOf, type TrendRun } from './trend.js';

export async function loadReportModel(dir: string): Promise<ReportModel> {
  const root = resolve(dir);
  const summaryPath = join(root, 'summary.json');
  if (!existsSync(summaryPath)) {
    throw new WbdiffError(existsSync(root) ? 'no summary.json here: not a finished wbdiff matrix run' : 'no such folder', {
      where: root,
      hint: 'give the folder of a matrix run, e.g. results/<run-id>; an interrupted run gets its summary.json from wbdiff matrix --resume',
    });
  }
  // Every file through the results store: its version and schema checked, a bad one named.
  const store = new ResultsStore(root);
  const summary: ReportSummary = await store.readSummary();
  const cells = new Map<string, CellResult>();
  for (const cell of summary.cells) {
    const full = await store.readCell(cell);
    if (full) cells.set(cell.id, full);
  }
  const runInfo: RunInfo | null = existsSync(join(root, 'run.json')) ? await store.readRunInfo() : null;
  return { summary, cells, runInfo, trend: await loadTrend(root, summary, runInfo) };
}

/** The current run and every finished, whole run of the same matrix whose folder is named like a run id beside it. */
async function loadTrend(root: string, current: ReportSummary, runInfo: RunInfo | null): Promise<ReportModel['trend']> {
  const runs: TrendRun[] = [];
  const currentDay =
    dayOfRunId(current.runId) ??
    dayOfRunId(basename(root)) ??
    runInfo?.startedAt?.slice(0, 10) ??
    dayOfDate(statSync(join(root, 'summary.json')).mtime);
  const mine = trendRunOf(current, currentDay);
  if (mine) runs.push(mine);
  const parent = dirname(root);
  for (const name of existsSync(parent) ? await readdir(parent) : []) {
    const day = dayOfRunId(name);
    const dir = join(parent, name);
    if (!day || dir === root) continue;
    // A sibling folder this wbdiff cannot read as a run (corrupt, another result format) is left out of the trend.
    const summary: ReportSummary | undefined = (await new ResultsStore(dir).peekRun())?.summary;
    if (!summary || summary.runId === current.runId) continue;
    if (current.matrixKey && summary.matrixKey && summary.matrixKey !== current.matrixKey) continue;
    const run = trendRunOf({ ...summary, runId: summary.runId ?? name }, day);
    if (run) runs.push(run);
  }
  return trendRuns(runs);
}

function dayOfDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
