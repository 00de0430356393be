// Result formats by name: what a line of a suite's output means as a marker. `markers` (T<n> Y|N
// and TAP, always read) needs no patterns; the others are patterns like a manifest's own.
import type { ResultPattern, ResultPreset } from '../runners/types.js';

export const RESULT_PRESETS: readonly ResultPreset[] = ['markers', 'kvm-unit-tests', 'ktap'];

const PRESETS: Readonly<Record<ResultPreset, readonly ResultPattern[]>> = {
  markers: [],
  // lib/report.c: "PASS: name", "SUMMARY: 3 tests, 1 skipped"; lib/arm/io.c: "EXIT: STATUS=n".
  'kvm-unit-tests': [
    { regex: '^(?<result>PASS|FAIL|SKIP|XFAIL|XPASS): (?<id>.+?)\\s*$' },
    { regex: '^SUMMARY: (?<result>.+?)\\s*$', id: 'SUMMARY' },
    { regex: '^EXIT: STATUS=(?<status>\\d+)', statusEncoding: 'testdev' },
  ],
  // KTAP (Documentation/dev-tools/ktap.rst): "ok 1 name # SKIP reason", nested by indentation.
  ktap: [
    { regex: '^\\s*(?:not ok|ok) \\d+ (?<id>[^#]*?)\\s*# (?<result>SKIP)\\b', map: { SKIP: 'SKIP' } },
    { regex: '^\\s*(?<result>not ok|ok) \\d+ (?<id>[^#]*?)\\s*(?:#.*)?$', map: { ok: 'Y', 'not ok': 'N' } },
  ],
};

export function presetPatterns(name: ResultPreset | undefined): ResultPattern[] {
  return name ? PRESETS[name].map((p) => ({ ...p })) : [];
}

export function isResultPreset(name: string): name is ResultPreset {
  return (RESULT_PRESETS as readonly string[]).includes(name);
}
