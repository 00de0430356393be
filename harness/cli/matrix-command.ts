// `wbdiff matrix`: the differential matrix with progress, the table, and --explain. What it
// prints is made by harness/report/terminal.ts; this file reads options and runs.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writeRunReports } from '../report/index.js';
import { plural, progressLine, progressRecord, renderMatrixResult, terminalStyle, type ProgressState } from '../report/terminal.js';
import { EXIT, WbdiffError } from '../errors.js';
import type { CellResult } from '../matrix/cells.js';
import {
  CONFIG_FILE_NAMES,
  DEFAULT_CONFIG_PATH,
  findConfig,
  loadMatrixConfig,
  resultsRootFor,
  suiteConfig,
  type KernelEntry,
  type MatrixConfig,
} from '../matrix/config.js';
import { isInfrastructure } from '../runners/types.js';
import { loadBaseline } from '../matrix/find-baseline.js';
import { matrixKey } from '../baseline/key.js';
import { listKernels } from '../build/manifest.js';
import { checkExpectation } from '../compare/expect.js';
import { expectationOn } from '../matrix/plan.js';
import { planValidMatrix, unmatchedKnownEntries } from '../matrix/validate.js';
import { runMatrix, type MatrixRunInfo, type MatrixSummary } from '../matrix/run-matrix.js';
import { ResultsStore } from '../matrix/store.js';
import { RESULTS_DIR } from '../paths.js';
import { didYouMean } from '../util/suggest.js';
import { parseCommandArgs, parsePositiveInt } from './args.js';
import { watchInterrupts } from './interrupt.js';
import { explainCell } from './explain.js';

import { matrixExitCode } from '../matrix/summarize.js';

export async function matrixCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('matrix', argv, MATRIX_OPTIONS);
  if (values.explain) return explainCommand(values.explain, values.from);
  const out = values.json ? process.stderr : process.stdout;
  const style = terminalStyle(out, process.env);

  // Everything is read and checked before a results folder exists: a rejected run leaves nothing.
  const run = values.resume ? await resumedRun(values, positionals) : await newRun(values, positionals);
  const { config, repeat, shard } = run;
  const kernels = new Map((await listKernels()).map((k) => [k.name, k]));
  const plan = await planValidMatrix(config, kernels);
  const key = matrixKey(config);
  const root = run.dir ? dirname(run.dir) : resultsRootFor(config);
  const baseline =
    run.baseline === null
      ? null
      : await loadBaseline(run.baseline, { currentDir: run.dir ?? join(root, '(new)'), root, matrixKey: key, before: run.startedBefore });
  const store = new ResultsStore(run.dir ?? (await ResultsStore.claimRunDir(root)));

  const controller = new AbortController();
  // SIGINT, SIGTERM and SIGHUP alike: finished cells kept, summary written, exit 128 + signal.
  const interrupts = watchInterrupts((signal) => {
    process.stderr.write(`\nwbdiff: interrupted (${signal}); keeping finished cells (a second signal quits at once)\n`);
    controller.abort();
  });
  const tty = Boolean(out.isTTY);
  const progress: ProgressState = { done: 0, total: 0, failing: 0, infrastructure: 0, elapsedMs: 0, last: '' };
  const started = Date.now();
  // Filled from the plan runMatrix already made: no second read of the manifests.
  const subjects = new Map(plan.subjects.map((subject) => [subject.key, subject]));
  const failsExpectation = (cell: CellResult) => {
    const subject = subjects.get(cell.subject);
    const expect = subject ? expectationOn(subject, cell.cpu) : null;
    return expect != null && checkExpectation(cell.run, expect).length > 0;
  };
  let summary: MatrixSummary;
  try {
    summary = await runMatrix({
      config,
      store,
      plan,
      runId: basename(store.dir),
      resume: Boolean(values.resume),
      repeat,
      baseline: baseline ? { runId: baseline.runId, cells: baseline.summary.cells } : null,
      ...(shard ? { shard } : {}),
      signal: controller.signal,
      ...(values.concurrency ? { concurrency: parsePositiveInt(values.concurrency, '--concurrency')! } : {}),
      argv: ['wbdiff', 'matrix', ...argv],
      runOptions: { baseline: baseline?.dir ?? null, noBaseline: run.baseline === null, positionals },
      log: (line) => out.write(`${line}\n`),
      ...(config.diagnose === false ? {} : { diagnose: (await import('../diagnose/matrix.js')).diagnoseSubjects }),
      onPlan: (planned, todo) => {
        progress.total = todo;
        out.write(
          `wbdiff matrix: ${plural(planned.cells.length, 'cell')} (${todo} to run${repeat > 1 ? `, ${repeat} times each` : ''}) from ${plural(planned.subjects.length, 'build/variant', 'builds/variants')} -> ${store.dir}\n`,
        );
        out.write(`config: ${config.source}\n`);
        // With a kernel filter most entries match nothing on purpose.
        if (!positionals.length) for (const warning of unmatchedKnownEntries(config, plan)) out.write(`warning: ${warning}\n`);
        out.write(
          baseline
            ? `baseline: ${baseline.dir}\n`
            : `baseline: none (${run.baseline === null ? '--no-baseline' : 'no earlier complete run of this matrix'})\n`,
        );
        for (const s of config.skipped ?? []) out.write(`skipped: ${s.name}: ${s.reason}\n`);
      },
      onCell: (cell) => {
        progress.done += 1;
        progress.elapsedMs = Date.now() - started;
        progress.last = cell.id;
        // Known before the whole run is classified: infrastructure errors, and cells not doing
        // what their kernel must (a variant's other findings need its peers to be judged).
        if (isInfrastructure(cell.run.verdict)) progress.infrastructure += 1;
        else if (failsExpectation(cell)) progress.failing += 1;
        if (tty) out.write(`\r${progressLine(progress, style)}\x1b[K`);
        else out.write(progressRecord(progress, cell));
      },
    });
  } finally {
    interrupts.dispose();
    if (tty) out.write('\r\x1b[K');
  }

  // Reports of a finished run: a report failing is said, but the run's results stand.
  const reports = summary.interrupted
    ? []
    : await writeRunReports(store.dir).catch((error: Error) => {
        out.write(`wbdiff matrix: writing the reports failed: ${error.message}\n`);
        return [];
      });
  const html = reports.find((r) => r.path.endsWith('.html'))?.path;
  if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else out.write(renderMatrixResult(summary, style, { durationMs: Date.now() - started, dir: store.dir, report: html ?? null }));
  if (summary.interrupted) {
    out.write(`interrupted: resume with  wbdiff matrix --resume ${store.dir}\n`);
    return interrupts.exitCode();
  }
  return matrixExitCode(summary);
}

const MATRIX_OPTIONS = {
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
  suite: { type: 'string' },
  'max-smp': { type: 'string' },
  test: { type: 'string', multiple: true },
  deterministic: { type: 'boolean', default: false },
} as const;

type MatrixValues = ReturnType<typeof parseCommandArgs<typeof MATRIX_OPTIONS>>['values'];

interface RunSetup {
  config: MatrixConfig;
  repeat: number;
  shard: { index: number; count: number } | null;
  /** The results folder when it is given (--out, --resume); else one is claimed after the checks. */
  dir: string | null;
  /** --baseline's value; null: no baseline; undefined: the newest earlier run of this matrix. */
  baseline: string | null | undefined;
  startedBefore: string;
}

async function newRun(values: MatrixValues, positionals: string[]): Promise<RunSetup> {
  const path = values.config ? resolve(values.config) : values.suite ? null : findConfig(process.cwd());
  if (!path && !values.suite) {
    throw new WbdiffError(`no ${CONFIG_FILE_NAMES.join(', ')} in ${process.cwd()} or any folder above it`, {
      hint: `write one (see "The matrix" in README.md), or name it with --config; the bundled demo: --config ${DEFAULT_CONFIG_PATH}`,
    });
  }
  // --suite kvm-unit-tests:DIR is a matrix of its own, without a config file.
  let config = values.suite
    ? await suiteConfig(values.suite, { maxSmp: parsePositiveInt(values['max-smp'], '--max-smp'), tests: values.test })
    : await loadMatrixConfig(path!);
  if (positionals.length) {
    const entryNames = config.kernels.map((k) => k.kernel ?? k.name ?? k.elf!);
    const matches = (p: string, k: KernelEntry) => k.kernel === p || k.kernel?.split('@')[0] === p || k.name === p || k.elf === p;
    const unknown = positionals.filter((p) => !config.kernels.some((k) => matches(p, k)));
    if (unknown.length) {
      throw new WbdiffError(
        `no kernel entry of the config is ${unknown.map((u) => `"${u}"`).join(', ')}${didYouMean(unknown[0]!, entryNames)}`,
        { where: config.source, hint: `entries: ${entryNames.join(', ')}` },
      );
    }
    config = { ...config, kernels: config.kernels.filter((k) => positionals.some((p) => matches(p, k))) };
  }
  if (values['no-diagnose']) config = { ...config, diagnose: false };
  // Laid under each entry's own machine, as config.machine is: an entry may still say deterministic: false.
  if (values.deterministic) config = { ...config, machine: { ...config.machine, deterministic: true } };
  return {
    config,
    repeat: parsePositiveInt(values.repeat, '--repeat') ?? 1,
    shard: values.shard ? parseShard(values.shard) : null,
    dir: values.out ? resolve(values.out) : null,
    baseline: values['no-baseline'] ? null : values.baseline,
    startedBefore: new Date().toISOString(),
  };
}

/** --resume: the run's own config and options, as run.json recorded them; changing them is refused. */
async function resumedRun(values: MatrixValues, positionals: string[]): Promise<RunSetup> {
  const given = [
    'config',
    'out',
    'shard',
    'repeat',
    'baseline',
    'no-baseline',
    'no-diagnose',
    'suite',
    'max-smp',
    'test',
    'deterministic',
  ].filter((k) => values[k as keyof MatrixValues] !== undefined && values[k as keyof MatrixValues] !== false);
  if (given.length || positionals.length) {
    throw new WbdiffError(
      `--resume keeps every option of the run it resumes; drop ${[...given.map((g) => `--${g}`), ...positionals].join(', ')}`,
      { hint: `wbdiff matrix --resume ${values.resume}` },
    );
  }
  const dir = resolve(values.resume!);
  const info = (await new ResultsStore(dir).readRunInfo()) as Partial<MatrixRunInfo>;
  if (!info.config) throw new WbdiffError('run.json records no config: not a wbdiff matrix run', { where: dir });
  const options = info.options ?? {};
  const baselineDir = typeof options['baseline'] === 'string' ? options['baseline'] : null;
  return {
    config: info.config,
    repeat: info.repeat ?? 1,
    shard: info.shard ?? null,
    dir,
    // The baseline the run chose when it started (none stays none).
    baseline: options['noBaseline'] === true ? null : (baselineDir ?? undefined),
    startedBefore: info.startedAt ?? new Date().toISOString(),
  };
}

function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new WbdiffError(`--shard takes i/n with 1 <= i <= n, not "${text}"`, { hint: 'e.g. --shard 2/3' });
  return { index: index - 1, count };
}

async function explainCommand(query: string, from: string | undefined): Promise<number> {
  const dir = from ? resolve(from) : await latestRun();
  const summary = await new ResultsStore(dir).readSummary();
  const matches = summary.cells.filter((c) => c.id === query || c.id.includes(query));
  if (matches.length !== 1) {
    throw new WbdiffError(matches.length ? `"${query}" matches ${matches.length} cells` : `no cell matches "${query}" in ${dir}`, {
      hint: `cells: ${(matches.length ? matches : summary.cells)
        .slice(0, 12)
        .map((c) => c.id)
        .join(', ')}`,
    });
  }
  process.stdout.write(await explainCell(matches[0]!, summary, new ResultsStore(dir)));
  return EXIT.ok;
}

export async function latestRun(root = defaultResultsRoot()): Promise<string> {
  const runs = existsSync(root) ? (await readdir(root)).filter((n) => existsSync(join(root, n, 'summary.json'))).sort() : [];
  if (!runs.length)
    throw new WbdiffError('no finished matrix run in results/', { hint: 'run wbdiff matrix first, or pass --from <results-dir>' });
  return join(root, runs[runs.length - 1]!);
}

/** Where `--explain` looks without --from: next to the config found from here, else results/. */
function defaultResultsRoot(): string {
  const path = findConfig(process.cwd());
  return path ? resultsRootFor({ baseDir: dirname(path) }) : RESULTS_DIR;
}
