// The default matrix: every bundled kernel (every toolchain) on every runner, a table, results/.
import { join } from 'node:path';
import { buildTargets, listKernels, resolveTargets } from '../build/manifest.js';
import { resolveSubjects, type Subject } from '../build/subjects.js';
import { checkExpectation } from '../compare/expect.js';
import { EXIT } from '../errors.js';
import { cellFileName, cellId, RESULT_FORMAT_VERSION, type CellResult } from '../matrix/cells.js';
import { RESULTS_DIR } from '../paths.js';
import { parseRunnerList } from '../runners/index.js';
import { DEFAULTS } from '../runners/types.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { parseCommandArgs } from './args.js';
import { formatMarkers, table } from './format.js';
import { runSubject } from './run-command.js';

export async function matrixCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('matrix', argv, {
    runner: { type: 'string', multiple: true },
    cpu: { type: 'string', default: DEFAULTS.cpu },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const runners = parseRunnerList(values.runner ?? []);
  const targets = positionals.length ? (await Promise.all(positionals.map((p) => resolveTargets(p)))).flat() : (await listKernels()).flatMap(buildTargets);
  const runId = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = values.out ?? join(RESULTS_DIR, runId);
  const log = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

  const cells: CellResult[] = [];
  const infraErrors: { target: string; error: string }[] = [];
  for (const target of targets) {
    let subject: Subject;
    try {
      [subject] = (await resolveSubjects(target.id)) as [Subject];
    } catch (error) {
      // A build failure is an infrastructure error: recorded apart, never a kernel failure.
      infraErrors.push({ target: target.id, error: (error as Error).message });
      log(`${target.id}: build failed: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const { runs } = await runSubject(subject, runners, values.cpu!);
    for (const run of runs) {
      const key = { target: subject.id, variant: null, runner: run.runner, cpu: values.cpu! };
      const mismatches = checkExpectation(run, target.kernel.manifest.expect);
      const cell: CellResult = { ...key, id: cellId(key), elfHash: subject.elfHash, expected: mismatches.length === 0 && run.verdict !== 'error', mismatches, run };
      cells.push(cell);
      await writeJsonAtomic(join(outDir, 'cells', cellFileName(key)), { version: RESULT_FORMAT_VERSION, ...cell });
      log(`${cell.id}: ${run.verdict} ${formatMarkers(run.markers)}${cell.expected ? '' : '  (NOT as expected)'}`);
    }
  }

  const summary = {
    version: RESULT_FORMAT_VERSION,
    runId,
    cpu: values.cpu,
    runners,
    counts: {
      cells: cells.length,
      expected: cells.filter((c) => c.expected).length,
      unexpected: cells.filter((c) => !c.expected && c.run.verdict !== 'error').length,
      infrastructure: cells.filter((c) => c.run.verdict === 'error').length + infraErrors.length,
    },
    infraErrors,
    cells: cells.map(({ run, ...rest }) => ({ ...rest, verdict: run.verdict, markers: run.markers, done: run.done, durationMs: run.durationMs })),
  };
  await writeJsonAtomic(join(outDir, 'summary.json'), summary);

  const byTarget = new Map<string, CellResult[]>();
  for (const c of cells) byTarget.set(c.target, [...(byTarget.get(c.target) ?? []), c]);
  const rows = [...byTarget].map(([target, list]) => [
    target,
    ...runners.map((r) => {
      const c = list.find((x) => x.runner === r);
      return c ? `${c.expected ? 'ok' : 'FAIL'} ${c.run.verdict} ${formatMarkers(c.run.markers)}` : '-';
    }),
  ]);
  if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    log('');
    log(table(['kernel', ...runners], rows));
    log('');
    log(`${summary.counts.expected}/${summary.counts.cells} cells as expected, ${summary.counts.unexpected} not, ${summary.counts.infrastructure} infrastructure errors`);
    log(`results: ${outDir}`);
  }
  if (summary.counts.infrastructure > 0) return EXIT.harness;
  return summary.counts.unexpected > 0 ? EXIT.failed : EXIT.ok;
}
