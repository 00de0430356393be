// "Did you mean" for names people type: kernels, variants, CPU models, commands, options. Pure.

/** Levenshtein distance, giving up (returning budget + 1) once it must exceed the budget. */
export function editDistance(a: string, b: string, budget: number): number {
  if (Math.abs(a.length - b.length) > budget) return budget + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, current[j]!);
    }
    if (rowMin > budget) return budget + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidates closest to `word` (case-insensitive), nearest first; empty when none is close. */
export function closest(word: string, candidates: Iterable<string>, limit = 1): string[] {
  const needle = word.toLowerCase();
  const budget = Math.max(1, Math.min(3, Math.floor(needle.length / 3)));
  return [...new Set(candidates)]
    .map((candidate) => ({ candidate, d: editDistance(needle, candidate.toLowerCase(), budget) }))
    .filter((x) => x.d <= budget)
    .sort((a, b) => a.d - b.d || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map((x) => x.candidate);
}

/** `did you mean "hello"? ` or '' — for the start of a hint. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const [best] = closest(word, candidates);
  return best === undefined ? '' : `did you mean "${best}"? `;
}
