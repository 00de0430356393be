// Which matrix a run ran: a hash of everything in its config that decides the cells and how they
// are judged (kernels after a command-line filter, variants, runners, CPUs, boards, timeouts,
// diagnosis on or off). A baseline is only ever a run of the same matrix, so `wbdiff matrix hello`
// last night does not make tonight's full run all "new". Pure.
import { sha256 } from '../util/hash.js';

/** Fields that change neither the cells nor their results. */
const IGNORED = new Set(['baseDir', 'source', 'description', '$schema', 'concurrency', 'known']);

export function matrixKey(config: object): string {
  const canonical = (value: unknown, top: boolean): unknown => {
    if (Array.isArray(value)) return value.map((v) => canonical(v, false));
    if (value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).filter(([k, v]) => v !== undefined && !(top && IGNORED.has(k)));
      return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, canonical(v, false)]));
    }
    return value;
  };
  return sha256(JSON.stringify(canonical(config, true))).slice(0, 16);
}
