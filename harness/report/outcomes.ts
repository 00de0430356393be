// How each outcome is named and coloured in every report. Pure constants: the terminal table,
// JUnit, TAP and the HTML page say the same word for the same thing.
import { OUTCOME_ORDER, type Outcome } from '../compare/classify.js';

export { OUTCOME_ORDER, type Outcome };

/** Short labels, as in the terminal table of `wbdiff matrix`. */
export const OUTCOME_LABEL: Record<Outcome, string> = {
  expected: 'ok',
  'patch-bug': 'PATCH-BUG',
  'parity-divergence': 'PARITY',
  'layout-bug': 'LAYOUT',
  'convention-bug': 'CONVENTION',
  'masked-failure': 'MASKED',
  unexpected: 'FAIL',
  known: 'KNOWN',
  fix: 'FIX',
  'cpu-dependent': 'CPU-DEP',
  infrastructure: 'INFRA',
};

/** What each outcome means, for legends and tooltips. */
export const OUTCOME_MEANING: Record<Outcome, string> = {
  expected: 'as the kernel manifest expects',
  'patch-bug': 'the variant flips a marker versus the unpatched kernel, on every runner',
  'parity-divergence': 'the same bytes behave differently on another runner or CPU',
  'layout-bug': 'stores to flash (QEMU drops them) explain the markers; the emulator names the variables',
  'convention-bug': "the emulator's trace shows the redirected routine breaks the calling convention",
  'masked-failure': 'passes here, but the diagnosis shows the bug (e.g. absorbed by QEMU flash)',
  unexpected: 'the kernel does not do what its manifest or config expects',
  known: 'a known failure listed in the config (reason, link, until): not failing the run',
  fix: 'the unpatched kernel fails its expectation and this variant makes it pass',
  'cpu-dependent': 'differs between CPU models on the same runner, as its expectation allows: not a failure',
  infrastructure: 'the run did not happen (build failure, missing tool, QEMU crash): not a kernel outcome',
};

/** Text and background colour per outcome (each its own hue; the label is always printed too). */
export const OUTCOME_COLOUR: Record<Outcome, { fg: string; bg: string }> = {
  expected: { fg: '#1b5e20', bg: '#d7eed8' },
  'patch-bug': { fg: '#b3261e', bg: '#fbd9d3' },
  'parity-divergence': { fg: '#4a2d9c', bg: '#e4dcf7' },
  'layout-bug': { fg: '#00545c', bg: '#c9eef0' },
  'convention-bug': { fg: '#8a4b00', bg: '#ffe2b0' },
  'masked-failure': { fg: '#9c1457', bg: '#f9d4e6' },
  unexpected: { fg: '#7a0a0a', bg: '#f4b6b0' },
  known: { fg: '#5d4037', bg: '#efe6d8' },
  fix: { fg: '#00695c', bg: '#c8efe8' },
  'cpu-dependent': { fg: '#1a4f7a', bg: '#d6e8f7' },
  infrastructure: { fg: '#37474f', bg: '#dde3e7' },
};

export function isOutcome(value: string): value is Outcome {
  return (OUTCOME_ORDER as readonly string[]).includes(value);
}
