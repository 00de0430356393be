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
import { diagnose, verdictOf, type DiagnosisVerdict, type Finding } from './diagnose.js';
import { goVersion } from './go-version.js';
import { droppedStoresFinding, droppedWritesDetail, layoutExplains, type DroppedWritesDetail, type LayoutFinding } from './layout.js';
import { layoutWarnings } from './layout-check.js';
import { traceCalls, traceSitesFrom, type CallTrace, type ManifestSiteLike, type Registers, type TraceOptions, type TracedWrite, type TraceResult } from './trace.js';

export { diagnose, verdictOf } from './diagnose.js';
export type { Finding, FindingKind, DiagnosisVerdict } from './diagnose.js';
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
  faults: { phase: string; kind: string; pc: string | null; pcSymbol: string | null; address: string | null; addressSymbol: string | null; access: string | null; detail: string; recovered: boolean }[];
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

export interface Diagnosis {
  elf: string;
  goVersion: string | null;
  /** Convention name ("go<=1.20", "go>=1.21", declared name), or "unknown". */
  convention: string;
  conventionLabel: string | null;
  conventionSource: Convention['source'] | null;
  verdict: DiagnosisVerdict;
  findings: Finding[];
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
export async function diagnoseElf(patchedElfPath: string, manifestSites: readonly ManifestSiteLike[], options: DiagnoseOptions = {}): Promise<Diagnosis> {
  const image = await readElf(patchedElfPath);
  const cpu = options.cpu ?? 'cortex-a57';
  const model = unicornModelFor(cpu);
  if (!model) {
    throw new WbdiffError(`the emulator has no CPU model for -cpu "${cpu}"`, { hint: `it has: ${Object.keys(UNICORN_CPU_MODELS).join(', ')}` });
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
  const { convention: _c, manifestConvention: _m, manifestPath: _p, cpu: _cpu, ...traceOptions } = options;
  const trace = sites.length ? traceCalls(image, sites, { ...traceOptions, model }) : null;
  return summarise(image, patchedElfPath, cpu, version, convention, sites.length, trace, model);
}

function summarise(image: ElfImage, path: string, cpu: string, version: string | null, convention: Convention | null, siteCount: number, trace: TraceResult | null, model: string): Diagnosis {
  const ctx = symbolContext(image);
  const runEnd = trace ? runEndWords(trace, ctx) : undefined;
  const findings = trace
    ? diagnose({ calls: trace.calls, notReached: trace.notReached, ...(runEnd && trace.outcome.kind !== 'poweroff' ? { runEnd } : {}), convention, symbols: ctx })
    : [];
  const sites: SiteSummary[] = [];
  for (const call of trace?.calls ?? []) {
    let site = sites.find((s) => s.address === hex(call.site.address));
    if (!site) {
      site = siteSummary(call.site, trace!, true);
      sites.push(site);
    }
    site.calls.push(callSummary(call, ctx));
  }
  for (const s of trace?.notReached ?? []) sites.push(siteSummary(s, trace!, false));
  const droppedStores = trace && trace.droppedStores.droppedTotal > 0 ? droppedWritesDetail(trace.droppedStores, image.symbols) : null;
  const layoutFinding = droppedStoresFinding(droppedStores);
  const conventionBug = findings.some((f) => f.kind === 'convention-bug' || f.kind === 'clobber' || f.kind === 'no-return' || f.kind === 'flag-store');
  return {
    elf: path,
    goVersion: version,
    convention: convention?.name ?? 'unknown',
    conventionLabel: convention?.label ?? null,
    conventionSource: convention?.source ?? null,
    verdict: verdictOf(findings, siteCount),
    findings,
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
    ? PRESERVED_SHOWN.filter((r) => regValue(call.before, r) !== regValue(call.after!, r)).map((r) => ({ reg: r, before: nameValue(ctx, regValue(call.before, r)), after: nameValue(ctx, regValue(call.after!, r)) }))
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
