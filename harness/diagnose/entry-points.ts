// Every call to the Go runtime's write-barrier entry points, from the ELF: which of them a variant
// redirected (the patch manifest's old word was a `bl` to the runtime's routine) and which it
// left to the runtime (the patched ELF still has that `bl`). Pure over the image and the sites.
//
// The entry points and their buffer sizes, from the toolchains' own runtime/asm_arm64.s:
// - Go <= 1.20: runtime·gcWriteBarrier (go1.19.8 line 1203) takes the slot in R2 and the value in
//   R3 and records two words (value, old *slot: "ADD $16, R1") in g.m.p.wbBuf itself.
// - Go >= 1.21: runtime·gcWriteBarrier1..8 (go1.23.5 lines 1309-1332), each "MOVD $8*N, R25;
//   JMP gcWriteBarrier<>": N pointers of buffer space, returned in R25.
// Both read g.m.p (MOVD g_m(g), R0; MOVD m_p(R0), R0): they need a real goroutine in x28.
import { codeWords, readWord, type ElfImage } from '../elf/elf.js';
import { bindingWords, type ElfSymbol } from '../elf/symbols.js';
import { decodeBranch } from '../patch/encoding.js';

import { hex } from '../util/hex.js';
import type { Convention } from './conventions.js';
import type { ManifestSiteLike } from './trace.js';

export interface EntryPointSpec {
  name: string;
  /** Buffer bytes one call takes. */
  bytes: number;
  /** Where the size comes from. */
  source: string;
}

const GO_STORE_ENTRIES: EntryPointSpec[] = [
  {
    name: 'runtime.gcWriteBarrier',
    bytes: 16,
    source: 'go1.19.8 src/runtime/asm_arm64.s:1203 gcWriteBarrier records value and old *slot ("ADD $16, R1")',
  },
];
const GO_BUFFER_ENTRIES: EntryPointSpec[] = Array.from({ length: 8 }, (_, i) => ({
  name: `runtime.gcWriteBarrier${i + 1}`,
  bytes: 8 * (i + 1),
  source: `go1.23.5 src/runtime/asm_arm64.s:${1309 + 3 * i} gcWriteBarrier${i + 1}: "MOVD $${8 * (i + 1)}, R25; JMP gcWriteBarrier<>"`,
}));

/** The runtime's barrier entry points under a Go convention; none for a declared (non-Go) one. */
export function entryPointSpecs(convention: Convention | null): EntryPointSpec[] {
  if (!convention || (convention.name !== 'go<=1.20' && convention.name !== 'go>=1.21')) return [];
  return convention.style === 'store' ? GO_STORE_ENTRIES : GO_BUFFER_ENTRIES;
}

export interface EntryCall {
  address: bigint;
  /** "main.kmain+0x20c" */
  location: string;
  /** Where the call goes now: the replacement's label, or null when it is left to the runtime. */
  redirectedTo: string | null;
}

export interface EntryPoint {
  name: string;
  /** The runtime's own routine. */
  address: bigint;
  /** As listings print it: "runtime.gcWriteBarrier2@local" when the name is shared. */
  label: string;
  binding: ElfSymbol['binding'] | null;
  bytes: number;
  bytesSource: string;
  /** The ELF's routine sets x25 to the same size (Go >= 1.21: its first instruction is MOVZ x25, #bytes). */
  bytesConfirmed: boolean;
  /** Other symbols of the same name (a kernel's own routines). */
  namesakes: { address: bigint; label: string; binding: string }[];
  calls: EntryCall[];
}

/** The entry points present in the ELF, each with every call to it (redirected or not). */
export function barrierInventory(image: ElfImage, convention: Convention | null, manifestSites: readonly ManifestSiteLike[]): EntryPoint[] {
  const specs = entryPointSpecs(convention);
  if (specs.length === 0) return [];
  const entries: EntryPoint[] = [];
  for (const spec of specs) {
    const found = runtimeSymbol(image, spec);
    if (!found) continue;
    entries.push({
      name: spec.name,
      address: found.symbol.value,
      label: image.symbols.qualifiedName(found.symbol),
      binding: found.symbol.binding ?? null,
      bytes: spec.bytes,
      bytesSource: spec.source,
      bytesConfirmed: found.confirmed,
      namesakes: found.others.map((s) => ({ address: s.value, label: image.symbols.qualifiedName(s), binding: bindingWords(s) })),
      calls: [],
    });
  }
  const byAddress = new Map(entries.map((e) => [e.address, e]));
  for (const site of manifestSites) {
    if (site.op !== 'redirect-calls' && site.op !== 'call') continue;
    const address = BigInt(site.address);
    const old = site.old?.word !== undefined ? decodeBranch(Number(BigInt(site.old.word)), address) : null;
    const entry = old?.kind === 'bl' ? byAddress.get(old.target) : undefined;
    const now = decodeBranch(Number(BigInt(site.new.word)), address);
    if (entry && now?.kind === 'bl' && now.target !== entry.address)
      entry.calls.push({ address, location: site.location, redirectedTo: image.symbols.format(now.target) });
  }
  for (const [address, word] of codeWords(image, null)) {
    const branch = decodeBranch(word, address);
    const entry = branch?.kind === 'bl' ? byAddress.get(branch.target) : undefined;
    if (entry) entry.calls.push({ address, location: image.symbols.format(address), redirectedTo: null });
  }
  for (const entry of entries) entry.calls.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return entries;
}

/**
 * The runtime's routine among the symbols of that name: the one whose code is the runtime's
 * (Go >= 1.21: MOVZ x25, #bytes first), else the local one (a c-archive's Go symbols are all
 * local), else the only one.
 */
function runtimeSymbol(image: ElfImage, spec: EntryPointSpec): { symbol: ElfSymbol; others: ElfSymbol[]; confirmed: boolean } | null {
  const named = image.symbols.all.filter((s) => s.kind === 'func' && (s.name === spec.name || s.name === `${spec.name}.abi0`));
  if (named.length === 0) return null;
  const setsSize = (s: ElfSymbol) => {
    const word = readWord(image, s.value);
    return word !== null && movToX25(word) === BigInt(spec.bytes);
  };
  const bySize = named.filter(setsSize);
  const pick = bySize.length === 1 ? bySize[0]! : (named.find((s) => s.binding === 'local') ?? (named.length === 1 ? named[0]! : null));
  if (!pick) return null;
  return { symbol: pick, others: named.filter((s) => s.value !== pick.value), confirmed: setsSize(pick) };
}

/**
 * The constant a `mov x25, #imm` writes, as the Go assembler encodes MOVD $imm, R25: MOVZ, or
 * ORR x25, xzr, #bitmask when the value is a bitmask immediate (16, 32, 48, 56, 64); else null.
 */
export function movToX25(word: number): bigint | null {
  const w = word >>> 0;
  if ((w & 0x1f) !== 25) return null;
  if ((w & 0xff800000) >>> 0 === 0xd2800000) return BigInt((w >>> 5) & 0xffff) << BigInt(((w >>> 21) & 3) * 16);
  if ((w & 0xff8003e0) >>> 0 === 0xb20003e0) return decodeBitMask((w >>> 22) & 1, (w >>> 16) & 0x3f, (w >>> 10) & 0x3f);
  return null;
}

/** DecodeBitMasks of the Arm ARM for 64-bit logical immediates (N, immr, imms). */
function decodeBitMask(n: number, immr: number, imms: number): bigint | null {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return null;
  const len = 31 - Math.clz32(combined);
  const esize = 1 << len;
  const levels = esize - 1;
  const s = imms & levels;
  const r = immr & levels;
  if (s === levels) return null;
  const size = BigInt(esize);
  const mask = (1n << size) - 1n;
  const welem = (1n << BigInt(s + 1)) - 1n;
  const rotated = ((welem >> BigInt(r)) | (welem << (size - BigInt(r)))) & mask;
  let value = 0n;
  for (let i = 0; i < 64 / esize; i++) value |= rotated << BigInt(i * esize);
  return value;
}

/** "runtime.gcWriteBarrier1 (8 bytes): 77 calls, 0 redirected, 77 left to the runtime" */
export function inventoryLine(entry: EntryPoint, ran = 0): string {
  const redirected = entry.calls.filter((c) => c.redirectedTo !== null).length;
  const left = entry.calls.length - redirected;
  const to = [...new Set(entry.calls.map((c) => c.redirectedTo).filter((t): t is string => t !== null))];
  return `${entry.label} at ${hex(entry.address)} (${entry.bytes} bytes): ${entry.calls.length} call${entry.calls.length === 1 ? '' : 's'}, ${redirected} redirected${to.length ? ` (to ${to.join(', ')})` : ''}, ${left} left to the runtime${left ? ` (${ran} ran)` : ''}`;
}
