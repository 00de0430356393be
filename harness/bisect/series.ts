// `wbdiff bisect --series v1 … vN`: the first variant of an ordered series (a patch's history)
// that flips a marker, by binary search: the last is checked first, then ~log2(N) more runs.
// The unpatched kernel is assumed good and is run only when the answer would be v1.
import type { LoadedVariant } from '../patch/variant.js';

export interface SeriesStep {
  index: number;
  name: string;
  value: string;
  flips: boolean;
}

export type SeriesAnswer =
  | { kind: 'first-bad'; index: number; steps: SeriesStep[] }
  | { kind: 'unresolvable'; reason: string; steps: SeriesStep[] };

/** `valueOf(i)` runs variant i (or the unpatched kernel for -1) and returns the marker's value. */
export async function bisectSeries(
  variants: readonly LoadedVariant[],
  want: string | undefined,
  valueOf: (index: number) => Promise<string>,
): Promise<SeriesAnswer & { want: string }> {
  const steps: SeriesStep[] = [];
  let target = want;
  const probe = async (index: number) => {
    const value = await valueOf(index);
    if (target === undefined && index === -1) target = value;
    const flips = target !== undefined ? value !== target : false;
    steps.push({ index, name: index < 0 ? '(unpatched)' : variants[index]!.variant.name, value, flips });
    return { value, flips };
  };
  if (target === undefined) await probe(-1);
  const last = variants.length - 1;
  if (!(await probe(last)).flips)
    return {
      kind: 'unresolvable',
      reason: `the last variant (${variants[last]!.variant.name}) does not flip the marker: no variant in the series does`,
      steps,
      want: target!,
    };
  let good = -1;
  let bad = last;
  while (bad - good > 1) {
    const mid = (good + bad) >> 1;
    if ((await probe(mid)).flips) bad = mid;
    else good = mid;
  }
  if (bad === 0 && !steps.some((s) => s.index === -1)) {
    if ((await probe(-1)).flips)
      return { kind: 'unresolvable', reason: 'the marker already flips without any variant', steps, want: target! };
  }
  return { kind: 'first-bad', index: bad, steps, want: target! };
}
