// Zeller's delta debugging (ddmin): a 1-minimal subset of `items` for which `fails` still holds,
// in O(k log n) tests for k culprits among n items in good cases, not by trying every subset.
// Pure over an async predicate; results are cached by the exact subset, so no set runs twice.

export interface DdminResult<T> {
  minimal: T[];
  /** Predicate evaluations that actually ran (cache hits excluded). */
  tests: number;
}

export async function ddmin<T>(
  items: readonly T[],
  fails: (subset: T[]) => Promise<boolean>,
  key: (item: T) => string,
): Promise<DdminResult<T>> {
  const cache = new Map<string, boolean>();
  let tests = 0;
  const test = async (subset: T[]): Promise<boolean> => {
    const k = subset.map(key).sort().join(',');
    let hit = cache.get(k);
    if (hit === undefined) {
      tests += 1;
      hit = await fails(subset);
      cache.set(k, hit);
    }
    return hit;
  };

  let current = [...items];
  let n = 2;
  while (current.length >= 2) {
    const parts = split(current, n);
    let reduced = false;
    for (const part of parts) {
      if (await test(part)) {
        current = part;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      for (const part of parts) {
        const complement = current.filter((item) => !part.includes(item));
        if (await test(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced && n === 2) {
      // With two halves the complements are the halves themselves: already tested above.
      n = Math.min(current.length, 4);
      if (n <= 2) break;
      continue;
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, n * 2);
    }
  }
  return { minimal: current, tests };
}

/** n nearly equal contiguous parts (contiguity keeps related, adjacent sites together). */
export function split<T>(items: readonly T[], n: number): T[][] {
  const parts: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    if (end > start) parts.push(items.slice(start, end));
    start = end;
  }
  return parts;
}
