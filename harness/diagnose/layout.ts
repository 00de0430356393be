// Layout findings: where a kernel's writable data lies on virt, and what happened to the stores
// that went there. QEMU drops a store to its flash (and to ROM or an unbacked window) without a
// word; the emulator records each one (harness/emu/devices/flash-bus.ts). Pure functions over
// an ELF's segments/sections/symbols and the recorded stores.
import type { ElfImage } from '../elf/elf.js';
import type { Symbolizer } from '../elf/symbols.js';
import { hex } from '../util/hex.js';

export interface MemoryWindow {
  name: string;
  base: bigint;
  /** Exclusive. */
  end: bigint;
}

/** One recorded store, as the emulator keeps it (flash-bus.ts DroppedWrite). */
export interface DroppedStore {
  pc: bigint;
  address: bigint;
  size: number;
  value: bigint;
  device: string;
  command: number;
  effect: 'dropped' | 'erased';
}

/** The JSON form in RunResult.details.droppedWrites. */
export interface DroppedWritesDetail {
  total: number;
  /** The first stores, symbolised. */
  first: { pc: string; pcSymbol: string; address: string; addressSymbol: string; size: number; value: string; device: string; command: string; effect: string }[];
  /** Per variable (symbol the address falls in), in order of the first store to it. */
  variables: { symbol: string; address: string; stores: number; firstPc: string; firstPcSymbol: string; device: string }[];
}

const FIRST_KEPT = 32;

export function droppedWritesDetail(source: { dropped: readonly DroppedStore[]; droppedTotal: number }, symbols: Symbolizer): DroppedWritesDetail {
  const variables = new Map<string, DroppedWritesDetail['variables'][number]>();
  for (const write of source.dropped) {
    const hit = symbols.lookup(write.address);
    const symbol = hit ? hit.symbol.name : hex(write.address);
    const known = variables.get(symbol);
    if (known) known.stores++;
    else variables.set(symbol, { symbol, address: hex(hit ? hit.symbol.value : write.address), stores: 1, firstPc: hex(write.pc), firstPcSymbol: symbols.format(write.pc), device: write.device });
  }
  return {
    total: source.droppedTotal,
    first: source.dropped.slice(0, FIRST_KEPT).map((w) => ({
      pc: hex(w.pc),
      pcSymbol: symbols.format(w.pc),
      address: hex(w.address),
      addressSymbol: symbols.format(w.address),
      size: w.size,
      value: hex(w.value),
      device: w.device,
      command: hex(w.command, 2),
      effect: w.effect,
    })),
    variables: [...variables.values()],
  };
}

export interface LayoutWarning {
  /** "PT_LOAD segment 1", ".data", ".bss" */
  what: string;
  start: bigint;
  end: bigint;
  /** The window it lies in ("flash (pflash0/1)") or null when it is in none. */
  window: string | null;
  /** Data symbols placed there (first few). */
  variables: string[];
  text: string;
}

/**
 * The pre-run check: writable PT_LOAD segments, `.data` and `.bss` (and Go's `.noptrdata`,
 * `.noptrbss`) that lie outside RAM. On virt every store there is dropped (flash) or faults.
 */
export function writableOutsideRam(image: ElfImage, ram: MemoryWindow, windows: readonly MemoryWindow[]): LayoutWarning[] {
  const out: LayoutWarning[] = [];
  const inRam = (start: bigint, end: bigint) => start >= ram.base && end <= ram.end;
  const windowOf = (address: bigint) => windows.find((w) => address >= w.base && address < w.end)?.name ?? null;
  const variablesIn = (start: bigint, end: bigint) =>
    image.symbols.all.filter((s) => s.kind === 'object' && s.value >= start && s.value < end).slice(0, 8).map((s) => `${s.name} (${hex(s.value)})`);
  const warn = (what: string, start: bigint, end: bigint) => {
    if (end <= start || inRam(start, end)) return;
    const window = windowOf(start);
    const variables = variablesIn(start, end);
    const where = window ? `in virt's ${window}` : 'outside every region of virt';
    const effect = window?.startsWith('flash') ? 'QEMU drops every store to it' : 'stores to it are lost or fault';
    const named = variables.length ? `; it holds ${variables.join(', ')}` : '';
    out.push({ what, start, end, window, variables, text: `${what} (${hex(start)}-${hex(end)}) is ${where}, not in RAM (${hex(ram.base)}-${hex(ram.end)}): ${effect}${named}` });
  };
  image.segments.forEach((segment, index) => {
    if (segment.type === 'load' && segment.flags.w && segment.memsz > 0n) warn(`writable PT_LOAD segment ${index}`, segment.paddr, segment.paddr + segment.memsz);
  });
  for (const section of image.sections) {
    if (['.data', '.bss', '.noptrdata', '.noptrbss'].includes(section.name) && section.size > 0) warn(section.name, section.addr, section.addr + BigInt(section.size));
  }
  return out;
}

export interface LayoutFinding {
  kind: 'dropped-stores';
  /** Variables whose stores were dropped, by symbol. */
  variables: string[];
  total: number;
  /** One sentence per variable: "main.gp is at 0x339000, in virt's flash: QEMU drops every store to it (3 stores, first at main.kmain+0x40)". */
  lines: string[];
  text: string;
}

/** The finding for a run whose stores the flash dropped, or null when none was. */
export function droppedStoresFinding(detail: DroppedWritesDetail | null | undefined): LayoutFinding | null {
  if (!detail || detail.total === 0) return null;
  const lines = detail.variables.map(
    (v) => `${v.symbol} is at ${v.address}, in virt's flash (${v.device}): QEMU drops every store to it (${v.stores} store${v.stores === 1 ? '' : 's'} dropped, the first at ${v.firstPcSymbol})`,
  );
  const names = detail.variables.map((v) => v.symbol);
  return {
    kind: 'dropped-stores',
    variables: names,
    total: detail.total,
    lines,
    text: `layout bug: ${detail.total} store${detail.total === 1 ? '' : 's'} to flash dropped, to ${names.slice(0, 6).join(', ')}${names.length > 6 ? ` and ${names.length - 6} more` : ''}`,
  };
}

/**
 * Which bug explains a failing marker when the run also dropped stores: the layout one when a
 * variable the marker's check depends on lost a store, and any convention bug is then latent
 * (the barrier path that would show it is never taken while the flag's own store is dropped).
 */
export function layoutExplains(finding: LayoutFinding | null, conventionBug: boolean): { cause: 'layout' | 'convention' | null; latent: 'layout' | 'convention' | null; text: string | null } {
  if (finding && conventionBug) {
    return { cause: 'layout', latent: 'convention', text: `${finding.text}; this explains the marker. The register-convention bug is real but latent: with the stores dropped its path never runs as intended` };
  }
  if (finding) return { cause: 'layout', latent: null, text: `${finding.text}; this explains the marker` };
  if (conventionBug) return { cause: 'convention', latent: null, text: null };
  return { cause: null, latent: null, text: null };
}
