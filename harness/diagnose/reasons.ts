// The reason, in order: when several findings explain one marker, which one makes it N (or stops
// it being printed) now, and which are latent ("T2 is N because the flag is in flash; the x25 bug
// would fault once the flag is in RAM"). Pure.
//
// Each kind of finding becomes an Explanation through an ExplanationSource; index.ts lists the
// sources. This file provides the barrier ones (a call left to the runtime, a routine that breaks
// the convention, never returns, stores to the flag, clobbers); a dropped store (layout.ts: a
// global linked into flash, whose stores QEMU drops) plugs in the same way with rank RANK.layout.
import { parseMarkers } from '../markers/parse.js';
import type { Finding } from './diagnose.js';
import { LEFT_TO_RUNTIME, QEMU_FLASH_END, undeliveredWrites } from './diagnose.js';
import type { ElfImage } from '../elf/elf.js';
import type { SymbolContext } from './describe.js';
import type { CallTrace } from './trace.js';

export interface Explanation {
  /** "layout", "left-to-runtime", "convention-bug", ... (the finding kind it comes from). */
  kind: string;
  /** The marker it explains ("T2"), or null when it cannot be tied to one. */
  marker: string | null;
  /**
   * now: on this run it alone already makes the marker what it is (a store that never lands, a
   * call that faults or never returns). latent: its effect is absorbed here (stores into QEMU's
   * flash) and shows once that changes.
   */
  effect: 'now' | 'latent';
  /** Among "now" explanations of one marker, the lowest rank is the reason; ties go to execution order. */
  rank: number;
  /** Execution order (serial offset of the first call, or any monotonic number); Infinity when unknown. */
  order: number;
  /** Said as the reason: "the flag runtime.writeBarrier is in flash, where QEMU drops the store". */
  because: string;
  /** Said when another reason comes first: "the x25 bug would fault once the flag is in RAM". */
  latent: string;
}

/**
 * Ranks: what acts first on a marker. A dropped store decides the read-back whatever the barrier
 * does; a call that does not come back (a fault in the runtime's barrier, a routine that never
 * returns) stops the kernel before the check; a convention bug corrupts the check's data; a
 * clobber shows only when the caller uses the register.
 */
export const RANK = { layout: 0, 'no-return': 10, 'left-to-runtime': 10, 'convention-bug': 20, 'flag-store': 30, clobber: 40 } as const;

export interface MarkerReason {
  marker: string;
  /** The value on the explained run ("N", "Y"), or null when it was never printed. */
  value: string | null;
  now: Explanation | null;
  latent: Explanation[];
  /** "T3 is not printed because ...; ... would ..." */
  text: string;
}

/** Orders the explanations of each marker: the reason it is what it is now, then the latent ones. */
export function orderReasons(explanations: readonly Explanation[], markers: Readonly<Record<string, string>>): MarkerReason[] {
  const byMarker = new Map<string, Explanation[]>();
  // Explanations tied to no marker (no marker followed and none is expected) are told as the end of the run.
  for (const e of explanations) {
    const key = e.marker ?? '';
    const list = byMarker.get(key) ?? [];
    list.push(e);
    byMarker.set(key, list);
  }
  const out: MarkerReason[] = [];
  for (const [marker, list] of byMarker) {
    const sorted = [...list].sort((a, b) => a.rank - b.rank || a.order - b.order);
    if (marker === '') {
      const now = sorted.find((e) => e.effect === 'now');
      if (!now) continue;
      const tail = sorted.filter((e) => e !== now).map((e) => e.latent);
      out.push({
        marker,
        value: null,
        now,
        latent: sorted.filter((e) => e !== now),
        text: `No marker follows because ${[now.because, ...tail].join('; ')}.`,
      });
      continue;
    }
    const value = markers[marker] ?? null;
    // Only a marker that is not Y has a reason "now"; on a Y marker everything is latent (masked).
    const now = value === 'Y' ? null : (sorted.find((e) => e.effect === 'now') ?? null);
    const latent = sorted.filter((e) => e !== now);
    const state = value === null ? 'is not printed' : `is ${value}`;
    const head = now
      ? `${marker} ${state} because ${now.because}`
      : value === 'Y'
        ? `${marker} is Y, but`
        : `${marker} ${state}; no finding explains it by itself, but`;
    const tail = latent.map((e) => e.latent);
    const text = now ? [head, ...tail].join('; ') : `${head} ${tail.join('; ')}`;
    out.push({ marker, value, now, latent, text: `${text}.` });
  }
  return out.sort((a, b) => markerNumber(a.marker) - markerNumber(b.marker) || (a.marker < b.marker ? -1 : 1));
}

/** What an ExplanationSource gets: the findings, the traced calls and the run's serial output. */
export interface ExplainContext {
  /** The patched ELF (segments, sections, symbols): where a dropped store's target lives. */
  image: ElfImage;
  symbols: SymbolContext;
  findings: readonly Finding[];
  calls: readonly CallTrace[];
  serial: string;
  /** The markers of that serial output. */
  markers: Readonly<Record<string, string>>;
  /** Markers the kernel is expected to print, in order (the manifest's "expect"), to name one that never was. */
  expectedMarkers: readonly string[];
}

export type ExplanationSource = (context: ExplainContext) => Explanation[];

/** The marker a call precedes: the first one printed after it, else the next expected one never printed. */
export function markerAfter(serial: string, serialAt: number | undefined, expected: readonly string[]): string | null {
  if (serialAt === undefined) return null;
  const after = Object.keys(parseMarkers(serial.slice(serialAt)).markers)[0];
  if (after !== undefined) return after;
  const before = parseMarkers(serial.slice(0, serialAt)).markers;
  return expected.find((m) => !(m in before)) ?? null;
}

/** Explanations of the barrier findings of diagnose.ts. */
export const barrierExplanations: ExplanationSource = (context) => {
  const out: Explanation[] = [];
  for (const f of context.findings) {
    if (f.kind === 'ok' || f.kind === 'not-reached') continue;
    const call = context.calls.find((c) => c.site.location === f.site && (f.calls.length === 0 || f.calls.includes(c.hit)));
    if (!call) continue;
    const marker = markerAfter(context.serial, call.serialAt, context.expectedMarkers);
    const order = call.serialAt ?? Number.POSITIVE_INFINITY;
    const rank = RANK[f.kind as keyof typeof RANK] ?? 50;
    const base = { kind: f.kind, marker, rank, order };
    switch (f.kind) {
      case LEFT_TO_RUNTIME: {
        const stops = !call.returned || call.faults.some((x) => x.phase === 'routine');
        out.push({
          ...base,
          effect: stops ? 'now' : 'latent',
          because: `the call at ${f.site} is left to the runtime's ${f.routine}, which needs g in x28 and ${call.faults.some((x) => x.phase === 'routine') ? 'faults' : 'never comes back'} without one`,
          latent: `the call at ${f.site} left to the runtime's ${f.routine} ${stops ? 'would stop the kernel' : 'works only while x28 holds a real g'}`,
        });
        break;
      }
      case 'convention-bug': {
        // Into virt's flash the stores are dropped (the emulator models it as QEMU does) rather than faulting.
        const bad = undeliveredWrites(call.callerWrites);
        // Stores through the unset register that land in QEMU's flash vanish; ones that land in a
        // buffer left from an earlier call work by accident; the rest act now.
        const absorbed = bad.length > 0 && bad.every((w) => w.address < QEMU_FLASH_END);
        const byAccident = bad.length === 0 && /^x\d+ was not set by /.test(f.text);
        const what = call.site.replaced ? `${f.routine} (for ${call.site.replaced}) at ${f.site}` : `${f.routine} at ${f.site}`;
        out.push({
          ...base,
          effect: absorbed || byAccident ? 'latent' : 'now',
          because: `${what} breaks the barrier convention (${firstClause(f.text)})`,
          latent: absorbed
            ? `the convention bug of ${what} would fault once its stores stop landing in QEMU's flash at ${bad
                .map((w) => `0x${w.address.toString(16)}`)
                .slice(0, 2)
                .join(', ')} (virt's flash drops them: recorded by the emulator)`
            : byAccident
              ? `the convention bug of ${what} is masked by an earlier call (${firstClause(f.text)}, so its stores landed in that buffer by accident)`
              : `the convention bug of ${what} would act once the call comes back to the check`,
        });
        break;
      }
      default:
        out.push({
          ...base,
          effect: f.kind === 'clobber' ? 'latent' : 'now',
          because: `${f.routine} at ${f.site}: ${firstClause(f.text)}`,
          latent: `${f.routine} at ${f.site} also ${f.kind === 'clobber' ? 'clobbers registers' : `shows ${f.kind}`} (${firstClause(f.text)})`,
        });
    }
  }
  return out;
};

/** The first sentence of a finding, without its final period. */
function firstClause(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return (end < 0 ? text : text.slice(0, end)).trim();
}

function markerNumber(id: string): number {
  const m = /(\d+)$/.exec(id);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}
