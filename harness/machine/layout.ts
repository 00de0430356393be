// Layout findings: where a kernel's writable data lies on virt, and what happened to the stores
// that went there. QEMU drops a store to its flash (and to ROM or an unbacked window) without a
// word; the emulator records each one (harness/emu/devices/flash-bus.ts). Pure functions over
// an ELF's segments/sections/symbols and the recorded stores.
import type { DroppedWrite } from '../emu/devices/flash-bus.js';
import type { ElfImage } from '../elf/elf.js';
import type { Symbolizer } from '../elf/symbols.js';
import { hex } from '../util/hex.js';

export interface MemoryWindow {
  name: string;
  base: bigint;
  /** Exclusive. */
  end: bigint;
}

/** One recorded store, as the emulator keeps it. */
export type DroppedStore = DroppedWrite;

/** The JSON form in RunResult.details.droppedWrites. */
export interface DroppedWritesDetail {
  total: number;
  /** The first stores, symbolised. */
  first: {
    pc: string;
    pcSymbol: string;
    address: string;
    addressSymbol: string;
    size: number;
    value: string;
    device: string;
    command: string;
    effect: string;
  }[];
  /** Per variable (symbol the address falls in), in order of the first store to it. */
  variables: {
    symbol: string;
    address: string;
    stores: number;
    firstPc: string;
    firstPcSymbol: string;
    lastPc: string;
    lastPcSymbol: string;
    lastValue: string;
    device: string;
  }[];
}

const FIRST_KEPT = 32;

export function droppedWritesDetail(
  source: { dropped: readonly DroppedStore[]; droppedTotal: number },
  symbols: Symbolizer,
): DroppedWritesDetail {
  const variables = new Map<string, DroppedWritesDetail['variables'][number]>();
  const variableAt = dataSymbolFinder(symbols);
  for (const write of source.dropped) {
    const hit = variableAt(write.address);
    const symbol = hit ? hit.name : hex(write.address);
    const known = variables.get(symbol);
    const last = { lastPc: hex(write.pc), lastPcSymbol: symbols.format(write.pc), lastValue: hex(write.value) };
    if (known) Object.assign(known, { stores: known.stores + 1, ...last });
    else
      variables.set(symbol, {
        symbol,
        address: hex(hit ? hit.value : write.address),
        stores: 1,
        firstPc: hex(write.pc),
        firstPcSymbol: symbols.format(write.pc),
        ...last,
        device: write.device,
      });
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

/** The data object (STT_OBJECT with its size) containing an address; else the nearest symbol. */
function dataSymbolFinder(symbols: Symbolizer): (address: bigint) => { name: string; value: bigint } | null {
  const objects = symbols.all.filter((s) => s.kind === 'object' && s.size > 0n);
  return (address) => {
    let lo = 0;
    let hi = objects.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const o = objects[mid]!;
      if (address < o.value) hi = mid - 1;
      else if (address >= o.value + o.size) lo = mid + 1;
      else return o;
    }
    // Between objects (alignment padding, the bss-clearing loop): name the object before it.
    const before = objects[hi];
    if (before && address - before.value < 0x1000n) return { name: `${before.name} (padding after it)`, value: before.value + before.size };
    return symbols.lookup(address)?.symbol ?? null;
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
    image.symbols.all
      .filter((s) => s.kind === 'object' && s.value >= start && s.value < end)
      .slice(0, 8)
      .map((s) => `${s.name} (${hex(s.value)})`);
  const warn = (what: string, start: bigint, end: bigint) => {
    if (end <= start || inRam(start, end)) return;
    const window = windowOf(start);
    const variables = variablesIn(start, end);
    const where = window ? `in virt's ${window}` : 'outside every region of virt';
    const effect = window?.startsWith('flash')
      ? "QEMU's CFI flash takes every store to it for a command and drops it"
      : 'stores to it are lost or fault';
    const named = variables.length ? `; it holds ${variables.join(', ')}` : '';
    out.push({
      what,
      start,
      end,
      window,
      variables,
      text: `${what} (${hex(start)}-${hex(end)}) is ${where}, not in RAM (${hex(ram.base)}-${hex(ram.end)}): ${effect}${named}`,
    });
  };
  image.segments.forEach((segment, index) => {
    if (segment.type === 'load' && segment.flags.w && segment.memsz > 0n)
      warn(`writable PT_LOAD segment ${index}`, segment.paddr, segment.paddr + segment.memsz);
  });
  for (const section of image.sections) {
    if (['.data', '.bss', '.noptrdata', '.noptrbss'].includes(section.name) && section.size > 0)
      warn(section.name, section.addr, section.addr + BigInt(section.size));
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
    (v) =>
      `${v.symbol} is at ${v.address}, in virt's flash (${v.device}): QEMU drops the stores to it (${v.stores} store${v.stores === 1 ? '' : 's'} dropped, the first at ${v.firstPcSymbol}, the last ${v.lastValue} at ${v.lastPcSymbol})`,
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
export function layoutExplains(
  finding: LayoutFinding | null,
  conventionBug: boolean,
): { cause: 'layout' | 'convention' | null; latent: 'layout' | 'convention' | null; text: string | null } {
  if (finding && conventionBug) {
    return {
      cause: 'layout',
      latent: 'convention',
      text: `${finding.text}; this explains the marker. The register-convention bug is real but latent: with the stores dropped its path never runs as intended`,
    };
  }
  if (finding) return { cause: 'layout', latent: null, text: `${finding.text}; this explains the marker` };
  if (conventionBug) return { cause: 'convention', latent: null, text: null };
  return { cause: null, latent: null, text: null };
}

/** What the matrix says of a cell whose run (or its emulator peer's) dropped stores. */
export interface CellLayoutFinding {
  kind: 'layout-bug' | 'masked-failure';
  summary: string;
  evidence: string[];
}

/**
 * `failing`: marker ids that read N (or differ from what the kernel expects). `conventionBug`:
 * the diagnosis also found a convention bug. QEMU cannot see dropped stores, so a cell of a
 * console runner is judged on its emulator peer's record of the same bytes.
 */
export function cellLayoutFinding(
  runner: string,
  dropped: DroppedWritesDetail | null | undefined,
  failing: readonly string[],
  conventionBug: boolean,
): CellLayoutFinding | null {
  const finding = droppedStoresFinding(dropped);
  if (!finding) return null;
  const seenBy = runner === 'emu' ? '' : ' (recorded by the emulator on the same bytes; QEMU drops them silently)';
  if (failing.length === 0) {
    // The stores went to flash because of the convention bug (an unset buffer register): that finding explains the cell.
    if (conventionBug) return null;
    if (runner === 'emu')
      return { kind: 'layout-bug', summary: `passes only because the stores went nowhere: ${finding.text}`, evidence: finding.lines };
    return {
      kind: 'masked-failure',
      summary: `passes on ${runner}, but it relied on dropped stores: ${finding.text}${seenBy}`,
      evidence: finding.lines,
    };
  }
  const because = layoutExplains(finding, conventionBug).text ?? finding.text;
  return {
    kind: 'layout-bug',
    summary: `${failing.join(', ')} fail${failing.length === 1 ? 's' : ''} because of the layout: ${because}${seenBy}`,
    evidence: finding.lines,
  };
}
