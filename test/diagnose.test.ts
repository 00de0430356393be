// Register-convention diagnosis: the real gowb kernels (built by the harness's own builder,
// patched by its own patcher, traced on the real emulator), plus unit tests of the pure parts
// (diagnose.ts on hand-made traces, conventions, buildinfo parsing, store operands).
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../harness/build/builder.js';
import { resolveTargets } from '../harness/build/manifest.js';
import { parseElf, type ElfImage, type ElfSection, type ElfSegment } from '../harness/elf/elf.js';
import { readElf } from '../harness/elf/read-elf.js';
import { Symbolizer, type ElfSymbol } from '../harness/elf/symbols.js';
import { WbdiffError } from '../harness/errors.js';
import { patchedElf } from '../harness/patch/patched-build.js';
import { loadVariant } from '../harness/patch/variant.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { conventionForGo, conventionFromSpec, resolveConvention } from '../harness/diagnose/conventions.js';
import { nameValue, symbolContext, symbolOf, type SymbolContext } from '../harness/diagnose/describe.js';
import { diagnose, verdictOf, type Finding } from '../harness/diagnose/diagnose.js';
import { goVersion, BUILDINFO_MAGIC } from '../harness/diagnose/go-version.js';
import { diagnoseElf, type Diagnosis, type DiagnoseOptions } from '../harness/diagnose/index.js';
import { parseStore } from '../harness/diagnose/store-insn.js';
import type { CallTrace, Registers, TracedWrite, TraceSite } from '../harness/diagnose/trace.js';

// ------------------------------------------------------------ real builds

type GoVersion = '1.19' | '1.23';
const builds = new Map<string, ReturnType<typeof buildTarget>>();

async function buildTarget(spec: string) {
  const [target] = await resolveTargets(spec);
  return build(target!);
}

function built(spec: string) {
  let b = builds.get(spec);
  if (!b) {
    b = buildTarget(spec);
    builds.set(spec, b);
  }
  return b;
}

async function diagnoseVariant(go: GoVersion, variant: string, options: DiagnoseOptions = {}): Promise<Diagnosis> {
  const b = await built(`gowb@go${go}`);
  const loaded = await loadVariant(join(KERNELS_DIR, 'gowb', 'variants', `go${go}`, `${variant}.json`));
  const patched = await patchedElf(b.elfPath, b.elfHash, [loaded]);
  return diagnoseElf(patched.elfPath, patched.manifest.sites, options);
}

const ofKind = (d: Diagnosis, kind: Finding['kind']) => d.findings.filter((f) => f.kind === kind);

test('go-version: reads go1.19 and go1.23 builds as `go version` reports them', async (t) => {
  for (const go of ['1.19', '1.23'] as const) {
    const b = await built(`gowb@go${go}`);
    const expected = /go(\d+\.\d+\.\d+)/.exec(b.toolchain.version)?.[0];
    t.truthy(expected, b.toolchain.version);
    t.is(goVersion(await readElf(b.elfPath)), expected!);
    t.regex(expected!, new RegExp(`^go${go.replace('.', '\\.')}\\.`));
  }
});

test('go-version: null for a gcc kernel (hello)', async (t) => {
  const b = await built('hello');
  t.is(goVersion(await readElf(b.elfPath)), null);
});

test('go 1.19 seed-barrier: convention bug naming x2, x3, x27 and the slot, and the store to the flag', async (t) => {
  const d = await diagnoseVariant('1.19', 'seed-barrier');
  t.is(d.goVersion, 'go1.19.8');
  t.is(d.convention, 'go<=1.20');
  t.is(d.verdict, 'convention-bug');
  const bugs = ofKind(d, 'convention-bug');
  t.is(bugs.length, 3, 'one per barriered store (T1..T3)');
  const first = bugs.find((f) => f.site === 'main.kmain+0x7c')!;
  t.truthy(first);
  t.is(first.routine, 'main.wbSeed');
  t.true(
    first.text.startsWith(
      'main.wbSeed at main.kmain+0x7c stored x2 (=&main.gp, the slot) into [x27] (=&runtime.writeBarrier); the slot was never written.',
    ),
    first.text,
  );
  t.regex(
    first.text,
    /Go 1\.19's barrier takes the slot in x2 and the value in x3 \(=&main\.t1\) and performs the store itself: the routine should store x3 to \[x2\]\./,
  );
  t.regex(first.text, /x27 is REGTMP/);
  const flags = ofKind(d, 'flag-store');
  t.is(flags.length, 3);
  t.regex(flags[0]!.text, /wrote into the write-barrier flag runtime\.writeBarrier itself/);
  // The trace itself: registers at the call, the routine's one write, the return.
  const call = d.sites.find((s) => s.location === 'main.kmain+0x7c')!.calls[0]!;
  t.true(call.symbolic.includes('x2 = &main.gp'), call.symbolic.join(', '));
  t.true(call.symbolic.includes('x3 = &main.t1'));
  t.true(call.symbolic.includes('x27 = &runtime.writeBarrier'));
  t.true(call.symbolic.includes('x28 = &main.fakeg'));
  t.deepEqual(
    call.routineWrites.map((w) => [w.insn, w.addressSymbol, w.valueSymbol, w.source, w.base]),
    [['str x2, [x27]', '&runtime.writeBarrier', '&main.gp', 'x2', 'x27']],
  );
  t.true(call.entered);
  t.true(call.returned);
  t.is(call.returnedTo, 'main.kmain+0x80');
  t.deepEqual(call.changedPreserved, []);
  t.is(call.callerEnd, 'serial', 'the caller window ends at the next serial output');
  // JSON-serialisable as it is (no bigints left).
  t.deepEqual(JSON.parse(JSON.stringify(d)), d);
});

for (const variant of ['fixed-barrier', 'old-convention']) {
  test(`go 1.19 ${variant}: ok`, async (t) => {
    const d = await diagnoseVariant('1.19', variant);
    t.is(d.verdict, 'ok');
    t.is(d.findings.length, 3);
    for (const f of d.findings) {
      t.is(f.kind, 'ok');
      t.regex(
        f.text,
        /^main\.wbOld at main\.kmain\+0x[0-9a-f]+ stored x3 \(=&main\.t\d, the value\) to \[x2\] \(=&main\.g[psa][^)]*, the slot\)/,
      );
    }
  });
}

test('go 1.19 buffer-convention: convention bug, the slot never written (and x25 clobbered)', async (t) => {
  const d = await diagnoseVariant('1.19', 'buffer-convention');
  t.is(d.verdict, 'convention-bug');
  const bugs = ofKind(d, 'convention-bug');
  t.is(bugs.length, 3);
  t.regex(bugs[0]!.text, /^main\.wbBuf at main\.kmain\+0x7c wrote nothing to memory; the slot \[x2\] \(=&main\.gp\) was never written\./);
  t.regex(bugs[0]!.text, /It set x25 = &main\.wbbuf instead, which is what Go >= 1\.21's barrier does/);
  t.regex(ofKind(d, 'clobber')[0]!.text, /x25 0x0 -> &main\.wbbuf changed and not restored/);
});

for (const variant of ['seed-barrier', 'old-convention']) {
  const routine = variant === 'seed-barrier' ? 'main.wbSeed' : 'main.wbOld';
  test(`go 1.23 ${variant}: convention bug, x25 not set, the caller's stores through it named`, async (t) => {
    const d = await diagnoseVariant('1.23', variant);
    t.is(d.goVersion, 'go1.23.5');
    t.is(d.convention, 'go>=1.21');
    t.is(d.verdict, 'convention-bug');
    const bugs = ofKind(d, 'convention-bug');
    t.is(bugs.length, 3, "every site traced: the stores at 0x0 go to virt's flash, which drops them");
    t.true(
      bugs[0]!.text.startsWith(
        `x25 was not set by ${routine} (called at main.kmain+0x58): it still held 0x0 from before the call. The caller stored x0 (=&main.t1) to [x25] = 0x0 and x1 (=0x0) to [x25+0x8] = 0x8`,
      ),
      bugs[0]!.text,
    );
    t.regex(bugs[0]!.text, /on QEMU virt it is flash, where such stores vanish and every marker can still say Y: a masked failure/);
    t.regex(bugs[0]!.text, /runtime\.gcWriteBarrier2: 16 bytes/);
    t.deepEqual(d.run.recoveredPages, [], 'nothing to recover: the emulator models the flash');
    t.true((d.layout.droppedStores?.total ?? 0) > 0);
    t.is(d.run.outcome, 'poweroff');
  });
}

test("go 1.23 seed-barrier without fault recovery: the stores through x25 go to virt's flash and are dropped, as on QEMU; still named", async (t) => {
  const d = await diagnoseVariant('1.23', 'seed-barrier', { recoverFaults: false });
  t.is(d.verdict, 'convention-bug');
  t.is(d.run.outcome, 'poweroff', 'the emulator models the flash: nothing faults');
  const [bug] = ofKind(d, 'convention-bug');
  t.regex(
    bug!.text,
    /^x25 was not set by main\.wbSeed \(called at main\.kmain\+0x58\): it still held 0x0 from before the call\. The caller stored x0 \(=&main\.t1\) to \[x25\] = 0x0 .*— 0x0 is virt's flash, not RAM: the store is dropped there \(the emulator records it\), and on QEMU virt it is flash/,
  );
  t.is(ofKind(d, 'not-reached').length, 0);
  const call = d.sites[0]!.calls[0]!;
  t.not(call.callerEnd, 'fault');
  t.deepEqual(call.faults, []);
  t.is(d.layout.droppedStores?.first[0]?.address, '0x0', 'the dropped store is recorded');
});

for (const variant of ['buffer-convention', 'fixed-barrier']) {
  test(`go 1.23 ${variant}: ok`, async (t) => {
    const d = await diagnoseVariant('1.23', variant);
    t.is(d.verdict, 'ok');
    t.is(d.findings.length, 3);
    for (const f of d.findings) {
      t.is(f.kind, 'ok');
      t.regex(
        f.text,
        /^main\.wbBuf at main\.kmain\+0x[0-9a-f]+ returned to main\.kmain\+0x[0-9a-f]+ with the preserved registers intact and x25 = &main\.wbbuf; the caller then stored \S+ \(=&main\.t\d\) to \[x25\] \(=&main\.wbbuf\)/,
      );
    }
  });
}

test('force-barrier redirects nothing: no sites, nothing traced', async (t) => {
  const d = await diagnoseVariant('1.19', 'force-barrier');
  t.is(d.verdict, 'no-sites');
  t.deepEqual(d.findings, []);
});

test('--convention overrides the Go version; a manifest convention beats it too', async (t) => {
  const over = await diagnoseVariant('1.19', 'fixed-barrier', { convention: 'go1.23' });
  t.is(over.convention, 'go>=1.21');
  t.is(over.conventionSource, 'override');
  t.is(over.verdict, 'convention-bug');
  t.regex(ofKind(over, 'convention-bug')[0]!.text, /^x25 was not set by main\.wbOld/);
  const declared = await diagnoseVariant('1.19', 'fixed-barrier', {
    manifestConvention: { name: 'mine', args: { slot: 'x2', value: 'x3' }, performsStore: true },
  });
  t.is(declared.convention, 'mine');
  t.is(declared.conventionSource, 'manifest');
  t.is(declared.verdict, 'ok');
  t.regex(declared.findings[0]!.text, /matches the declared convention "mine"/);
});

// ------------------------------------------------------------ a hand-made non-Go kernel

const BASE = 0x4008_0000n;
const movz = (rd: number, imm: number) => (0xd2800000 | (imm << 5) | rd) >>> 0;
const bl = (from: bigint, to: bigint) => (0x94000000 | (Number((to - from) / 4n) & 0x3ffffff)) >>> 0;
const RET = 0xd65f03c0;
const B_SELF = 0x14000000;

/** A minimal ET_EXEC AArch64 ELF: one RWX PT_LOAD at BASE and a symbol table. */
function tinyElf(code: number[], symbols: { name: string; offset: number; size: number }[]): Uint8Array {
  const text = Buffer.from(new Uint32Array(code).buffer);
  const strtab = Buffer.concat([Buffer.from([0]), ...symbols.map((s) => Buffer.from(`${s.name}\0`))]);
  const symtab = Buffer.alloc(24 * (symbols.length + 1));
  let name = 1;
  symbols.forEach((s, i) => {
    const o = 24 * (i + 1);
    symtab.writeUInt32LE(name, o);
    symtab[o + 4] = 0x12; // global func
    symtab.writeUInt16LE(1, o + 6);
    symtab.writeBigUInt64LE(BASE + BigInt(s.offset), o + 8);
    symtab.writeBigUInt64LE(BigInt(s.size), o + 16);
    name += s.name.length + 1;
  });
  const shstr = Buffer.from('\0.text\0.symtab\0.strtab\0.shstrtab\0');
  const textAt = 0x100;
  const symAt = textAt + text.length;
  const strAt = symAt + symtab.length;
  const shstrAt = strAt + strtab.length;
  const shoff = (shstrAt + shstr.length + 7) & ~7;
  const out = Buffer.alloc(shoff + 64 * 5);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(out, 0);
  out.writeUInt16LE(2, 16);
  out.writeUInt16LE(183, 18);
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(BASE, 24);
  out.writeBigUInt64LE(64n, 32);
  out.writeBigUInt64LE(BigInt(shoff), 40);
  out.writeUInt16LE(64, 52);
  out.writeUInt16LE(56, 54);
  out.writeUInt16LE(1, 56);
  out.writeUInt16LE(64, 58);
  out.writeUInt16LE(5, 60);
  out.writeUInt16LE(4, 62);
  // PT_LOAD RWX
  out.writeUInt32LE(1, 64);
  out.writeUInt32LE(7, 68);
  out.writeBigUInt64LE(BigInt(textAt), 72);
  out.writeBigUInt64LE(BASE, 80);
  out.writeBigUInt64LE(BASE, 88);
  out.writeBigUInt64LE(BigInt(text.length), 96);
  out.writeBigUInt64LE(BigInt(text.length), 104);
  out.writeBigUInt64LE(0x1000n, 112);
  text.copy(out, textAt);
  symtab.copy(out, symAt);
  strtab.copy(out, strAt);
  shstr.copy(out, shstrAt);
  const section = (
    i: number,
    nameOff: number,
    type: number,
    flags: bigint,
    addr: bigint,
    off: number,
    size: number,
    link = 0,
    entsize = 0,
  ) => {
    const o = shoff + 64 * i;
    out.writeUInt32LE(nameOff, o);
    out.writeUInt32LE(type, o + 4);
    out.writeBigUInt64LE(flags, o + 8);
    out.writeBigUInt64LE(addr, o + 16);
    out.writeBigUInt64LE(BigInt(off), o + 24);
    out.writeBigUInt64LE(BigInt(size), o + 32);
    out.writeUInt32LE(link, o + 40);
    out.writeBigUInt64LE(BigInt(entsize), o + 56);
  };
  section(1, 1, 1, 6n, BASE, textAt, text.length);
  section(2, 7, 2, 0n, 0n, symAt, symtab.length, 3, 24);
  section(3, 15, 3, 0n, 0n, strAt, strtab.length);
  section(4, 23, 3, 0n, 0n, shstrAt, shstr.length);
  return out;
}

test('a non-Go kernel with a declared convention: a routine that clobbers x19, one that never returns', async (t) => {
  // 0x00 x19 = 0x1234; 0x04 bl clobber; 0x08 bl spin; 0x0c b .; 0x10 clobber: x19 = 0; ret; 0x18 spin: b .
  const code = [movz(19, 0x1234), bl(BASE + 4n, BASE + 0x10n), bl(BASE + 8n, BASE + 0x18n), B_SELF, movz(19, 0), RET, B_SELF];
  const dir = mkdtempSync(join(tmpdir(), 'wbdiff-diagnose-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kernel.elf');
  writeFileSync(
    path,
    tinyElf(code, [
      { name: '_start', offset: 0, size: 0x10 },
      { name: 'clobber', offset: 0x10, size: 8 },
      { name: 'spin', offset: 0x18, size: 4 },
    ]),
  );
  const sites = [4n, 8n].map((off, i) => ({
    op: 'call',
    address: `0x${(BASE + off).toString(16)}`,
    location: `_start+0x${off.toString(16)}`,
    new: { word: `0x${code[i + 1]!.toString(16)}` },
  }));
  const d = await diagnoseElf(path, sites, {
    manifestConvention: { name: 'wb', args: { slot: 'x2', value: 'x3' } },
    timeoutMs: 400,
    routineBudget: 500,
  });
  t.is(d.goVersion, null);
  t.is(d.convention, 'wb');
  const clobber = ofKind(d, 'clobber');
  t.is(clobber.length, 1);
  t.regex(clobber[0]!.text, /^clobber at _start\+0x4 returned with x19 \(0x1234 -> 0x0\)|x19 0x1234 -> 0x0 changed and not restored/);
  const noReturn = ofKind(d, 'no-return');
  t.is(noReturn.length, 1);
  t.regex(
    noReturn[0]!.text,
    /^spin at _start\+0x8 never returned to the call site \+ 4 \(_start\+0xc\): after \d+ instructions it was still away, at spin/,
  );
  t.is(d.run.outcome, 'timeout');
  const spinCall = d.sites.find((s) => s.routine === 'spin')!.calls[0]!;
  t.false(spinCall.returned);
  t.is(spinCall.routineEnd, 'budget');
  t.true(spinCall.routineInstructions >= 500 && spinCall.routineInstructions < 510, String(spinCall.routineInstructions));
});

// ------------------------------------------------------------ diagnose.ts on hand-made traces

const SYMS: ElfSymbol[] = [
  { name: 'kmain', value: 0x4008_0000n, size: 0x100n, kind: 'func' },
  { name: 'wb', value: 0x4008_0100n, size: 0x40n, kind: 'func' },
  { name: 'slot', value: 0x4009_0000n, size: 8n, kind: 'object' },
  { name: 'obj', value: 0x4009_0010n, size: 8n, kind: 'object' },
  { name: 'runtime.writeBarrier', value: 0x4009_0020n, size: 16n, kind: 'object' },
  { name: 'buf', value: 0x4009_0040n, size: 16n, kind: 'object' },
];
const CTX: SymbolContext = { symbols: new Symbolizer(SYMS), ranges: [{ start: 0x4008_0000n, end: 0x400a_0000n }] };
const SITE: TraceSite = {
  address: 0x4008_0010n,
  location: 'kmain+0x10',
  op: 'redirect-calls',
  variant: 'v',
  routine: 0x4008_0100n,
  routineSymbol: 'wb',
  replaced: 'runtime.gcWriteBarrier',
};

function regs(set: Record<number, bigint> = {}, pc = SITE.address): Registers {
  const x = Array.from({ length: 31 }, (_, i) => set[i] ?? BigInt(0x100 + i));
  return { x, sp: 0x4009_f000n, pc };
}

function write(over: Partial<TracedWrite>): TracedWrite {
  return {
    phase: 'routine',
    pc: 0x4008_0100n,
    insn: 'str x3, [x2]',
    address: 0x4009_0000n,
    size: 8,
    value: 0x4009_0010n,
    source: 'x3',
    base: 'x2',
    baseValue: 0x4009_0000n,
    fault: null,
    recovered: false,
    ...over,
  };
}

function call(over: Partial<CallTrace>): CallTrace {
  const before = regs({ 2: 0x4009_0000n, 3: 0x4009_0010n, 27: 0x4009_0020n });
  return {
    site: SITE,
    hit: 1,
    before,
    entered: true,
    returned: true,
    after: { ...before, x: [...before.x], pc: SITE.address + 4n },
    afterAt: 'return',
    routineInstructions: 3,
    routineEnd: 'return',
    routineWrites: [write({})],
    callerInstructions: 10,
    callerEnd: 'serial',
    callerWrites: [],
    trail: [],
    faults: [],
    droppedWrites: 0,
    ...over,
  };
}

const GO119 = conventionForGo('go1.19.8');
const GO123 = conventionForGo('go1.23.5');

test('diagnose: the right store and nothing else is ok', (t) => {
  const findings = diagnose({ calls: [call({})], convention: GO119, symbols: CTX });
  t.deepEqual(
    findings.map((f) => f.kind),
    ['ok'],
  );
  t.is(
    findings[0]!.text,
    "wb at kmain+0x10 stored x3 (=&obj, the value) to [x2] (=&slot, the slot) and returned to kmain+0x14 with the preserved registers intact: this matches Go 1.19's barrier.",
  );
  t.is(verdictOf(findings, 1), 'ok');
});

test('diagnose: a clobbered x19 (callee-saved) is a clobber, named with both values', (t) => {
  const c = call({});
  c.after!.x[19] = 0xdeadn;
  const findings = diagnose({ calls: [c], convention: GO119, symbols: CTX });
  t.deepEqual(
    findings.map((f) => f.kind),
    ['clobber'],
  );
  t.regex(findings[0]!.text, /^wb at kmain\+0x10 returned with x19 0x113 -> 0xdead changed and not restored;/);
  t.is(verdictOf(findings, 1), 'clobber');
  // The generic rule (no Go convention) covers x19-x29 and sp too.
  const generic = diagnose({ calls: [c], convention: null, symbols: CTX });
  t.regex(generic.find((f) => f.kind === 'clobber')!.text, /must preserve x19-x29 and sp/);
});

test('diagnose: sp and x28 (g) changed; x16/x17/x27/x30 may change under Go', (t) => {
  const c = call({});
  c.after!.sp -= 16n;
  c.after!.x[28] = 0n;
  for (const r of [16, 17, 27, 30]) c.after!.x[r] = 0x5n;
  const [f] = diagnose({ calls: [c], convention: GO119, symbols: CTX });
  t.is(f!.kind, 'clobber');
  t.regex(f!.text, /x28 \(g, the current goroutine\) 0x11c -> 0x0 and sp \(the stack pointer\) 0x4009f000 -> 0x4009eff0 changed/);
  t.notRegex(f!.text.split(';')[0]!, /x16|x17|x27|x30/);
});

test('diagnose: a routine that never returns (budget) says where it went', (t) => {
  const c = call({
    returned: false,
    routineEnd: 'budget',
    routineInstructions: 4096,
    after: regs({ 30: 0x4008_0014n }, 0x4008_0108n),
    afterAt: 'window-end',
    trail: [0x4008_0100n, 0x4008_0108n],
  });
  const findings = diagnose({ calls: [c], convention: GO119, symbols: CTX });
  const nr = findings.find((f) => f.kind === 'no-return')!;
  t.truthy(nr);
  t.is(
    nr.text,
    'wb at kmain+0x10 never returned to the call site + 4 (kmain+0x14): after 4096 instructions it was still away, at wb+0x8 (it ran wb, wb+0x8...). x30 was kmain+0x14. A barrier routine must return to the instruction after the call.',
  );
  t.is(verdictOf(findings, 1), 'no-return');
});

test('diagnose: a fault inside the routine is a no-return naming the access', (t) => {
  const c = call({
    returned: false,
    routineEnd: 'fault',
    after: regs({}, 0x4008_0104n),
    afterAt: 'window-end',
    faults: [{ phase: 'routine', kind: 'data abort', pc: 0x4008_0104n, address: 0n, access: 'write', detail: '', recovered: false }],
  });
  const nr = diagnose({ calls: [c], convention: null, symbols: CTX }).find((f) => f.kind === 'no-return')!;
  t.regex(nr.text, /it took a data abort at wb\+0x4 \(write of 0x0\)/);
});

test('diagnose: the seed routine on Go <= 1.20: x2 into [x27], the flag', (t) => {
  const c = call({
    routineWrites: [
      write({ insn: 'str x2, [x27]', address: 0x4009_0020n, value: 0x4009_0000n, source: 'x2', base: 'x27', baseValue: 0x4009_0020n }),
    ],
  });
  const findings = diagnose({ calls: [c], convention: GO119, symbols: CTX });
  t.deepEqual(
    findings.map((f) => f.kind),
    ['flag-store', 'convention-bug'],
  );
  t.regex(
    findings[1]!.text,
    /^wb at kmain\+0x10 stored x2 \(=&slot, the slot\) into \[x27\] \(=&runtime\.writeBarrier\); the slot was never written\. Go 1\.19's barrier takes the slot in x2 and the value in x3 \(=&obj\)/,
  );
  t.regex(findings[0]!.text, /now reads 0x40090000: the barrier is "enabled"/);
  t.is(verdictOf(findings, 1), 'convention-bug');
});

test('diagnose: Go >= 1.21, x25 left alone and the caller stores through it', (t) => {
  const before = regs({ 25: 0n });
  const c = call({
    before,
    after: { ...before, x: [...before.x], pc: SITE.address + 4n },
    routineWrites: [],
    site: { ...SITE, replaced: 'runtime.gcWriteBarrier2' },
    callerWrites: [
      write({
        phase: 'caller',
        insn: 'str x0, [x25]',
        address: 0n,
        value: 0x4009_0010n,
        source: 'x0',
        base: 'x25',
        baseValue: 0n,
        fault: 'unmapped',
      }),
    ],
  });
  const [f] = diagnose({ calls: [c], convention: GO123, symbols: CTX });
  t.is(f!.kind, 'convention-bug');
  t.regex(
    f!.text,
    /^x25 was not set by wb \(called at kmain\+0x10\): it still held 0x0 from before the call\. The caller stored x0 \(=&obj\) to \[x25\] = 0x0 — 0x0 is not RAM/,
  );
  t.regex(f!.text, /\(runtime\.gcWriteBarrier2: 16 bytes\)/);
});

test('diagnose: Go >= 1.21, x25 set to a buffer too small for the caller', (t) => {
  const before = regs({ 25: 0n });
  const c = call({
    before,
    after: { ...before, x: before.x.map((v, i) => (i === 25 ? 0x4009_0048n : v)), pc: SITE.address + 4n },
    routineWrites: [],
    site: { ...SITE, replaced: 'runtime.gcWriteBarrier2' },
  });
  const [f] = diagnose({ calls: [c], convention: GO123, symbols: CTX });
  t.is(f!.kind, 'convention-bug');
  t.regex(f!.text, /set x25 = &buf\+0x8, which has only 8 bytes left; the caller writes 16 there/);
});

test('diagnose: repeated identical findings of one site merge; unreached sites are reported', (t) => {
  const findings = diagnose({
    calls: [call({ hit: 1 }), call({ hit: 2 })],
    notReached: [{ ...SITE, address: 0x4008_0020n, location: 'kmain+0x20' }],
    runEnd: 'data abort at kmain+0x14',
    convention: GO119,
    symbols: CTX,
  });
  t.deepEqual(
    findings.map((f) => [f.kind, f.calls]),
    [
      ['ok', [1, 2]],
      ['not-reached', []],
    ],
  );
  t.regex(findings[1]!.text, /never ran; the run ended first \(data abort at kmain\+0x14\)/);
  t.is(verdictOf([], 0), 'no-sites');
});

// ------------------------------------------------------------ conventions

test('conventions: the Go table, by version', (t) => {
  t.deepEqual(conventionForGo('go1.19.8').args, { slot: 'x2', value: 'x3' });
  t.true(conventionForGo('go1.20').performsStore);
  const go121 = conventionForGo('go1.21.0');
  t.is(go121.style, 'buffer');
  t.deepEqual(go121.returns, { buffer: 'x25', bytes: null });
  t.false(go121.performsStore);
  t.true(go121.routines.includes('runtime.gcWriteBarrier2'));
  t.false(go121.preserved.includes('x25'));
  for (const c of [GO119, GO123]) {
    for (const r of ['x19', 'x20', 'x28', 'x29', 'sp']) t.true(c.preserved.includes(r), r);
    for (const r of ['x16', 'x17', 'x27', 'x30']) t.false(c.preserved.includes(r), r);
    t.is(c.flag, 'runtime.writeBarrier');
    t.regex(c.reserved['x27']!, /REGTMP/);
    t.regex(c.reserved['x28']!, /^g\b/);
  }
  t.throws(() => conventionForGo('1.19'), { instanceOf: WbdiffError });
});

test('conventions: declared shapes, their defaults, and clear errors', (t) => {
  const store = conventionFromSpec({ name: 'mine', args: { slot: 'x0', value: 'x1' } }, 'k.json', 'manifest');
  t.is(store.style, 'store');
  t.true(store.performsStore);
  t.deepEqual(store.preserved, ['x19', 'x20', 'x21', 'x22', 'x23', 'x24', 'x25', 'x26', 'x27', 'x28', 'x29', 'sp']);
  const buffer = conventionFromSpec({ name: 'b', returns: { buffer: 'x9', bytes: 32 }, scratch: ['x27'] }, 'k.json', 'manifest');
  t.deepEqual(buffer.returns, { buffer: 'x9', bytes: 32 });
  t.false(buffer.preserved.includes('x27'));
  const bad = (value: unknown, message: RegExp) =>
    t.throws(() => conventionFromSpec(value, 'k.json', 'manifest'), { instanceOf: WbdiffError, message });
  bad({ name: 'x' }, /exactly one of "args"/);
  bad({ name: 'x', args: { slot: 'x2', value: 'x2' } }, /different registers/);
  bad({ name: 'x', args: { slot: 'r2', value: 'x3' } }, /"args\.slot" must be a register/);
  bad({ name: 'x', returns: { buffer: 'x25' }, performsStore: true }, /contradicts/);
  bad({ name: 'x', args: { slot: 'x2', value: 'x3' }, colour: 'red' }, /unknown property "colour"/);
  t.is(resolveConvention({ goVersion: 'go1.23.5' })!.name, 'go>=1.21');
  t.is(resolveConvention({ goVersion: 'go1.23.5', manifest: { name: 'm', args: { slot: 'x2', value: 'x3' } } })!.name, 'm');
  t.is(
    resolveConvention({ goVersion: 'go1.23.5', override: GO119, manifest: { name: 'm', args: { slot: 'x2', value: 'x3' } } })!.name,
    'go<=1.20',
  );
  t.is(resolveConvention({ goVersion: null }), null);
});

// ------------------------------------------------------------ go-version, store operands

function imageWith(sections: Partial<ElfSection>[], segments: Partial<ElfSegment>[]): Pick<ElfImage, 'sections' | 'segments'> {
  return {
    sections: sections.map((s) => ({
      name: '',
      type: 'progbits',
      addr: 0n,
      offset: 0,
      size: s.data?.length ?? 0,
      data: new Uint8Array(),
      ...s,
    })),
    segments: segments.map((s) => ({
      type: 'load',
      offset: 0,
      vaddr: 0n,
      paddr: 0n,
      filesz: BigInt(s.data?.length ?? 0),
      memsz: BigInt(s.data?.length ?? 0),
      flags: { r: true, w: true, x: false },
      data: new Uint8Array(),
      ...s,
    })),
  };
}

function pointerBlob(version: string, bigEndian: boolean): { blob: Buffer; segment: Buffer } {
  // Pre-1.18 layout: blob at 0x1000 with pointers; string header at 0x1040; bytes at 0x1060.
  const segment = Buffer.alloc(0x100);
  Buffer.from(BUILDINFO_MAGIC).copy(segment, 0);
  segment[14] = 8;
  segment[15] = bigEndian ? 1 : 0;
  const put = (value: bigint, at: number) => (bigEndian ? segment.writeBigUInt64BE(value, at) : segment.writeBigUInt64LE(value, at));
  put(0x1040n, 16);
  put(0x1060n, 0x40);
  put(BigInt(version.length), 0x48);
  segment.write(version, 0x60, 'latin1');
  return { blob: segment.subarray(0, 32), segment };
}

test('go-version: the pointer form (Go < 1.18), both byte orders, and a stripped section table', (t) => {
  for (const bigEndian of [false, true]) {
    const { segment } = pointerBlob('go1.17.13', bigEndian);
    t.is(goVersion(imageWith([{ name: '.go.buildinfo', data: segment }], [{ vaddr: 0x1000n, data: segment }])), 'go1.17.13');
  }
  const { segment } = pointerBlob('go1.16', false);
  t.is(goVersion(imageWith([], [{ vaddr: 0x1000n, data: segment }])), 'go1.16', 'found by scanning the segment');
  // The inline form, hand-made.
  const inline = Buffer.alloc(64);
  Buffer.from(BUILDINFO_MAGIC).copy(inline, 0);
  inline[14] = 8;
  inline[15] = 2;
  inline[32] = 9;
  inline.write('go1.22.10', 33, 'latin1');
  t.is(goVersion(imageWith([{ name: '.go.buildinfo', data: inline }], [])), 'go1.22.10');
  inline[32] = 6; // the length prefix decides where the string ends
  t.is(goVersion(imageWith([{ name: '.go.buildinfo', data: inline }], [])), 'go1.22');
  t.is(goVersion(imageWith([], [{ data: Buffer.alloc(256) }])), null);
  t.is(goVersion(parseElf(tinyElf([RET], []))), null);
});

test('store operands: the forms the tracer names registers from', (t) => {
  t.like(parseStore('str x2, [x27]'), { mnemonic: 'str', sources: ['x2'], base: 'x27', offset: 0n, index: null, writeback: null });
  t.like(parseStore('str x0, [x27, #0x780]'), { sources: ['x0'], base: 'x27', offset: 0x780n });
  t.like(parseStore('str x30, [sp, #-0x30]!'), { base: 'sp', offset: -0x30n, writeback: 'pre' });
  t.like(parseStore('stp x29, x30, [sp, #-0x10]!'), { sources: ['x29', 'x30'], base: 'sp', offset: -0x10n });
  t.like(parseStore('str x2, [x3, x1]'), { base: 'x3', index: 'x1', offset: null });
  t.like(parseStore('str x1, [x0], #8'), { base: 'x0', offset: 0n, writeback: 'post' });
  t.like(parseStore('strb w1, [sp, #8]'), { mnemonic: 'strb', sources: ['w1'] });
  t.like(parseStore('stxr w1, x2, [x0]'), { sources: ['x2'], base: 'x0' });
  t.is(parseStore('ldr x0, [x1]'), null);
  t.is(parseStore('bl #0x40080000'), null);
});

test('symbols: registers name what they point into; values outside the image stay numbers', async (t) => {
  const b = await built('gowb@go1.19');
  const image = await readElf(b.elfPath);
  const ctx = symbolContext(image);
  const gp = image.symbols.resolve('main.gp')!.value;
  t.is(symbolOf(ctx, gp), '&main.gp');
  t.is(symbolOf(ctx, gp + 4n), '&main.gp+0x4');
  t.is(symbolOf(ctx, image.symbols.resolve('main.kmain')!.value + 8n), 'main.kmain+0x8');
  t.is(symbolOf(ctx, 0x8n), null);
  t.is(nameValue(ctx, 0n), '0x0');
});

test('the traced run prints what the kernel printed: no UART byte doubled by a stop inside the store', async (t) => {
  const d = await diagnoseVariant('1.19', 'seed-barrier');
  t.is(d.run.serial, 'gowb: Go write-barrier kernel\nT1 N\nT2 N\nT3 N\nDONE\n');
  const buffered = await diagnoseVariant('1.23', 'fixed-barrier');
  t.is(buffered.run.serial, 'gowb: Go write-barrier kernel\nT1 Y\nT2 Y\nT3 Y\nDONE\n');
});
