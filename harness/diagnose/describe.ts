// Names values for people: "&main.gp", "&runtime.mheap_+0x18800", "main.kmain+0x80", "0x0".
// Pure over a Symbolizer and the image's loaded ranges (a value outside them is just a number,
// however close it is to some symbol).
import type { ElfImage } from '../elf/elf.js';
import type { Symbolizer } from '../elf/symbols.js';
import { hex } from '../util/hex.js';

export interface SymbolContext {
  symbols: Symbolizer;
  /** [start, end) of each PT_LOAD segment in memory. */
  ranges: { start: bigint; end: bigint }[];
}

export function symbolContext(image: Pick<ElfImage, 'symbols' | 'segments'>): SymbolContext {
  const ranges = image.segments.filter((s) => s.type === 'load' && s.memsz > 0n).map((s) => ({ start: s.vaddr, end: s.vaddr + s.memsz }));
  return { symbols: image.symbols, ranges };
}

/** The symbol a value points into, when it points into the image: "&main.gp", "main.kmain+0x80" for code. */
export function symbolOf(ctx: SymbolContext, value: bigint): string | null {
  if (!ctx.ranges.some((r) => value >= r.start && value < r.end)) return null;
  const hit = ctx.symbols.lookup(value);
  if (!hit) return null;
  const name = hit.offset === 0n ? hit.symbol.name : `${hit.symbol.name}+${hex(hit.offset)}`;
  return hit.symbol.kind === 'func' ? name : `&${name}`;
}

/** "&main.gp" when symbolic, else the hex value. */
export function nameValue(ctx: SymbolContext, value: bigint): string {
  return symbolOf(ctx, value) ?? hex(value);
}

/** Does [address, address+size) overlap the named object? */
export function touchesSymbol(ctx: SymbolContext, name: string, address: bigint, size: number): boolean {
  let symbol;
  try {
    symbol = ctx.symbols.resolve(name);
  } catch {
    return false; // ambiguous name: say nothing rather than guess
  }
  if (!symbol) return false;
  const end = symbol.value + (symbol.size > 0n ? symbol.size : 1n);
  return address < end && address + BigInt(size) > symbol.value;
}

/** "main.wbSeed" for "main.wbSeed.abi0": Go's ABI suffix says nothing to a reader. */
export function routineName(name: string): string {
  return name.replace(/\.abi0$/, '').replace(/\.abiinternal$/i, '');
}
