// "Did you mean …?" for mistyped names (commands, options, kernels, variants). Pure.

/**
 * Levenshtein distance, with a transposition costing 1 (Damerau, optimal string alignment). With
 * a budget, anything farther is budget + 1, found early: a symbol table's thousands of names are
 * compared in linear time. Rows are kept three at a time.
 */
export function editDistance(a: string, b: string, budget = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > budget) return budget + 1;
  let older: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let previousMin = 0;
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, older[j - 2]! + 1);
      current[j] = best;
      if (best < rowMin) rowMin = best;
    }
    // Every later row is at least min(this row's minimum, the previous row's + 1): a transposition
    // reaches back two rows, so one row over budget is not yet proof.
    if (Math.min(rowMin, previousMin + 1) > budget) return budget + 1;
    older = previous;
    previous = current;
    previousMin = rowMin;
  }
  return previous[b.length]!;
}

/** The closest candidate, if it is close enough to be what was meant (a third of its length, at least 1). */
export function suggest(input: string, candidates: Iterable<string>): string | null {
  let best: { name: string; distance: number } | null = null;
  for (const name of candidates) {
    const distance = editDistance(input.toLowerCase(), name.toLowerCase());
    if (distance === 0) return name;
    if (distance <= Math.max(1, Math.floor(name.length / 3)) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? null;
}

/** ' (did you mean "x"?)' or ''. */
export function didYouMean(input: string, candidates: Iterable<string>, quote = (s: string) => `"${s}"`): string {
  const hit = suggest(input, candidates);
  return hit && hit !== input ? ` (did you mean ${quote(hit)}?)` : '';
}
