// Symbol lookup both ways: address -> "symbol+0xoff" for people, name -> address for variants.
import { hex } from '../util/hex.js';
import { editDistance } from '../util/suggest.js';

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  kind: 'func' | 'object' | 'other';
  /** STB_LOCAL / STB_GLOBAL / STB_WEAK (absent: unknown, treated as global). */
  binding?: SymbolBinding;
}

export type SymbolBinding = 'local' | 'global' | 'weak';

/**
 * "name@global" (global or weak), "name@weak", "name@local", "name@0x277164": how a variant names
 * one of several symbols that share a name (a kernel's own runtime.gcWriteBarrier2 beside the
 * runtime's local one in a Go c-archive). Null when the text carries no such qualifier.
 */
export function splitQualifier(text: string): { name: string; binding: 'global' | 'local' | 'weak' | null; address: bigint | null } | null {
  const m = /^(.+)@(global|local|weak|0x[0-9a-f]+)$/i.exec(text);
  if (!m) return null;
  const q = m[2]!.toLowerCase();
  return { name: m[1]!, binding: q.startsWith('0x') ? null : (q as SymbolBinding), address: q.startsWith('0x') ? BigInt(q) : null };
}

/** "runtime.gcWriteBarrier2@global" -> "runtime.gcWriteBarrier2" (texts that name a routine). */
export function unqualified(name: string): string {
  return splitQualifier(name)?.name ?? name;
}

/** "global", "weak global", "local" for people. */
export function bindingWords(symbol: ElfSymbol): string {
  return symbol.binding === 'weak' ? 'weak global' : (symbol.binding ?? 'global');
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
  /** Names that several symbols at different addresses share: format() qualifies those. */
  private readonly shared = new Set<string>();

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
    for (const [name, list] of this.byName) if (new Set(list.map((x) => x.value)).size > 1) this.shared.add(name);
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
      if (symbol.size > 0n ? offset < symbol.size : offset < 0x10000n) {
        // A zero-sized label (__bss_start) beside a sized object at the same address (fakeg): the object.
        if (symbol.size === 0n)
          for (let j = i - 1; j >= 0 && this.sorted[j]!.value === symbol.value; j--)
            if (this.sorted[j]!.size > offset) return { symbol: this.sorted[j]!, offset };
        return { symbol, offset };
      }
    }
    return null;
  }

  /**
   * "main.kentry+0xbc", "main.gp", or the bare hex address when no symbol covers it. A name that
   * several symbols share is qualified so it can be read back: "runtime.gcWriteBarrier2@global".
   */
  format(addr: bigint): string {
    const hit = this.lookup(addr);
    if (!hit) return hex(addr);
    const name = this.qualifiedName(hit.symbol);
    return hit.offset === 0n ? name : `${name}+${hex(hit.offset)}`;
  }

  /** The symbol's name, with "@local"/"@global" (or "@0x...", when the binding does not tell them apart) if others share it. */
  qualifiedName(symbol: ElfSymbol): string {
    if (!this.shared.has(symbol.name)) return symbol.name;
    const others = this.byName.get(symbol.name)!.filter((s) => s.value !== symbol.value);
    const local = symbol.binding === 'local';
    return others.every((s) => (s.binding === 'local') !== local)
      ? `${symbol.name}@${local ? 'local' : 'global'}`
      : `${symbol.name}@${hex(symbol.value)}`;
  }

  /** The address of the first symbol placed after addr, or null: where a sizeless label ends. */
  nextAfter(addr: bigint): bigint | null {
    for (const symbol of this.sorted) if (symbol.value > addr) return symbol.value;
    return null;
  }

  /**
   * Exact name, or the name with Go's ABI suffix, optionally qualified ("name@global",
   * "name@local", "name@weak", "name@0x277164"); null when unknown, throws when ambiguous or when
   * no symbol of that name has the binding or address asked for.
   */
  resolve(text: string): ElfSymbol | null {
    const q = splitQualifier(text);
    const name = q && this.candidates(text).length === 0 ? q.name : text;
    let list = this.candidates(name);
    if (list.length === 0) return null;
    if (q && name !== text) {
      const all = list;
      list = list.filter(
        (s) =>
          (q.address === null || s.value === q.address) &&
          (q.binding === null || (q.binding === 'global' ? s.binding !== 'local' : (s.binding ?? 'global') === q.binding)),
      );
      if (list.length === 0) {
        const want =
          q.address !== null ? `at ${hex(q.address)}` : q.binding === 'global' ? 'that is global or weak' : `that is ${q.binding}`;
        throw new Error(`no symbol "${name}" ${want}: ${describeAll(all)}`);
      }
    }
    return pickOne(text, list);
  }

  private candidates(name: string): ElfSymbol[] {
    const exact = this.byName.get(name);
    if (exact && exact.length > 0) return exact;
    return ABI_SUFFIXES.flatMap((suffix) => this.byName.get(name + suffix) ?? []);
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
    const symbols = [...distinct.values()];
    const bindings = new Set(symbols.map((s) => (s.binding === 'local' ? 'local' : 'global')));
    const byBinding =
      bindings.size === symbols.length
        ? `${symbols.map((s) => `"${s.name}@${s.binding === 'local' ? 'local' : 'global'}"`).join(' or ')}, or `
        : '';
    throw new Error(
      `symbol "${name}" is ambiguous: ${describeAll(symbols)}; name one as ${byBinding}"${symbols[0]!.name}@${hex(symbols[0]!.value)}"`,
    );
  }
  return list[0]!;
}

/** "runtime.gcWriteBarrier2 at 0x400e3d10 (local), runtime.gcWriteBarrier2 at 0x40080080 (weak global)" */
function describeAll(list: readonly ElfSymbol[]): string {
  return list.map((s) => `${s.name} at ${hex(s.value)} (${bindingWords(s)})`).join(', ');
}
