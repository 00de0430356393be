// What `wbdiff run --variant` adds: the same variant judged as the matrix judges it. The unpatched
// kernel runs on the same runners, the emulator traces the redirected calls, and summarize()
// (the matrix's own code path) classifies each run; this prints the outcome and its one-line
// diagnosis per runner, or with --explain the evidence.
import type { Subject } from '../build/subjects.js';
import type { DiagnosisLike } from '../compare/classify.js';
import { isFailing, mainFinding } from '../compare/classify.js';
import { RESULT_FORMAT_VERSION, cellId, type CellResult, type SummaryCell } from '../matrix/cells.js';
import type { PlannedSubject } from '../matrix/plan.js';
import type { PreparedSubject } from '../matrix/prepare.js';
import { summarize, type MatrixSummary } from '../matrix/summarize.js';
import { machineProfile } from '../machine-profile.js';
import type { PatchManifest } from '../patch/apply.js';
import { explainLines, firstSentence } from '../report/model.js';
import { OUTCOME_LABEL, isOutcome } from '../report/outcomes.js';
import { DEFAULTS, type RunnerName, type RunResult } from '../runners/types.js';

export interface VariantRuns {
  subject: Subject;
  variant: string;
  patch: PatchManifest;
  elfPath: string;
  elfHash: string;
  runs: RunResult[];
  /** The unpatched kernel on the same runners. */
  baseRuns: RunResult[];
}

/** Classifies a variant's runs against the unpatched kernel's, as a matrix of these cells would. */
export async function classifyVariantRuns(input: VariantRuns, options: { diagnose: boolean; convention?: string }): Promise<MatrixSummary> {
  const target = input.subject.id;
  const cell = (variant: string | null, run: RunResult, elfHash: string): CellResult => {
    const key = { target, variant, runner: run.runner as RunnerName, cpu: run.cpu ?? DEFAULTS.cpu };
    return {
      ...key,
      id: cellId(key),
      subject: `${target}/${variant ?? 'unpatched'}`,
      provenance: { elfHash, sourceHash: null, variantHashes: [], toolchain: null },
      run,
    };
  };
  const cells = [
    ...input.baseRuns.map((r) => cell(null, r, input.subject.elfHash)),
    ...input.runs.map((r) => cell(input.variant, r, input.elfHash)),
  ];
  const expect = input.subject.kernel?.manifest.expect ?? null;
  const deterministic = input.subject.kernel?.manifest.deterministic !== false;
  const record = (variant: string | null) => ({ target, variant, ok: true, expect, ...(deterministic ? {} : { deterministic: false }) });
  const diagnoses: Record<string, DiagnosisLike> = {};
  if (options.diagnose) {
    const { diagnoseSubjects } = await import('../diagnose/matrix.js');
    const planned = plannedSubjectOf(input, options.convention ?? null);
    const prepared = new Map<string, PreparedSubject>([
      [
        planned.key,
        {
          ok: true,
          elfPath: input.elfPath,
          elfHash: input.elfHash,
          sourceHash: null,
          toolchain: null,
          variantHashes: [],
          patch: input.patch,
        },
      ],
    ]);
    const cpus = [...new Set(input.runs.map((r) => r.cpu ?? DEFAULTS.cpu))];
    for (const [key, diagnosis] of await diagnoseSubjects([planned], prepared, cpus)) diagnoses[key] = diagnosis;
  }
  return summarize({
    runId: 'run',
    cells,
    subjects: {
      version: RESULT_FORMAT_VERSION,
      subjects: { [`${target}/unpatched`]: record(null), [`${target}/${input.variant}`]: record(input.variant) },
      diagnoses,
    },
    interrupted: false,
    shard: null,
    machine: machineProfile(),
  });
}

/** The variant's bytes as the matrix plans them, for the diagnosis. */
function plannedSubjectOf(input: VariantRuns, convention: string | null): PlannedSubject {
  const { subject } = input;
  return {
    key: `${subject.id}/${input.variant}`,
    target: subject.id,
    variant: input.variant,
    variantSpec: null,
    build:
      subject.kernel && subject.build
        ? {
            id: subject.id,
            kernel: subject.kernel,
            toolchain: subject.build.toolchain.id.startsWith('go')
              ? { kind: 'go', version: subject.build.toolchain.id.slice(2) }
              : { kind: 'gcc' },
          }
        : null,
    elfPath: input.elfPath,
    kernelName: subject.kernel?.name ?? null,
    toolchainId: null,
    expect: subject.kernel?.manifest.expect ?? null,
    expectByCpu: null,
    deterministic: subject.kernel?.manifest.deterministic !== false,
    timeoutMs: subject.timeoutMs ?? DEFAULTS.timeoutMs,
    memoryMiB: subject.memoryMiB,
    maxSerialBytes: subject.maxSerialBytes,
    resultPatterns: subject.resultPatterns,
    results: subject.results,
    machine: subject.machine,
    imageFormat: subject.imageFormat,
    symbolsElf: subject.symbolsElf,
    convention,
    logPath: null,
    baseKey: `${subject.id}/unpatched`,
  };
}

/** Per runner: "qemu  PATCH-BUG  variant v changes the outcome on every runner: T1 is N …" (+ the probable cause of a divergence). */
export function renderVariantVerdict(summary: MatrixSummary, variant: string, explain: boolean): string {
  const lines = [`  as the matrix judges ${variant} (against the unpatched kernel on the same runners):`];
  for (const cell of summary.cells.filter((c) => c.variant !== null)) {
    const label = isOutcome(cell.outcome) ? OUTCOME_LABEL[cell.outcome] : cell.outcome;
    const finding = mainFinding(cell);
    lines.push(
      `    ${cell.runner.padEnd(6)} ${label}${finding ? `: ${explain ? finding.summary : firstSentence(finding.summary)}` : ': as expected'}`,
    );
    if (!explain && finding?.kind === 'parity-divergence' && finding.evidence[0])
      lines.push(`           probable cause: ${finding.evidence[0]}`);
    if (explain) for (const line of explainLines(summary, cell)) lines.push(`           ${line}`);
  }
  if (!explain && summary.cells.some((c) => c.variant !== null && c.findings.length)) lines.push('  (--explain for the evidence)');
  return `${lines.join('\n')}\n`;
}

export function variantFails(summary: MatrixSummary): boolean {
  return summary.cells.some((c: SummaryCell) => isFailing(c.outcome));
}
