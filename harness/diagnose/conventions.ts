// What a write-barrier routine must do, per Go version (checked against the toolchains' own
// sources; see kernels/gowb/README.md), and the small JSON shape a non-Go kernel uses to declare
// its own ("convention" in kernel.json, or `--convention <file>`).
import { WbdiffError } from '../errors.js';
import { parseGoVersion } from './go-version.js';

/** A general register x0..x30, or sp. */
export type Reg = string;

export interface Convention {
  /** "go<=1.20", "go>=1.21", or the declared name. */
  name: string;
  /** Subject of sentences: "Go 1.19's barrier", "the declared convention \"mine\"". */
  label: string;
  source: 'go-version' | 'manifest' | 'override';
  /**
   * store: the routine gets the slot and the value in registers and performs the store itself.
   * buffer: the routine returns buffer space in a register; the compiled code fills the buffer
   * and performs the slot store itself.
   */
  style: 'store' | 'buffer';
  args: { slot: Reg; value: Reg } | null;
  performsStore: boolean;
  returns: { buffer: Reg; bytes: number | null } | null;
  /** The routines the compiled code calls (what a variant redirects away from). */
  routines: string[];
  /** Symbol of the write-barrier enable flag, when there is one. */
  flag: string | null;
  /** Must hold the same value at the return as at the call. */
  preserved: Reg[];
  /** May change across the call (besides the returned register). */
  scratch: Reg[];
  /** Why some registers are special, for the texts. */
  reserved: Record<Reg, string>;
  /** Where the rules come from. */
  references: string[];
}

/** The declared shape (kernel.json "convention", or a --convention file). */
export interface ConventionSpec {
  name: string;
  description?: string;
  args?: { slot: Reg; value: Reg };
  performsStore?: boolean;
  returns?: { buffer: Reg; bytes?: number };
  routines?: string[];
  flag?: string;
  preserve?: Reg[];
  scratch?: Reg[];
}

export const CONVENTION_SHAPE_HINT =
  'a convention is {"name": "...", "args": {"slot": "x2", "value": "x3"}, "performsStore": true} or {"name": "...", "returns": {"buffer": "x25", "bytes": 16}}; ' +
  'optional: "routines": [symbols], "flag": symbol, "preserve": [registers], "scratch": [registers]';

const ALL_GPRS: Reg[] = Array.from({ length: 31 }, (_, i) => `x${i}`);
const CALLEE_SAVED: Reg[] = [...Array.from({ length: 11 }, (_, i) => `x${19 + i}`), 'sp'];

/** Registers with a fixed role in Go's arm64 ABI (cmd/internal/obj/arm64/a.out.go) and AAPCS64. */
export const RESERVED: Readonly<Record<Reg, string>> = {
  x18: 'the platform register',
  x27: "REGTMP, the Go assembler's scratch register",
  x28: 'g, the current goroutine',
  x29: 'the frame pointer',
  x30: 'the link register',
  sp: 'the stack pointer',
};

// Go's compiler tells its register allocator that the barrier call kills only x16, x17 and x30
// (LoweredWB in cmd/compile/internal/ssa/{gen,_gen}/ARM64Ops.go, 1.19 and 1.23 alike); x27 is
// never allocated (REGTMP). Everything else must survive the call.
const GO_SCRATCH: Reg[] = ['x16', 'x17', 'x27', 'x30'];
const goPreserved = (output: Reg | null): Reg[] => [...ALL_GPRS, 'sp'].filter((r) => !GO_SCRATCH.includes(r) && r !== output);

const GO_STORE: Omit<Convention, 'label' | 'source'> = {
  name: 'go<=1.20',
  style: 'store',
  args: { slot: 'x2', value: 'x3' },
  performsStore: true,
  returns: null,
  routines: ['runtime.gcWriteBarrier'],
  flag: 'runtime.writeBarrier',
  preserved: goPreserved(null),
  scratch: GO_SCRATCH,
  reserved: RESERVED,
  references: [
    'go1.19.8 src/runtime/asm_arm64.s gcWriteBarrier: "R2 is the destination of the write, R3 is the value being written at R2"; it does the store itself',
    'cmd/compile/internal/ssa/gen/ARM64Ops.go LoweredWB: inputs R2, R3; clobbers R16 R17 R30',
  ],
};

const GO_BUFFER: Omit<Convention, 'label' | 'source'> = {
  name: 'go>=1.21',
  style: 'buffer',
  args: null,
  performsStore: false,
  returns: { buffer: 'x25', bytes: null },
  routines: Array.from({ length: 8 }, (_, i) => `runtime.gcWriteBarrier${i + 1}`),
  flag: 'runtime.writeBarrier',
  preserved: goPreserved('x25'),
  scratch: GO_SCRATCH,
  reserved: { ...RESERVED, x25: 'the buffer pointer the barrier returns' },
  references: [
    'go1.23.5 src/runtime/asm_arm64.s gcWriteBarrier<>: "returns a pointer to the buffer space in R25"; gcWriteBarrierN asks for 8*N bytes',
    'cmd/compile/internal/ssa/_gen/ARM64Ops.go LoweredWB: "Returns a pointer to a write barrier buffer in R25"; clobbers R16 R17 R30',
  ],
};

/** The convention of the Go release that built the binary ("go1.19.8" -> Go <= 1.20's). */
export function conventionForGo(version: string, source: Convention['source'] = 'go-version'): Convention {
  const parsed = parseGoVersion(version);
  if (!parsed) throw new WbdiffError(`"${version}" is not a Go version`, { hint: 'write it like go1.19 or go1.23.5' });
  const base = parsed.major > 1 || parsed.minor >= 21 ? GO_BUFFER : GO_STORE;
  return { ...base, label: `Go ${parsed.major}.${parsed.minor}'s barrier`, source };
}

/** The convention a declared shape describes; throws a WbdiffError naming `where` when it is malformed. */
export function conventionFromSpec(value: unknown, where: string, source: Convention['source']): Convention {
  const spec = validateSpec(value, where);
  const returned = spec.returns?.buffer ?? null;
  const scratch = spec.scratch ?? [];
  return {
    name: spec.name,
    label: `the declared convention "${spec.name}"`,
    source,
    style: spec.returns ? 'buffer' : 'store',
    args: spec.args ?? null,
    performsStore: spec.returns ? false : (spec.performsStore ?? true),
    returns: spec.returns ? { buffer: spec.returns.buffer, bytes: spec.returns.bytes ?? null } : null,
    routines: spec.routines ?? [],
    flag: spec.flag ?? null,
    preserved: spec.preserve ?? CALLEE_SAVED.filter((r) => r !== returned && !scratch.includes(r)),
    scratch,
    reserved: returned ? { ...RESERVED, [returned]: 'the buffer pointer the barrier returns' } : { ...RESERVED },
    references: spec.description ? [spec.description] : [],
  };
}

/**
 * Which convention to expect: an explicit override, else the one the kernel manifest declares,
 * else the one of the Go version recorded in the ELF; null when none applies.
 */
export function resolveConvention(input: {
  override?: Convention | null;
  manifest?: unknown;
  manifestPath?: string;
  goVersion?: string | null;
}): Convention | null {
  if (input.override) return input.override;
  if (input.manifest !== undefined && input.manifest !== null) {
    return conventionFromSpec(input.manifest, `${input.manifestPath ?? 'kernel.json'}: "convention"`, 'manifest');
  }
  if (input.goVersion && parseGoVersion(input.goVersion)) return conventionForGo(input.goVersion);
  return null;
}

// ------------------------------------------------------------ validation

function validateSpec(value: unknown, where: string): ConventionSpec {
  const fail = (what: string): never => {
    throw new WbdiffError(`invalid convention: ${what}`, { where, hint: CONVENTION_SHAPE_HINT });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('it must be a JSON object');
  const v = value as Record<string, unknown>;
  const known = ['name', 'description', 'args', 'performsStore', 'returns', 'routines', 'flag', 'preserve', 'scratch', '$schema'];
  for (const key of Object.keys(v)) if (!known.includes(key)) fail(`unknown property "${key}"`);
  if (typeof v['name'] !== 'string' || v['name'] === '') fail('"name" must be a non-empty string');
  if (v['description'] !== undefined && typeof v['description'] !== 'string') fail('"description" must be a string');
  const hasArgs = v['args'] !== undefined;
  const hasReturns = v['returns'] !== undefined;
  if (hasArgs === hasReturns)
    fail('give exactly one of "args" (the routine gets slot and value) or "returns" (the routine returns buffer space)');
  if (hasArgs) {
    const args = v['args'] as Record<string, unknown>;
    if (typeof args !== 'object' || args === null) fail('"args" must be an object {"slot": "x2", "value": "x3"}');
    for (const key of Object.keys(args)) if (key !== 'slot' && key !== 'value') fail(`"args" has an unknown property "${key}"`);
    checkReg(args['slot'], '"args.slot"', fail);
    checkReg(args['value'], '"args.value"', fail);
    if (args['slot'] === args['value']) fail('"args.slot" and "args.value" must be different registers');
  }
  if (v['performsStore'] !== undefined && typeof v['performsStore'] !== 'boolean') fail('"performsStore" must be true or false');
  if (hasReturns) {
    const returns = v['returns'] as Record<string, unknown>;
    if (typeof returns !== 'object' || returns === null) fail('"returns" must be an object {"buffer": "x25"}');
    for (const key of Object.keys(returns)) if (key !== 'buffer' && key !== 'bytes') fail(`"returns" has an unknown property "${key}"`);
    checkReg(returns['buffer'], '"returns.buffer"', fail);
    if (returns['bytes'] !== undefined && (!Number.isInteger(returns['bytes']) || (returns['bytes'] as number) <= 0))
      fail('"returns.bytes" must be a positive whole number');
    if (v['performsStore'] === true) fail('"performsStore": true contradicts "returns": with a buffer the compiled code does the store');
  }
  for (const key of ['routines', 'preserve', 'scratch']) {
    const list = v[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item === '')) fail(`"${key}" must be a list of strings`);
    if (key !== 'routines') (list as unknown[]).forEach((r, i) => checkReg(r, `"${key}[${i}]"`, fail));
  }
  if (v['flag'] !== undefined && (typeof v['flag'] !== 'string' || v['flag'] === '')) fail('"flag" must be a symbol name');
  return v as unknown as ConventionSpec;
}

function checkReg(value: unknown, what: string, fail: (m: string) => never): void {
  if (value === undefined) fail(`${what} is missing`);
  if (typeof value !== 'string' || !isReg(value)) fail(`${what} must be a register x0..x30 or sp, not ${JSON.stringify(value)}`);
}

export function isReg(name: string): boolean {
  return name === 'sp' || /^x([0-9]|[12][0-9]|30)$/.test(name);
}
