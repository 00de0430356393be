// Reads a results folder into the report model: summary.json (required), the per-cell files,
// run.json, and the summaries of the runs kept beside it (for the trend). The only I/O of reports
// besides writing them (index.ts).
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WbdiffError } from '../errors.js';
import { readJsonOrNull } from '../util/json-file.js';
import { cellFileName, type CellResult } from '../matrix/cells.js';
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
  const summary = await readJsonOrNull<ReportSummary>(summaryPath);
  if (!summary || !Array.isArray(summary.cells))
    throw new WbdiffError('summary.json has no cells: not a wbdiff matrix summary', { where: summaryPath });
  const cells = new Map<string, CellResult>();
  for (const cell of summary.cells) {
    const full = await readJsonOrNull<CellResult>(join(root, 'cells', cellFileName(cell)));
    if (full?.run) cells.set(cell.id, full);
  }
  const runInfo = await readJsonOrNull<RunInfo>(join(root, 'run.json'));
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
    const summary = await readJsonOrNull<ReportSummary>(join(dir, 'summary.json'));
    if (!summary || !Array.isArray(summary.cells) || summary.runId === current.runId) continue;
    if (current.matrixKey && summary.matrixKey && summary.matrixKey !== current.matrixKey) continue;
    const run = trendRunOf({ ...summary, runId: summary.runId ?? name }, day);
    if (run) runs.push(run);
  }
  return trendRuns(runs);
}

function dayOfDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
