// Diagnoses for the matrix: every variant subject that redirected calls is traced once per CPU
// model on the emulator, before its cells run; cells of the same bytes share the diagnosis.
import { traceSettingsFor } from '../build/run-target.js';
import type { DiagnosisLike } from '../compare/classify.js';
import type { PlannedSubject } from '../matrix/plan.js';
import type { PreparedSubject } from '../matrix/prepare.js';
import { diagnosisKey } from '../matrix/summarize.js';
import { unicornModelFor } from '../runners/emu.js';
import { diagnoseElf, type Diagnosis } from './index.js';

const TRACED_OPS = new Set(['redirect-calls', 'call']);

export async function diagnoseSubjects(
  subjects: readonly PlannedSubject[],
  prepared: ReadonlyMap<string, PreparedSubject>,
  cpus: readonly string[],
): Promise<Map<string, DiagnosisLike>> {
  const out = new Map<string, DiagnosisLike>();
  for (const subject of subjects) {
    const bytes = prepared.get(subject.key);
    if (subject.variant === null || !bytes?.ok || !bytes.patch?.sites.some((s) => TRACED_OPS.has(s.op))) continue;
    for (const cpu of cpus.filter((c) => unicornModelFor(c) !== null)) {
      try {
        // The kernel's own timeout and memory size, as `wbdiff diagnose` gives them (one resolver).
        const { maxSerialBytes: _serial, ...settings } = traceSettingsFor({ ...subject, kernel: subject.build?.kernel ?? null });
        const diagnosis = await diagnoseElf(bytes.elfPath, bytes.patch.sites, {
          ...settings,
          cpu,
          ...(subject.convention ? { convention: subject.convention } : {}),
        });
        out.set(diagnosisKey(subject.target, subject.variant, cpu), {
          verdict: diagnosis.verdict,
          findings: matrixFindings(diagnosis),
          convention: diagnosis.convention,
          goVersion: diagnosis.goVersion,
        } as DiagnosisLike);
      } catch (error) {
        out.set(diagnosisKey(subject.target, subject.variant, cpu), {
          verdict: 'error',
          findings: [{ kind: 'error', text: `the diagnosis could not be made: ${(error as Error).message}` }],
        });
      }
    }
  }
  return out;
}

/**
 * What a cell carries of a diagnosis: the reasons per marker, the reach line, then one finding per
 * group (routine and kind), never one per site: several hundred redirected sites that did not
 * run are one line, not several hundred.
 */
function matrixFindings(d: Diagnosis): { kind: string; text: string }[] {
  return [
    ...d.reasons.map((r) => ({ kind: 'reason', text: r.text })),
    ...(d.reach.redirected ? [{ kind: 'reach', text: d.reach.line }] : []),
    ...d.groups
      .filter((g) => g.kind !== 'not-reached')
      .map((g) => ({
        kind: g.kind,
        text: g.sites > 1 ? `${g.first.text} (the same at ${g.sites - 1} more site${g.sites > 2 ? 's' : ''})` : g.first.text,
      })),
  ];
}
