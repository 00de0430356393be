// Variant locations: "0x400c7a60", "main.kentry", "main.kentry+0xbc". Pure over a symbol table.
import type { Symbolizer } from '../elf/symbols.js';
import { hex } from '../util/hex.js';

export class LocationError extends Error {}

export interface ResolvedLocation {
  address: bigint;
  /** How people should read it: "main.kentry+0xbc". */
  label: string;
}

export function resolveLocation(text: string, symbols: Symbolizer): ResolvedLocation {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return { address: BigInt(t), label: symbols.format(BigInt(t)) };
  const m = /^(.+?)\+(0x[0-9a-f]+|\d+)$/i.exec(t);
  const name = m ? m[1]! : t;
  const offset = m ? BigInt(m[2]!) : 0n;
  const symbol = lookupSymbol(name, symbols);
  const address = symbol.value + offset;
  return { address, label: offset ? `${symbol.name}+${hex(offset)}` : symbol.name };
}

/** A function's extent, for `in`: every address in [start, end). */
export function resolveFunction(text: string, symbols: Symbolizer): { start: bigint; end: bigint; name: string } {
  const symbol = lookupSymbol(text.trim(), symbols);
  if (symbol.size > 0n) return { start: symbol.value, end: symbol.value + symbol.size, name: symbol.name };
  // Assembly labels often carry no .size: like objdump, take the function to run to the next symbol.
  const next = symbols.nextAfter(symbol.value);
  if (next === null)
    throw new LocationError(`symbol "${symbol.name}" has no size and no symbol follows it, so "in" cannot tell where it ends`);
  return { start: symbol.value, end: next, name: symbol.name };
}

function lookupSymbol(name: string, symbols: Symbolizer) {
  let symbol;
  try {
    symbol = symbols.resolve(name);
  } catch (error) {
    throw new LocationError((error as Error).message);
  }
  if (!symbol) {
    const near = symbols.suggest(name);
    throw new LocationError(`unknown symbol "${name}"${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(', ')}?)` : ''}`);
  }
  return symbol;
}
