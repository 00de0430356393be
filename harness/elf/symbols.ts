// Symbol lookup both ways: address -> "symbol+0xoff" for people, name -> address for variants.
import { hex } from '../util/hex.js';
import { editDistance } from '../util/suggest.js';

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  kind: 'func' | 'object' | 'other';
}

export interface SymbolHit {
  symbol: ElfSymbol;
  offset: bigint;
}

/** Go appends ".abi0" to assembly (ABI0) functions; users may leave it out when unambiguous. */
const ABI_SUFFIXES = ['.abi0', '.abiinternal'];

export class Symbolizer {
  private readonly sorted: ElfSymbol[];
  private readonly byName = new Map<string, ElfSymbol[]>();

  constructor(symbols: readonly ElfSymbol[]) {
    // Only symbols that name a place: named, non-zero, functions and data first on ties.
    this.sorted = symbols
      .filter((s) => s.name !== '' && s.value !== 0n && !s.name.startsWith('$'))
      .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : rank(a) - rank(b)));
    for (const symbol of symbols) {
      if (symbol.name === '') continue;
      const list = this.byName.get(symbol.name) ?? [];
      list.push(symbol);
      this.byName.set(symbol.name, list);
    }
  }

  get all(): readonly ElfSymbol[] {
    return this.sorted;
  }

  /** The symbol containing addr (by size when known, else the nearest one below within 64 KiB). */
  lookup(addr: bigint): SymbolHit | null {
    let lo = 0;
    let hi = this.sorted.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]!.value <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Walk back over same-address aliases and zero-sized labels to the enclosing sized symbol.
    for (let i = best; i >= 0 && i > best - 8; i--) {
      const symbol = this.sorted[i]!;
      const offset = addr - symbol.value;
      if (symbol.size > 0n ? offset < symbol.size : offset < 0x10000n) return { symbol, offset };
    }
    return null;
  }

  /** "main.kentry+0xbc", "main.gp", or the bare hex address when no symbol covers it. */
  format(addr: bigint): string {
    const hit = this.lookup(addr);
    if (!hit) return hex(addr);
    return hit.offset === 0n ? hit.symbol.name : `${hit.symbol.name}+${hex(hit.offset)}`;
  }

  /** The address of the first symbol placed after addr, or null: where a sizeless label ends. */
  nextAfter(addr: bigint): bigint | null {
    for (const symbol of this.sorted) if (symbol.value > addr) return symbol.value;
    return null;
  }

  /** Exact name, or the name with Go's ABI suffix; null when unknown, throws when ambiguous. */
  resolve(name: string): ElfSymbol | null {
    const exact = this.byName.get(name);
    if (exact && exact.length > 0) return pickOne(name, exact);
    const candidates = ABI_SUFFIXES.flatMap((suffix) => this.byName.get(name + suffix) ?? []);
    if (candidates.length === 0) return null;
    return pickOne(name, candidates);
  }

  /** Names close to `name` (by edit distance, ABI suffix ignored), for "did you mean" hints. */
  suggest(name: string, limit = 3): string[] {
    const bare = (n: string) => n.toLowerCase().replace(/\.abi(0|internal)$/, '');
    const needle = bare(name);
    const budget = Math.max(2, Math.floor(needle.length / 4));
    return [...this.byName.keys()]
      .map((candidate) => ({ candidate, d: bare(candidate).includes(needle) ? 1 : editDistance(needle, bare(candidate), budget) }))
      .filter((x) => x.d <= budget)
      .sort((a, b) => a.d - b.d || a.candidate.length - b.candidate.length)
      .slice(0, limit)
      .map((x) => x.candidate);
  }
}

function rank(symbol: ElfSymbol): number {
  return symbol.kind === 'func' ? 0 : symbol.kind === 'object' ? 1 : 2;
}

function pickOne(name: string, list: ElfSymbol[]): ElfSymbol {
  const distinct = new Map(list.map((s) => [s.value, s]));
  if (distinct.size > 1) {
    const where = [...distinct.values()].map((s) => `${s.name}@${hex(s.value)}`).join(', ');
    throw new Error(`symbol "${name}" is ambiguous: ${where}; name one exactly`);
  }
  return list[0]!;
}
