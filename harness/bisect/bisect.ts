// `wbdiff bisect`: which edits of a variant flip a marker. Expands the variant into atomic sites,
// checks the question is answerable (no flip with none, a flip with all), finds a 1-minimal culprit
// set with ddmin, then verifies it like KernelCI does before answering: the culprits alone flip the
// marker on repeated runs, the rest without them does not, and QEMU agrees with the emulator.
import type { ElfImage } from '../elf/elf.js';
import { planPatchExplained } from '../patch/apply.js';
import type { PatchSite } from '../patch/plan.js';
import type { Variant } from '../patch/variant.js';
import { isInfrastructure, type RunResult, type RunSpec } from '../runners/types.js';
import { hex } from '../util/hex.js';
import { wordHex } from '../patch/encoding.js';
import { ddmin } from './ddmin.js';
import { SiteRunner, siteKey } from './site-runner.js';

export interface BisectOptions {
  marker: string;
  /** The value a good run has; default: the value without any edit. */
  want?: string;
  runner: 'emu' | 'qemu';
  /** Runs of each verification step (flakiness shows up here). */
  repeat: number;
  /** Re-check the answer on QEMU when bisecting on the emulator. */
  confirmOnQemu: boolean;
  spec: Omit<RunSpec, 'elfPath'>;
}

export type BisectAnswer =
  | { kind: 'culprits'; sites: PatchSite[]; want: string; observed: string; confirmation: string }
  | { kind: 'unresolvable'; reason: string }
  | { kind: 'flaky'; reason: string; rates: string[] }
  | { kind: 'parity'; sites: PatchSite[]; reason: string };

export interface BisectReport {
  answer: BisectAnswer;
  sites: number;
  runs: Record<string, number>;
  totalRuns: number;
  ddminTests: number;
}

export function valueOf(run: RunResult, marker: string): string {
  if (isInfrastructure(run.verdict)) throw new Error(`the run could not be made: ${run.reason}`);
  return run.markers[marker] ?? `(missing; ${run.verdict})`;
}

export async function bisectVariant(
  image: ElfImage,
  variant: Variant,
  options: BisectOptions,
  where = variant.name,
): Promise<BisectReport> {
  const sites = planPatchExplained(image, variant, where).sort((a, b) => (a.address < b.address ? -1 : 1));
  const runner = new SiteRunner(image, options.spec);
  const value = async (set: readonly PatchSite[], on = options.runner) => valueOf(await runner.run(set, on), options.marker);
  let ddminTests = 0;
  const report = (answer: BisectAnswer): BisectReport => ({
    answer,
    sites: sites.length,
    runs: Object.fromEntries(runner.runs),
    totalRuns: runner.total,
    ddminTests,
  });

  // The unpatched kernel, repeated: a marker that varies with no edit at all cannot be bisected.
  const baseline: string[] = [];
  for (let i = 0; i < options.repeat; i++) baseline.push(await value([]));
  if (new Set(baseline).size > 1) {
    return report({
      kind: 'flaky',
      reason: `${options.marker} varies with no edit at all`,
      rates: [`unpatched: ${summarise(baseline)} over ${options.repeat} runs`],
    });
  }
  const unpatched = baseline[0]!;
  const want = options.want ?? unpatched;
  if (unpatched !== want)
    return report({
      kind: 'unresolvable',
      reason: `${options.marker} is ${unpatched} with no edit at all (want ${want}): nothing to bisect`,
    });
  const full = await value(sites);
  if (full === want)
    return report({
      kind: 'unresolvable',
      reason: `${options.marker} stays ${want} with all ${sites.length} sites applied: the variant does not flip it`,
    });

  const result = await ddmin(sites, async (subset) => (await value(subset)) !== want, siteKey);
  ddminTests = result.tests;
  const culprits = result.minimal;
  const rest = sites.filter((s) => !culprits.includes(s));

  // Verification: repeated runs of the culprits alone and of everything else.
  const alone: string[] = [];
  const without: string[] = [];
  for (let i = 0; i < options.repeat; i++) {
    alone.push(await value(culprits));
    without.push(await value(rest));
  }
  const aloneFlips = alone.filter((v) => v !== want).length;
  const withoutFlips = without.filter((v) => v !== want).length;
  if (aloneFlips !== options.repeat || withoutFlips !== 0) {
    const consistent = (aloneFlips === 0 || aloneFlips === options.repeat) && (withoutFlips === 0 || withoutFlips === options.repeat);
    const rates = [
      `culprit set alone flips ${options.marker} in ${aloneFlips}/${options.repeat} runs (${summarise(alone)})`,
      `all other sites flip it in ${withoutFlips}/${options.repeat} runs (${summarise(without)})`,
    ];
    if (!consistent)
      return report({
        kind: 'flaky',
        reason: `the outcome of ${options.marker} is flaky across repeated runs: no trustworthy culprit`,
        rates,
      });
    return report({
      kind: 'unresolvable',
      reason: `the minimal set does not verify: ${rates.join('; ')} (the flip needs edits in more than one independent way)`,
    });
  }

  let confirmation = options.runner === 'qemu' ? 'found on QEMU' : 'not checked on QEMU (--no-confirm)';
  if (options.runner === 'emu' && options.confirmOnQemu) {
    const qemuUnpatched = await value([], 'qemu');
    const qemuCulprits = await value(culprits, 'qemu');
    if (qemuUnpatched !== want || qemuCulprits === want) {
      return report({
        kind: 'parity',
        sites: culprits,
        reason: `QEMU disagrees with the emulator: on QEMU ${options.marker} is ${qemuUnpatched} unpatched and ${qemuCulprits} with the culprit sites (emulator: ${want} and ${alone[0]}). This is a parity problem, not a bisection answer.`,
      });
    }
    confirmation = `confirmed on QEMU (${options.marker}: ${qemuUnpatched} unpatched, ${qemuCulprits} with the culprits)`;
  }
  return report({ kind: 'culprits', sites: culprits, want, observed: alone[0]!, confirmation });
}

function summarise(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v}×${n}`).join(', ');
}

/** A variant holding exactly the culprit sites, as raw words with their original words expected. */
export function culpritVariant(name: string, sites: readonly PatchSite[], source: string): Variant & { description: string } {
  return {
    name: `${name}-culprits`,
    description: `The sites of ${source} that flip the marker (found by wbdiff bisect).`,
    edits: sites.map((s) => ({
      op: 'word' as const,
      at: s.location.startsWith('0x') ? hex(s.address) : s.location,
      value: wordHex(s.newWord),
      expect: wordHex(s.oldWord),
      note: `${s.old.symbolic} -> ${s.new.symbolic} (edit ${s.edit}, ${s.op})`,
    })),
  };
}
