// Register-convention diagnosis of a patched ELF: trace every redirected call on the emulator,
// decide which convention applies, and say in plain words what each replacement routine did
// wrong (or that it is right). The result is JSON-serialisable (bigints as hex strings).
import type { ElfImage } from '../elf/elf.js';
import { readElf } from '../elf/read-elf.js';
import { WbdiffError } from '../errors.js';
import { unicornModelFor, UNICORN_CPU_MODELS } from '../runners/emu.js';
import { hex } from '../util/hex.js';
import { resolveConvention, type Convention } from './conventions.js';
import { conventionFromOption } from './conventions-file.js';
import { nameValue, routineName, symbolContext, symbolOf, type SymbolContext } from './describe.js';
import { diagnose, groupFindings, LEFT_TO_RUNTIME, verdictOf, type DiagnosisVerdict, type Finding, type FindingGroup } from './diagnose.js';
import { barrierInventory, inventoryLine, type EntryPoint } from './entry-points.js';
import { barrierExplanations, orderReasons, type ExplanationSource, type MarkerReason } from './reasons.js';
import { parseMarkers } from '../markers/parse.js';
import { goVersion } from './go-version.js';
import {
  droppedStoresFinding,
  droppedWritesDetail,
  layoutExplains,
  type DroppedWritesDetail,
  type LayoutFinding,
} from '../machine/layout.js';
import { layoutWarnings } from '../machine/layout-check.js';
import {
  traceCalls,
  traceSitesFrom,
  type CallTrace,
  type ManifestSiteLike,
  type Registers,
  type TraceOptions,
  type TracedWrite,
  type TraceResult,
  type TraceSite,
} from './trace.js';

export { diagnose, groupFindings, verdictOf } from './diagnose.js';
export type { Finding, FindingGroup, FindingKind, DiagnosisVerdict } from './diagnose.js';
export type { Explanation, ExplanationSource, MarkerReason } from './reasons.js';

/**
 * Where the reasons of a marker come from, in no particular order (orderReasons ranks them).
 * A dropped-store (layout) source from layout.ts is added here.
 */
export const EXPLANATION_SOURCES: ExplanationSource[] = [barrierExplanations];
export { goVersion } from './go-version.js';
export { conventionForGo, conventionFromSpec, resolveConvention } from './conventions.js';
export { conventionFromOption, loadConventionFile } from './conventions-file.js';
export type { Convention, ConventionSpec } from './conventions.js';

export interface DiagnoseOptions extends Omit<TraceOptions, 'model'> {
  /** Override: "go1.19", "go1.23", a convention JSON file, or a Convention. */
  convention?: string | Convention | null;
  /** The kernel manifest's "convention" object, if it has one. */
  manifestConvention?: unknown;
  manifestPath?: string;
  /** QEMU -cpu name (default cortex-a57); the emulator's matching model is used. */
  cpu?: string;
  /** Markers the kernel is expected to print, in order (its manifest's "expect"), to name one never printed. */
  expectedMarkers?: string[];
}

export interface WriteSummary {
  pc: string;
  pcSymbol: string;
  insn: string;
  address: string;
  addressSymbol: string | null;
  size: number;
  value: string;
  valueSymbol: string | null;
  source: string | null;
  base: string | null;
  fault: 'unmapped' | 'protected' | null;
  recovered: boolean;
}

export interface CallSummary {
  hit: number;
  /** x0..x30, sp, pc at the call (before the bl). */
  registers: Record<string, string>;
  /** Registers pointing into the image, and g (x28) always: "x2 = &main.gp", "x28 = &main.fakeg". */
  symbolic: string[];
  entered: boolean;
  returned: boolean;
  returnedTo: string | null;
  /** Registers at the return (or where the window ended). */
  after: Record<string, string> | null;
  /** x19-x29 and sp that differ between the call and the return. */
  changedPreserved: { reg: string; before: string; after: string }[];
  routineInstructions: number;
  routineEnd: string;
  routineWrites: WriteSummary[];
  callerInstructions: number;
  callerEnd: string | null;
  callerWrites: WriteSummary[];
  faults: {
    phase: string;
    kind: string;
    pc: string | null;
    pcSymbol: string | null;
    address: string | null;
    addressSymbol: string | null;
    access: string | null;
    detail: string;
    recovered: boolean;
  }[];
  droppedWrites: number;
}

export interface SiteSummary {
  address: string;
  location: string;
  op: string;
  variant: string | null;
  routine: string;
  routineAddress: string;
  replaced: string | null;
  calls: CallSummary[];
  untracedCalls: number;
  reached: boolean;
}

/** One of the runtime's barrier entry points and every call to it. */
export interface EntryPointSummary {
  name: string;
  /** "runtime.gcWriteBarrier2@local" when a kernel routine shares the name. */
  label: string;
  address: string;
  binding: string;
  bytes: number;
  bytesSource: string;
  bytesConfirmed: boolean;
  namesakes: { address: string; label: string; binding: string }[];
  calls: number;
  redirected: number;
  leftToRuntime: number;
  /** Left-behind call sites that ran in the trace. */
  leftRan: number;
  /** "runtime.gcWriteBarrier1 at 0x... (8 bytes): 77 calls, 0 redirected, 77 left to the runtime (1 ran)" */
  line: string;
  /** Every call site: where it goes now and, for the ones left to the runtime, whether it ran. */
  sites: { address: string; location: string; redirectedTo: string | null; ran: boolean | null }[];
}

export interface Diagnosis {
  elf: string;
  goVersion: string | null;
  /** Convention name ("go<=1.20", "go>=1.21", declared name), or "unknown". */
  convention: string;
  conventionLabel: string | null;
  conventionSource: Convention['source'] | null;
  verdict: DiagnosisVerdict;
  findings: Finding[];
  /** The findings grouped by routine and kind: a count and the first example each. */
  groups: FindingGroup[];
  /** "3 of 334 redirected sites reached; unreached sites are not judged" */
  reach: { redirected: number; reached: number; line: string };
  /** The runtime's write-barrier entry points (Go conventions), their calls, redirected or left to the runtime. */
  entryPoints: EntryPointSummary[];
  /** Per marker that findings explain: the reason it is what it is now, then the latent ones. */
  reasons: MarkerReason[];
  /** Redirected sites (and calls left to the runtime that ran). */
  sites: SiteSummary[];
  run: {
    cpu: string;
    model: string;
    outcome: string;
    detail: string;
    pc: string | null;
    pcSymbol: string | null;
    serial: string;
    recoveredPages: string[];
    callerBudget: number;
    routineBudget: number;
  };
  /** Where the writable data lies and which stores the flash dropped (layout.ts). */
  layout: {
    /** The pre-run check: writable segments / .data / .bss outside RAM. */
    warnings: string[];
    droppedStores: DroppedWritesDetail | null;
    finding: LayoutFinding | null;
    /** Which bug explains the markers when a layout bug is present, and which is latent. */
    explains: string | null;
  };
}

const PRESERVED_SHOWN = ['x19', 'x20', 'x21', 'x22', 'x23', 'x24', 'x25', 'x26', 'x27', 'x28', 'x29', 'sp'];

/** Traces and diagnoses the redirected call sites (`redirect-calls`, `call`) of a patched ELF. */
export async function diagnoseElf(
  patchedElfPath: string,
  manifestSites: readonly ManifestSiteLike[],
  options: DiagnoseOptions = {},
): Promise<Diagnosis> {
  const image = await readElf(patchedElfPath);
  const cpu = options.cpu ?? 'cortex-a57';
  const model = unicornModelFor(cpu);
  if (!model) {
    throw new WbdiffError(`the emulator has no CPU model for -cpu "${cpu}"`, {
      hint: `it has: ${Object.keys(UNICORN_CPU_MODELS).join(', ')}`,
    });
  }
  const version = goVersion(image);
  const override = typeof options.convention === 'string' ? await conventionFromOption(options.convention) : (options.convention ?? null);
  const convention = resolveConvention({
    override,
    manifest: options.manifestConvention,
    ...(options.manifestPath !== undefined ? { manifestPath: options.manifestPath } : {}),
    goVersion: version,
  });
  const sites = traceSitesFrom(image, manifestSites);
  const entryPoints = barrierInventory(image, convention, manifestSites);
  // Calls the variant left to the runtime are traced too (when it redirected anything): they run
  // the runtime's barrier, which is what fails next when the kernel has no real g.
  // (A site the variant itself points at the runtime's routine is traced as the variant's.)
  const edited = new Set(sites.map((s) => s.address));
  const left: TraceSite[] = sites.length
    ? entryPoints.flatMap((e) =>
        e.calls
          .filter((c) => c.redirectedTo === null && !edited.has(c.address))
          .map((c) => ({
            address: c.address,
            location: c.location,
            op: LEFT_TO_RUNTIME,
            variant: null,
            routine: e.address,
            routineSymbol: e.label,
            replaced: null,
          })),
      )
    : [];
  const { convention: _c, manifestConvention: _m, manifestPath: _p, cpu: _cpu, expectedMarkers = [], ...traceOptions } = options;
  const trace = sites.length ? await traceCalls(image, [...sites, ...left], { ...traceOptions, model }) : null;
  return summarise(image, patchedElfPath, cpu, version, convention, sites.length, trace, model, entryPoints, expectedMarkers);
}

function summarise(
  image: ElfImage,
  path: string,
  cpu: string,
  version: string | null,
  convention: Convention | null,
  siteCount: number,
  trace: TraceResult | null,
  model: string,
  entryPoints: readonly EntryPoint[],
  expectedMarkers: readonly string[],
): Diagnosis {
  const ctx = symbolContext(image);
  const runEnd = trace ? runEndWords(trace, ctx) : undefined;
  const findings = trace
    ? diagnose({
        calls: trace.calls,
        notReached: trace.notReached,
        ...(runEnd && trace.outcome.kind !== 'poweroff' ? { runEnd } : {}),
        convention,
        symbols: ctx,
        entryPoints,
      })
    : [];
  const ran = new Set((trace?.calls ?? []).map((c) => c.site.address));
  const reached = (trace?.calls ?? []).filter((c) => c.site.op !== LEFT_TO_RUNTIME).map((c) => c.site.address);
  const reachedCount = new Set(reached).size;
  const markers = trace ? parseMarkers(trace.serial).markers : {};
  const explanations = trace
    ? EXPLANATION_SOURCES.flatMap((source) =>
        source({ image, symbols: ctx, findings, calls: trace.calls, serial: trace.serial, markers, expectedMarkers }),
      )
    : [];
  const reasons = orderReasons(explanations, markers);
  const sites: SiteSummary[] = [];
  for (const call of trace?.calls ?? []) {
    let site = sites.find((s) => s.address === hex(call.site.address));
    if (!site) {
      site = siteSummary(call.site, trace!, true);
      sites.push(site);
    }
    site.calls.push(callSummary(call, ctx));
  }
  for (const s of trace?.notReached ?? []) if (s.op !== LEFT_TO_RUNTIME) sites.push(siteSummary(s, trace!, false));
  const droppedStores = trace && trace.droppedStores.droppedTotal > 0 ? droppedWritesDetail(trace.droppedStores, image.symbols) : null;
  const layoutFinding = droppedStoresFinding(droppedStores);
  const conventionBug = findings.some(
    (f) => f.kind === 'convention-bug' || f.kind === 'clobber' || f.kind === 'no-return' || f.kind === 'flag-store',
  );
  return {
    elf: path,
    goVersion: version,
    convention: convention?.name ?? 'unknown',
    conventionLabel: convention?.label ?? null,
    conventionSource: convention?.source ?? null,
    verdict: verdictOf(findings, siteCount),
    findings,
    groups: groupFindings(findings),
    reach: {
      redirected: siteCount,
      reached: reachedCount,
      line: `${reachedCount} of ${siteCount} redirected site${siteCount === 1 ? '' : 's'} reached; unreached sites are not judged`,
    },
    entryPoints: entryPoints.map((e) => entrySummary(e, trace ? ran : null)),
    reasons,
    sites,
    run: {
      cpu,
      model,
      outcome: trace?.outcome.kind ?? 'not run',
      detail: trace?.outcome.detail ?? 'no redirected call sites in the manifest: nothing to trace',
      pc: trace?.outcome.pc != null ? hex(trace.outcome.pc) : null,
      pcSymbol: trace?.outcome.pc != null ? image.symbols.format(trace.outcome.pc) : null,
      serial: trace?.serial ?? '',
      recoveredPages: (trace?.recoveredPages ?? []).map((p) => hex(p)),
      callerBudget: trace?.settings.callerBudget ?? 0,
      routineBudget: trace?.settings.routineBudget ?? 0,
    },
    layout: {
      warnings: layoutWarnings(image).map((w) => w.text),
      droppedStores,
      finding: layoutFinding,
      explains: layoutExplains(layoutFinding, conventionBug).text,
    },
  };
}

function entrySummary(e: EntryPoint, ran: ReadonlySet<bigint> | null): EntryPointSummary {
  const left = e.calls.filter((c) => c.redirectedTo === null);
  const leftRan = ran ? left.filter((c) => ran.has(c.address)).length : 0;
  return {
    name: e.name,
    label: e.label,
    address: hex(e.address),
    binding: e.binding ?? 'global',
    bytes: e.bytes,
    bytesSource: e.bytesSource,
    bytesConfirmed: e.bytesConfirmed,
    namesakes: e.namesakes.map((n) => ({ address: hex(n.address), label: n.label, binding: n.binding })),
    calls: e.calls.length,
    redirected: e.calls.length - left.length,
    leftToRuntime: left.length,
    leftRan,
    line: inventoryLine(e, leftRan),
    sites: e.calls.map((c) => ({
      address: hex(c.address),
      location: c.location,
      redirectedTo: c.redirectedTo,
      ran: c.redirectedTo === null && ran ? ran.has(c.address) : null,
    })),
  };
}

function siteSummary(site: CallTrace['site'], trace: TraceResult, reached: boolean): SiteSummary {
  return {
    address: hex(site.address),
    location: site.location,
    op: site.op,
    variant: site.variant,
    routine: routineName(site.routineSymbol),
    routineAddress: hex(site.routine),
    replaced: site.replaced,
    calls: [],
    untracedCalls: trace.untraced.find((u) => u.address === site.address)?.count ?? 0,
    reached,
  };
}

function callSummary(call: CallTrace, ctx: SymbolContext): CallSummary {
  const symbolic: string[] = [];
  call.before.x.forEach((v, i) => {
    const s = symbolOf(ctx, v);
    if (s) symbolic.push(`x${i} = ${s}`);
    else if (i === 28) symbolic.push(`x28 = ${hex(v)}`);
  });
  const spSymbol = symbolOf(ctx, call.before.sp);
  if (spSymbol) symbolic.push(`sp = ${spSymbol}`);
  const changedPreserved = call.after
    ? PRESERVED_SHOWN.filter((r) => regValue(call.before, r) !== regValue(call.after!, r)).map((r) => ({
        reg: r,
        before: nameValue(ctx, regValue(call.before, r)),
        after: nameValue(ctx, regValue(call.after!, r)),
      }))
    : [];
  return {
    hit: call.hit,
    registers: registerMap(call.before),
    symbolic,
    entered: call.entered,
    returned: call.returned,
    returnedTo: call.returned ? ctx.symbols.format(call.site.address + 4n) : null,
    after: call.after ? registerMap(call.after) : null,
    changedPreserved: call.returned ? changedPreserved : [],
    routineInstructions: call.routineInstructions,
    routineEnd: call.routineEnd,
    routineWrites: call.routineWrites.map((w) => writeSummary(w, ctx)),
    callerInstructions: call.callerInstructions,
    callerEnd: call.callerEnd,
    callerWrites: call.callerWrites.map((w) => writeSummary(w, ctx)),
    faults: call.faults.map((f) => ({
      phase: f.phase,
      kind: f.kind,
      pc: f.pc === null ? null : hex(f.pc),
      pcSymbol: f.pc === null ? null : ctx.symbols.format(f.pc),
      address: f.address === null ? null : hex(f.address),
      addressSymbol: f.address === null ? null : symbolOf(ctx, f.address),
      access: f.access,
      detail: f.detail,
      recovered: f.recovered,
    })),
    droppedWrites: call.droppedWrites,
  };
}

function writeSummary(w: TracedWrite, ctx: SymbolContext): WriteSummary {
  return {
    pc: hex(w.pc),
    pcSymbol: ctx.symbols.format(w.pc),
    insn: w.insn,
    address: hex(w.address),
    addressSymbol: symbolOf(ctx, w.address),
    size: w.size,
    value: hex(w.value),
    valueSymbol: symbolOf(ctx, w.value),
    source: w.source,
    base: w.base,
    fault: w.fault,
    recovered: w.recovered,
  };
}

function registerMap(regs: Registers): Record<string, string> {
  const out: Record<string, string> = {};
  regs.x.forEach((v, i) => (out[`x${i}`] = hex(v)));
  out['sp'] = hex(regs.sp);
  out['pc'] = hex(regs.pc);
  return out;
}

function regValue(regs: Registers, name: string): bigint {
  return name === 'sp' ? regs.sp : regs.x[Number(name.slice(1))]!;
}

function runEndWords(trace: TraceResult, ctx: SymbolContext): string {
  const o = trace.outcome;
  if (o.kind === 'fault' && trace.fault) {
    const f = trace.fault;
    const at = f.pc === null ? '' : ` at ${ctx.symbols.format(f.pc)}`;
    const addr = f.address === null ? '' : ` (${f.access ?? 'access'} of ${nameValue(ctx, f.address)})`;
    return `${f.kind}${at}${addr}`;
  }
  return o.detail;
}
