// `wbdiff matrix`: the differential matrix with progress, the table, and --explain.
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OUTCOME_LABEL, OUTCOME_ORDER } from '../report/outcomes.js';
import { writeRunReports } from '../report/index.js';
import { EXIT, WbdiffError } from '../errors.js';
import type { CellResult, SummaryCell } from '../matrix/cells.js';
import { DEFAULT_CONFIG_PATH, loadMatrixConfig, type MatrixConfig } from '../matrix/config.js';
import { loadBaseline } from '../baseline/load.js';
import type { KernelExpectation } from '../build/manifest.js';
import { checkExpectation } from '../compare/expect.js';

import { runMatrix, type MatrixSummary } from '../matrix/run-matrix.js';
import { ResultsStore } from '../matrix/store.js';
import { RESULTS_DIR } from '../paths.js';
import { parseCommandArgs, parsePositiveInt } from './args.js';
import { formatMarkers, table } from './format.js';
import { watchInterrupts } from './interrupt.js';
import { explainCell } from './explain.js';


export async function matrixCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('matrix', argv, {
    config: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    json: { type: 'boolean', default: false },
    explain: { type: 'string' },
    from: { type: 'string' },
    concurrency: { type: 'string' },
    shard: { type: 'string' },
    repeat: { type: 'string' },
    baseline: { type: 'string' },
    'no-baseline': { type: 'boolean', default: false },
    'no-diagnose': { type: 'boolean', default: false },
  });
  if (values.explain) return explainCommand(values.explain, values.from);

  const store = new ResultsStore(resolve(values.resume ?? values.out ?? (await claimRunDir(RESULTS_DIR))));
  let config: MatrixConfig;
  if (values.resume) {
    const info = await store.readRunInfo<{ config: MatrixConfig }>();
    config = info.config;
  } else {
    config = await loadMatrixConfig(values.config ? resolve(values.config) : DEFAULT_CONFIG_PATH);
  }
  if (positionals.length) config = { ...config, kernels: config.kernels.filter((k) => positionals.some((p) => k.kernel === p || k.kernel?.split('@')[0] === p || k.name === p)) };
  if (config.kernels.length === 0) throw new WbdiffError(`no kernel of the config matches ${positionals.join(', ')}`, { hint: 'name kernels as written in the config' });
  if (values['no-diagnose']) config = { ...config, diagnose: false };

  const baseline = values['no-baseline'] ? null : await loadBaseline(values.baseline, store.dir);
  const repeat = parsePositiveInt(values.repeat, '--repeat') ?? 1;

  const controller = new AbortController();
  // SIGINT, SIGTERM and SIGHUP alike: finished cells kept, summary written, exit 128 + signal.
  const interrupts = watchInterrupts((signal) => {
    process.stderr.write(`\nwbdiff: interrupted (${signal}); keeping finished cells (a second signal quits at once)\n`);
    controller.abort();
  });
  const out = values.json ? process.stderr : process.stdout;
  const tty = Boolean(out.isTTY);
  let total = 0;
  let done = 0;
  let failing = 0;
  let infra = 0;
  // Filled from the plan runMatrix already made: no second read of the manifests.
  let expectations = new Map<string, KernelExpectation | null>();
  const failsManifest = (cell: CellResult) => {
    const expect = expectations.get(cell.subject);
    return expect != null && checkExpectation(cell.run, expect).length > 0;
  };
  let summary: MatrixSummary;
  try {
    summary = await runMatrix({
      config,
      store,
      runId: store.dir.split('/').pop()!,
      resume: Boolean(values.resume),
      repeat,
      baseline: baseline ? { runId: baseline.runId, cells: baseline.summary.cells } : null,
      ...(values.shard ? { shard: parseShard(values.shard) } : {}),
      signal: controller.signal,
      ...(values.concurrency ? { concurrency: parsePositiveInt(values.concurrency, '--concurrency')! } : {}),
      argv: ['wbdiff', 'matrix', ...argv],
      log: (line) => out.write(`${line}\n`),
      ...(config.diagnose === false ? {} : { diagnose: (await import('../diagnose/matrix.js')).diagnoseSubjects }),
      onPlan: (plan, todo) => {
        expectations = new Map(plan.subjects.map((subject) => [subject.key, subject.expect]));
        total = todo;
        out.write(`wbdiff matrix: ${plan.cells.length} cells (${todo} to run${repeat > 1 ? `, ${repeat} times each` : ''}) from ${plan.subjects.length} builds/variants -> ${store.dir}\n`);
        out.write(baseline ? `baseline: ${baseline.dir}\n` : 'baseline: none (first run, or --no-baseline)\n');
      },
      onCell: (cell) => {
        done += 1;
        // Known before the whole run is classified: infrastructure errors, and unpatched kernels
        // not doing what their manifests expect (variant cells need their peers to be judged).
        if (cell.run.verdict === 'error') infra += 1;
        else if (cell.variant === null && failsManifest(cell)) failing += 1;
        const so = [failing ? `${failing} failing` : '', infra ? `${infra} infrastructure` : ''].filter(Boolean).join(', ');
        if (tty) out.write(`\r[${done}/${total}]${so ? ` (${so})` : ''} ${cell.id}`.padEnd(100).slice(0, 100));
        else out.write(`[${done}/${total}] ${cell.id}: ${cell.run.verdict} ${formatMarkers(cell.run.markers)}\n`);
      },
    });
  } finally {
    interrupts.dispose();
    if (tty) out.write('\r'.padEnd(101) + '\r');
  }

  // Reports of a finished run: a report failing is said, but the run's results stand.
  const reports = summary.interrupted ? [] : await writeRunReports(store.dir).catch((error: Error) => {
    out.write(`wbdiff matrix: writing the reports failed: ${error.message}\n`);
    return [];
  });
  const html = reports.find((r) => r.path.endsWith('.html'))?.path;
  if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else out.write(`\n${renderTable(summary.cells)}\n\n${renderBaseline(summary)}${renderCounts(summary)}\nresults: ${store.dir}\n${html ? `report: ${html}\n` : ''}`);
  if (summary.interrupted) {
    out.write(`interrupted: resume with  wbdiff matrix --resume ${store.dir}\n`);
    return interrupts.exitCode();
  }
  return matrixExitCode(summary);
}

/**
 * 2: infrastructure errors (they never count as test failures); 1: regressions against the
 * baseline, or, with no baseline, unpatched kernels not doing what their manifests expect; else 0.
 */
export function matrixExitCode(summary: MatrixSummary): number {
  if ((summary.counts['infrastructure'] ?? 0) > 0) return EXIT.harness;
  if (summary.baseline) return (summary.baseline.counts.regression ?? 0) > 0 ? EXIT.failed : EXIT.ok;
  return (summary.counts['unexpected'] ?? 0) > 0 ? EXIT.failed : EXIT.ok;
}

function renderBaseline(summary: MatrixSummary): string {
  if (!summary.baseline) return '';
  const { changes, runId } = summary.baseline;
  if (!changes.length) return `against baseline ${runId}: no changes\n`;
  return `against baseline ${runId}:\n${changes.map((c) => `  ${c.kind.toUpperCase().padEnd(17)} ${c.cell}: ${c.text}`).join('\n')}\n\n`;
}

export function newRunId(date = new Date()): string {
  return date.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
}

/** A new results folder named by the time, claimed atomically (two runs in one second get -2, -3...). */
export async function claimRunDir(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  const base = join(root, newRunId());
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    try {
      await mkdir(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new WbdiffError(`--shard takes i/n with 1 <= i <= n, not "${text}"`, { hint: 'e.g. --shard 2/3' });
  return { index: index - 1, count };
}

/** Rows: build + variant; columns: runner (and CPU when several). */
export function renderTable(cells: readonly SummaryCell[]): string {
  const cpus = new Set(cells.map((c) => c.cpu));
  const column = (c: SummaryCell) => (cpus.size > 1 ? `${c.runner}/${c.cpu}` : c.runner);
  const columns = [...new Set(cells.map(column))];
  const rows = new Map<string, Map<string, SummaryCell>>();
  for (const c of cells) {
    const row = `${c.target}${c.variant ? ` + ${c.variant}` : ''}`;
    if (!rows.has(row)) rows.set(row, new Map());
    rows.get(row)!.set(column(c), c);
  }
  const body = [...rows].map(([row, byColumn]) => [
    row,
    ...columns.map((col) => {
      const c = byColumn.get(col);
      if (!c) return '';
      const what = c.verdict === 'completed' ? formatMarkers(c.markers) : `${c.verdict}${Object.keys(c.markers).length ? ` ${formatMarkers(c.markers)}` : ''}`;
      return `${OUTCOME_LABEL[c.outcome]}: ${what}`;
    }),
  ]);
  return table(['kernel + variant', ...columns], body);
}

function renderCounts(summary: MatrixSummary): string {
  const parts = OUTCOME_ORDER.filter((o) => summary.counts[o]).map((o) => `${summary.counts[o]} ${OUTCOME_LABEL[o]}`);
  return `${summary.counts.cells} cells: ${parts.join(', ')}`;
}

async function explainCommand(query: string, from: string | undefined): Promise<number> {
  const dir = from ? resolve(from) : await latestRun();
  const summary = await new ResultsStore(dir).readSummary();
  const matches = summary.cells.filter((c) => c.id === query || c.id.includes(query));
  if (matches.length !== 1) {
    throw new WbdiffError(matches.length ? `"${query}" matches ${matches.length} cells` : `no cell matches "${query}" in ${dir}`, {
      hint: `cells: ${(matches.length ? matches : summary.cells).slice(0, 12).map((c) => c.id).join(', ')}`,
    });
  }
  process.stdout.write(await explainCell(matches[0]!, summary, new ResultsStore(dir)));
  return EXIT.ok;
}

export async function latestRun(root = RESULTS_DIR): Promise<string> {
  const runs = existsSync(root) ? (await readdir(root)).filter((n) => existsSync(join(root, n, 'summary.json'))).sort() : [];
  if (!runs.length) throw new WbdiffError('no finished matrix run in results/', { hint: 'run wbdiff matrix first, or pass --from <results-dir>' });
  return join(root, runs[runs.length - 1]!);
}
