import { resolveRunTargets } from '../build/run-target.js';
import type { Subject } from '../build/subjects.js';
import { checkExpectation, DEFAULT_EXPECTATION, formatMismatch, runsAgree } from '../compare/expect.js';
import type { KernelExpectation } from '../build/manifest.js';
import { EXIT } from '../errors.js';
import { boardRunner, createRunner, parseRunnerList, replayRunner } from '../runners/index.js';
import { loadBoardFile } from '../runners/board-config.js';
import { DEFAULTS, isInfrastructure, runSpecFor, type Runner, type RunResult } from '../runners/types.js';
import { parseCommandArgs, parsePositiveInt } from './args.js';
import { MACHINE_FLAGS, machineOverrides } from './machine-flags.js';
import { renderSubjectRuns } from '../report/run-text.js';
import { readElf } from '../elf/read-elf.js';
import { droppedStoresFinding, type DroppedWritesDetail } from '../machine/layout.js';
import { layoutWarnings } from '../machine/layout-check.js';
import { classifyVariantRuns, renderVariantVerdict, variantFails } from './run-explain.js';
import type { MatrixSummary } from '../matrix/summarize.js';

export interface SubjectRuns {
  target: string;
  variant: string | null;
  elf: string;
  elfHash: string;
  runs: RunResult[];
  agree: boolean;
}

export async function runSubject(
  subject: Subject,
  runners: readonly (string | Runner)[],
  cpu: string,
  timeoutMs?: number,
): Promise<SubjectRuns> {
  const runs: RunResult[] = [];
  for (const runner of runners) {
    const run = await (typeof runner === 'string' ? createRunner(runner) : runner).run(
      runSpecFor(subject.elfPath, cpu, subject, timeoutMs),
    );
    runs.push(run);
  }
  return { target: subject.id, variant: null, elf: subject.elfPath, elfHash: subject.elfHash, runs, agree: runsAgree(runs) };
}

/** For --json: the matrix's outcome and findings of a variant's run. */
function classificationOf(summary: MatrixSummary | undefined, run: RunResult): { outcome?: string; findings?: unknown[] } {
  const cell = summary?.cells.find((c) => c.variant !== null && c.runner === run.runner);
  return cell ? { outcome: cell.outcome, findings: cell.findings } : {};
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', argv, {
    runner: { type: 'string', multiple: true },
    cpu: { type: 'string', default: DEFAULTS.cpu },
    timeout: { type: 'string' },
    json: { type: 'boolean', default: false },
    variant: { type: 'string', multiple: true },
    board: { type: 'string', multiple: true },
    replay: { type: 'string', multiple: true },
    explain: { type: 'boolean', default: false },
    'no-diagnose': { type: 'boolean', default: false },
    ...MACHINE_FLAGS,
  });
  if (positionals.length !== 1) {
    process.stderr.write('wbdiff run: name one kernel or ELF path\n  hint: wbdiff run hello, or wbdiff run path/to/kernel.elf\n');
    return EXIT.harness;
  }
  // Boards and captured logs join the local runners (or replace them when no --runner is given).
  const extra: Runner[] = [
    ...(await Promise.all((values.board ?? []).map(async (file) => boardRunner(await loadBoardFile(file))))),
    ...(values.replay ?? []).map((log) => replayRunner(log)),
  ];
  const runners: (string | Runner)[] = [...(extra.length && !values.runner ? [] : parseRunnerList(values.runner ?? [])), ...extra];
  const timeoutMs = parsePositiveInt(values.timeout, '--timeout');
  const targets = await resolveRunTargets({ kernel: positionals[0]!, variants: values.variant, overrides: machineOverrides(values) });
  const subjects = targets.map((t) => t.subject);
  const results: SubjectRuns[] = [];
  // With a variant: the unpatched kernel on the same runners too, and the matrix's verdict on the pair.
  const verdicts = new Map<SubjectRuns, MatrixSummary>();
  for (const { subject, patched, variant, patch } of targets) {
    // The layout check before running: data QEMU's flash would silently swallow.
    const elf = await readElf(patched.elfPath).catch(() => null); // a raw image has no sections to check
    for (const warning of elf ? layoutWarnings(elf, subject.memoryMiB) : []) process.stderr.write(`wbdiff run: warning: ${warning.text}\n`);
    // With no runner named, a kernel that names its own (e.g. QEMU only, for what the emulator does not model) runs on those.
    const own = !values.runner && !extra.length ? subject.kernel?.manifest.runners : undefined;
    const result: SubjectRuns = { ...(await runSubject(patched, own ?? runners, values.cpu!, timeoutMs)), variant };
    results.push(result);
    if (variant && patch) {
      const base = await runSubject(subject, own ?? runners, values.cpu!, timeoutMs);
      const input = { subject, variant, patch, elfPath: patched.elfPath, elfHash: patched.elfHash, runs: result.runs, baseRuns: base.runs };
      verdicts.set(result, await classifyVariantRuns(input, { diagnose: !values['no-diagnose'] }));
    }
  }

  // Each subject is held to its manifest's expectation (patched or not), or without one to the default.
  const expectationOf = (r: SubjectRuns): KernelExpectation =>
    subjects.find((s) => s.id === r.target)?.kernel?.manifest.expect ?? DEFAULT_EXPECTATION;
  let failed = false;
  for (const r of results) {
    if (!r.agree) failed = true;
    if (r.runs.some((run) => !isInfrastructure(run.verdict) && checkExpectation(run, expectationOf(r)).length > 0)) failed = true;
  }
  for (const summary of verdicts.values()) if (variantFails(summary)) failed = true;
  // QEMU crashing is infrastructure like a missing tool: never a kernel outcome, never exit 0.
  const infra = results.some((r) => r.runs.some((run) => isInfrastructure(run.verdict)));

  if (values.json) {
    const runs = results.flatMap((r) =>
      r.runs.map((run) => ({ target: r.target, variant: r.variant, ...run, ...classificationOf(verdicts.get(r), run) })),
    );
    const doc =
      results.length === 1
        ? { target: results[0]!.target, variant: results[0]!.variant, elf: results[0]!.elf, runs, agree: results[0]!.agree }
        : { runs, agree: results.every((r) => r.agree), targets: results.map(({ runs: _runs, ...rest }) => rest) };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    for (const r of results) {
      const expectation = expectationOf(r);
      const verdict = verdicts.get(r);
      const runs = r.runs.map((run) => {
        const mismatches = isInfrastructure(run.verdict) ? [] : checkExpectation(run, expectation);
        return {
          run,
          layout: droppedStoresFinding(run.details['droppedWrites'] as DroppedWritesDetail | undefined),
          notAsExpected: mismatches.length ? mismatches.map(formatMismatch).join('; ') : null,
        };
      });
      const rendered = verdict ? renderVariantVerdict(verdict, r.variant!, values.explain!) : '';
      process.stdout.write(
        renderSubjectRuns({ target: r.target, variant: r.variant, elf: r.elf, runs, agree: r.agree, verdict: rendered }),
      );
    }
  }
  return infra ? EXIT.harness : failed ? EXIT.failed : EXIT.ok;
}
