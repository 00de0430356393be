// Runs the real Unicorn engine: the binding, the virt machine model, and the emu runner, on
// hand-encoded AArch64 words packed into small ELF files (no toolchain needed).
import test from 'ava';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXCP, UC_CPU_ARM64, UC_PROT, Unicorn, version } from '../harness/emu/unicorn.js';
import { EmuRunner, unicornModelFor } from '../harness/runners/emu.js';
import type { RunSpec } from '../harness/runners/types.js';
import { buildElf, words, type Segment, type Sym } from './helpers/tiny-elf.js';

// ------------------------------------------------------------ a tiny A64 encoder

const X0 = 0,
  X1 = 1,
  X2 = 2,
  X3 = 3,
  X4 = 4,
  X5 = 5;
const movz = (rd: number, imm: number, shift = 0) => (0xd2800000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0;
const movk = (rd: number, imm: number, shift = 0) => (0xf2800000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0;
const movzw = (rd: number, imm: number) => (0x52800000 | (imm << 5) | rd) >>> 0;
const addi = (rd: number, rn: number, imm: number) => (0x91000000 | (imm << 10) | (rn << 5) | rd) >>> 0;
const subsi = (rd: number, rn: number, imm: number) => (0xf1000000 | (imm << 10) | (rn << 5) | rd) >>> 0;
const cmnx1 = (rn: number) => (0xb100041f | (rn << 5)) >>> 0; // cmn xn, #1
const strb = (rt: number, rn: number) => (0x39000000 | (rn << 5) | rt) >>> 0;
const ldrw = (rt: number, rn: number, off: number) => (0xb9400000 | ((off / 4) << 10) | (rn << 5) | rt) >>> 0;
const ldrx = (rt: number, rn: number, off = 0) => (0xf9400000 | ((off / 8) << 10) | (rn << 5) | rt) >>> 0;
const strx = (rt: number, rn: number, off = 0) => (0xf9000000 | ((off / 8) << 10) | (rn << 5) | rt) >>> 0;
const tbnzw = (rt: number, bit: number, insns: number) => (0x37000000 | (bit << 19) | ((insns & 0x3fff) << 5) | rt) >>> 0;
const bcond = (cond: number, insns: number) => (0x54000000 | ((insns & 0x7ffff) << 5) | cond) >>> 0;
const b = (insns: number) => (0x14000000 | (insns & 0x3ffffff)) >>> 0;
const br = (rn: number) => (0xd61f0000 | (rn << 5)) >>> 0;
const EQ = 0,
  NE = 1;
const HVC0 = 0xd4000002,
  WFI = 0xd503207f,
  NOP = 0xd503201f,
  UDF = 0x00000000;
/** x<rd> = a 32-bit constant */
const mov32 = (rd: number, value: number) => [movz(rd, value & 0xffff), movk(rd, (value >>> 16) & 0xffff, 16)];

/** x0 = UART; prints text (one movz + strb per byte; waits on FR.TXFF once, like a real driver). */
function puts(text: string): number[] {
  const out = [movz(X0, 0x0900, 16), ldrw(X2, X0, 0x18), tbnzw(X2, 5, -1)];
  for (const byte of Buffer.from(text, 'latin1')) out.push(movzw(X1, byte), strb(X1, X0));
  return out;
}
const poweroff = () => [...mov32(X0, 0x84000008), HVC0, b(0)];

const dir = mkdtempSync(join(tmpdir(), 'wbdiff-emu-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const BASE = 0x40080000n;

/** Writes a one-segment kernel at 0x40080000 (entry there) with `_start` and optional extra symbols. */
function kernel(code: number[], symbols: Sym[] = [], extra: Segment[] = []): string {
  const path = join(dir, `k${counter++}.elf`);
  const syms = [{ name: '_start', value: BASE, size: BigInt(code.length * 4) }, ...symbols];
  writeFileSync(path, buildElf(BASE, [{ addr: BASE, code }, ...extra], syms));
  return path;
}

const spec = (elfPath: string, more: Partial<RunSpec> = {}): RunSpec => ({ elfPath, cpu: 'cortex-a57', timeoutMs: 5000, ...more });
const runner = new EmuRunner();

// ------------------------------------------------------------ the binding

test('unicorn: library is 2.0.x and the four AArch64 models have the enum values of arm64.h', (t) => {
  const v = version();
  t.is(v.major, 2);
  t.is(v.minor, 0);
  t.deepEqual(UC_CPU_ARM64, { A57: 0, A53: 1, A72: 2, MAX: 3 });
  for (const [name, value] of Object.entries(UC_CPU_ARM64)) {
    const uc = Unicorn.open({ model: name as keyof typeof UC_CPU_ARM64 });
    t.is(uc.getCpuModel(), value);
    uc.close();
  }
});

test('unicorn: hand-encoded instructions run and set registers; the CPU starts at EL1h', (t) => {
  const uc = Unicorn.open({ model: 'A57' });
  t.teardown(() => uc.close());
  t.is(uc.regRead('pstate') & 0xfn, 0x5n, 'EL1h (M[3:0] = 0b0101)');
  uc.memMap(0x40000000n, 0x10000, UC_PROT.ALL);
  const code = [
    movz(X1, 0x1234),
    movk(X1, 0xabcd, 16),
    movk(X1, 0xffff, 48),
    addi(X2, X1, 5),
    subsi(X3, X1, 0x234),
    movz(X4, 7),
    subsi(X4, X4, 7),
    NOP,
  ];
  uc.memWrite(0x40000000n, words(code));
  uc.regWrite('sp', 0x40008000n);
  t.is(uc.emuStart(0x40000000n, 0x40000000n + BigInt((code.length - 1) * 4)), 0);
  t.is(uc.regRead('x1'), 0xffff0000abcd1234n);
  t.is(uc.regRead('x2'), 0xffff0000abcd1239n);
  t.is(uc.regRead('x3'), 0xffff0000abcd1000n);
  t.is(uc.regRead('w1'), 0xabcd1234n);
  t.is(uc.regRead('x4'), 0n);
  t.is(uc.regRead('nzcv'), 0x60000000n, 'Z and C after 7 - 7');
  t.is(uc.regRead('sp'), 0x40008000n);
  t.is(uc.regRead('pc'), 0x40000000n + BigInt((code.length - 1) * 4));
  // MIDR_EL1 through the generic system-register path: a Cortex-A57 is 0x411fd07x.
  t.is(uc.sysRegRead({ op0: 3, op1: 0, crn: 0, crm: 0, op2: 0 }) & 0xfffffff0n, 0x411fd070n);
});

test('unicorn: a ranged code hook sees only its range', (t) => {
  const uc = Unicorn.open({ model: 'A53' });
  t.teardown(() => uc.close());
  uc.memMap(0x40000000n, 0x1000, UC_PROT.ALL);
  uc.memWrite(0x40000000n, words([NOP, NOP, NOP, NOP, NOP, NOP]));
  const seen: bigint[] = [];
  uc.hookCode((address) => seen.push(address), 0x40000008n, 0x4000000fn);
  uc.emuStart(0x40000000n, 0x40000014n);
  t.deepEqual(seen, [0x40000008n, 0x4000000cn]);
});

test('unicorn: `hvc #0` at EL1 arrives as an interrupt hook EXCP_UDEF with pc at the hvc', (t) => {
  const uc = Unicorn.open({ model: 'A57' });
  t.teardown(() => uc.close());
  uc.memMap(0x40000000n, 0x1000, UC_PROT.ALL);
  uc.memWrite(0x40000000n, words([...mov32(X0, 0x84000008), HVC0, b(0)]));
  const calls: { intno: number; pc: bigint }[] = [];
  uc.hookIntr((intno) => {
    calls.push({ intno, pc: uc.regRead('pc') });
    uc.emuStop();
  });
  t.is(uc.emuStart(0x40000000n, -1n, 1_000_000), 0);
  t.deepEqual(calls, [{ intno: EXCP.UDEF, pc: 0x40000008n }]);
});

test('unicorn: an exception in a JS callback stops the engine and is rethrown by emuStart', (t) => {
  const uc = Unicorn.open({ model: 'A57' });
  t.teardown(() => uc.close());
  uc.memMap(0x40000000n, 0x1000, UC_PROT.ALL);
  uc.memWrite(0x40000000n, words([NOP, NOP, b(0)]));
  uc.hookCode(
    () => {
      throw new Error('boom in hook');
    },
    0x40000004n,
    0x40000004n,
  );
  t.throws(() => uc.emuStart(0x40000000n, -1n, 1_000_000), { message: 'boom in hook' });
});

test('unicorn: errors name the call and carry uc_strerror', (t) => {
  const uc = Unicorn.open({ model: 'A57' });
  t.teardown(() => uc.close());
  t.throws(() => uc.memMap(0x40000001n, 0x1000), { message: /uc_mem_map failed: .*UC_ERR 15/ });
  uc.memMap(0x40000000n, 0x1000);
  t.throws(() => uc.memMap(0x40000000n, 0x1000), { message: /uc_mem_map failed: Invalid memory mapping/ });
  t.throws(() => uc.setCpuModel('A53'), { message: /UC_CTL_CPU_MODEL/ }, 'the model is fixed once the engine is initialised');
});

// ------------------------------------------------------------ the runner on the virt model

test('emu: UART output, markers, DONE and PSCI SYSTEM_OFF', async (t) => {
  const elf = kernel([...puts('hello\nT1 Y\nT2 N\nDONE\n'), ...poweroff()]);
  const r = await runner.run(spec(elf));
  t.is(r.verdict, 'completed', r.reason);
  t.is(r.reason, 'PSCI SYSTEM_OFF');
  t.true(r.poweredOff);
  t.true(r.done);
  t.is(r.serial, 'hello\nT1 Y\nT2 N\nDONE\n');
  t.is(r.serialBytes, 21);
  t.deepEqual(r.markers, { T1: 'Y', T2: 'N' });
  t.is(r.runner, 'emu');
  t.is(r.cpu, 'cortex-a57');
  t.is(r.details['cpuModel'], 'A57');
  t.is(r.fault, null);
});

test('emu: PSCI SYSTEM_RESET powers off too, with a reason', async (t) => {
  const r = await runner.run(spec(kernel([...mov32(X0, 0x84000009), HVC0, b(0)]), { cpu: 'max' }));
  t.is(r.verdict, 'completed');
  t.true(r.poweredOff);
  t.regex(r.reason, /SYSTEM_RESET/);
  t.is(r.details['cpuModel'], 'MAX');
});

test('emu: PSCI functions QEMU does not implement return NOT_SUPPORTED (-1) in x0 and execution continues', async (t) => {
  // Function 0x84000050; then T1 Y if x0 == -1 else T1 N.
  const tail = [...puts('T1 N\n'), ...poweroff()];
  const ok = [...puts('T1 Y\n'), ...poweroff()];
  const code = [...mov32(X0, 0x84000050), HVC0, cmnx1(X0), bcond(EQ, tail.length + 1), ...tail, ...ok];
  const r = await runner.run(spec(kernel(code)));
  t.is(r.verdict, 'completed', r.reason);
  t.deepEqual(r.markers, { T1: 'Y' });
  t.deepEqual(r.details['psciCalls'], [{ fn: '0x84000050 unknown', pc: '0x40080008' }]);
});

test('emu: an unmapped load is a data abort at the exact pc, with the address', async (t) => {
  const before = [...puts('x\n'), movz(X3, 0x5000, 16), movk(X3, 0x10), NOP];
  const loadAt = BASE + BigInt(before.length * 4);
  const elf = kernel([...before, ldrx(X4, X3, 8), ...poweroff()], [{ name: 'bad_load', value: loadAt - 4n, size: 16n }]);
  const r = await runner.run(spec(elf));
  t.is(r.verdict, 'fault', r.reason);
  t.is(r.fault?.kind, 'data abort');
  t.is(r.fault?.access, 'read');
  t.is(r.fault?.address, '0x50000018');
  t.is(r.fault?.pc, `0x${loadAt.toString(16)}`);
  t.is(r.fault?.pcSymbol, 'bad_load+0x4');
  t.regex(r.fault?.detail ?? '', /unmapped read of 8 bytes at 0x50000018/);
  t.is(r.serial, 'x\n', 'output before the fault is kept');
});

test('emu: an unmapped store is a write fault', async (t) => {
  // The platform bus: empty on a plain -M virt, so QEMU takes a data abort there too.
  const r = await runner.run(spec(kernel([movz(X3, 0x0c00, 16), strx(X3, X3), ...poweroff()])));
  t.is(r.verdict, 'fault');
  t.is(r.fault?.access, 'write');
  t.is(r.fault?.address, '0xc000000');
  t.is(r.fault?.pc, '0x40080004');
});

test('emu: a jump to unmapped memory is an instruction abort (fetch) at the target', async (t) => {
  const r = await runner.run(spec(kernel([movz(X3, 0x0c00, 16), br(X3)])));
  t.is(r.verdict, 'fault');
  t.is(r.fault?.kind, 'instruction abort');
  t.is(r.fault?.esr, '0x86000010', 'a synchronous external abort on the fetch, as QEMU reports it');
  t.is(r.fault?.access, 'fetch');
  t.is(r.fault?.pc, '0xc000000');
  t.is(r.fault?.address, '0xc000000');
});

test('emu: an undefined instruction is a fault with the instruction word', async (t) => {
  const r = await runner.run(spec(kernel([NOP, UDF, ...poweroff()])));
  t.is(r.verdict, 'fault');
  t.is(r.fault?.kind, 'undefined instruction');
  t.is(r.fault?.pc, '0x40080004');
  t.is(r.fault?.pcSymbol, '_start+0x4');
  t.regex(r.fault?.detail ?? '', /0x00000000/);
});

test.serial('emu: an endless loop times out at the limit, on guest time', async (t) => {
  // A two-instruction loop: a branch to itself ends at once (next test).
  const r = await runner.run(spec(kernel([...puts('spin\n'), NOP, b(-1)]), { timeoutMs: 300 }));
  t.is(r.verdict, 'timeout');
  t.is(r.reason, 'timeout after 300 ms');
  // Guest time (executed instructions, 8 ns each), so not timed; bounded for a loaded host.
  t.true(r.durationMs < 30_000, `took ${r.durationMs} ms`);
  t.is(r.serial, 'spin\n');
});

test('emu: a CPU spinning on a branch to itself with nothing to interrupt it ends at once as a timeout naming its pc', async (t) => {
  const r = await runner.run(spec(kernel([...puts('spin\n'), b(0)]), { timeoutMs: 60_000 }));
  t.is(r.verdict, 'timeout');
  const at = `0x${(BASE + BigInt(puts('spin\n').length * 4)).toString(16)}`;
  t.is(
    r.reason,
    `the CPU spins on a branch to itself at ${at} (_start+0x${(puts('spin\n').length * 4).toString(16)}) and nothing can raise an interrupt (no interrupt pending, no timer armed)`,
  );
  t.is(r.serial, 'spin\n');
  // Ended by the guest's state, not the clock: far below the 60 s limit even on a loaded host.
  t.true(r.durationMs < 30_000, `took ${r.durationMs} ms`);
  const afterDone = await runner.run(spec(kernel([...puts('DONE\n'), b(0)]), { timeoutMs: 60_000 }));
  t.is(afterDone.verdict, 'completed', afterDone.reason);
  t.regex(afterDone.reason, /^DONE printed; no PSCI power-off followed \(CPU spins at 0x/);
});

test('emu: a branch to itself is no hang while an armed timer can still interrupt it', async (t) => {
  // The GIC on, PPI 27 enabled, CNTV_TVAL_EL0 = 0x100, CNTV_CTL_EL0 = 1 (enabled, unmasked), and
  // PSTATE.I masked: the line goes high but is never taken; the emulator cannot tell that the
  // guest will never unmask it, so it keeps running to the wall clock.
  const MSR_CNTV_TVAL_X1 = 0xd51be301;
  const MSR_CNTV_CTL_X1 = 0xd51be321;
  const STR_W4_X3 = 0xb9000064;
  const STR_W5_X4 = 0xb9000085;
  const STR_W5_X3_4 = 0xb9000465;
  const gic = [
    movz(X3, 0x0800, 16),
    movz(X4, 1),
    STR_W4_X3, // GICD_CTLR = 1
    movz(X4, 0x0100),
    movk(X4, 0x0800, 16),
    ...mov32(X5, 1 << 27),
    STR_W5_X4, // GICD_ISENABLER0: PPI 27 (the virtual timer)
    movz(X3, 0x0801, 16),
    movz(X4, 1),
    STR_W4_X3, // GICC_CTLR = 1
    movz(X5, 0xff),
    STR_W5_X3_4, // GICC_PMR = 0xff
  ];
  const code = [...gic, movz(X1, 0x100), MSR_CNTV_TVAL_X1, movz(X1, 1), MSR_CNTV_CTL_X1, b(0)];
  const r = await runner.run(spec(kernel(code), { timeoutMs: 300 }));
  t.is(r.verdict, 'timeout', r.reason);
  t.is(r.reason, 'timeout after 300 ms');
});

test('emu: DONE without power-off completes after afterDoneMs', async (t) => {
  const r = await runner.run(spec(kernel([...puts('T1 Y\nDONE\n'), NOP, b(-1)]), { afterDoneMs: 200 }));
  t.is(r.verdict, 'completed', r.reason);
  t.false(r.poweredOff);
  t.true(r.done);
  t.regex(r.reason, /no PSCI power-off/);
});

test('emu: WFI with nothing to wake it ends the run (completed after DONE, timeout before)', async (t) => {
  const afterDone = await runner.run(spec(kernel([...puts('DONE\n'), WFI, b(-1)])));
  t.is(afterDone.verdict, 'completed', afterDone.reason);
  t.regex(afterDone.reason, /WFI/);
  const before = await runner.run(spec(kernel([WFI, b(-1)])));
  t.is(before.verdict, 'timeout');
  t.regex(before.reason, /WFI at 0x40080000 \(_start\)/);
});

test('emu: flooding the UART stops at the serial cap with output-limit', async (t) => {
  const r = await runner.run(spec(kernel([movz(X0, 0x0900, 16), movzw(X1, 0x41), strb(X1, X0), b(-1)]), { maxSerialBytes: 1000 }));
  t.is(r.verdict, 'output-limit');
  t.is(r.serialBytes, 1001);
  t.is(r.serial.length, 1000);
});

test('emu: file bytes load at the segment address and the bss is zeroed', async (t) => {
  // A second segment: 8 file bytes of 0xff, then 4 KiB of bss. T1 checks the file bytes, T2 the bss.
  const data: Segment = { addr: 0x40100000n, code: [0xffffffff, 0xffffffff], bss: 0x1000, flags: 6 };
  const fail = [...puts('T1 N\n'), ...poweroff()];
  const pass = [...puts('T1 Y\n'), ...poweroff()];
  const code = [
    movz(X3, 0x4010, 16),
    ldrx(X5, X3, 0),
    ldrx(X4, X3, 0x100),
    cmnx1(X5),
    bcond(NE, 3),
    subsi(X4, X4, 0),
    bcond(EQ, fail.length + 1),
    ...fail,
    ...pass,
  ];
  const r = await runner.run(spec(kernel(code, [], [data])));
  t.is(r.verdict, 'completed', r.reason);
  t.deepEqual(r.markers, { T1: 'Y' });
});

test('emu: a CPU Unicorn lacks is an error naming the models it has', async (t) => {
  t.is(unicornModelFor('cortex-a72'), 'A72');
  const r = await runner.run(spec(kernel([b(0)]), { cpu: 'neoverse-n1' }));
  t.is(r.verdict, 'error');
  t.regex(r.reason, /no CPU model for -cpu "neoverse-n1".*cortex-a57 \(A57\), cortex-a53 \(A53\), cortex-a72 \(A72\), max \(MAX\)/);
});

test('emu: a segment outside RAM and flash is an error naming it', async (t) => {
  const path = join(dir, 'outside.elf');
  writeFileSync(
    path,
    buildElf(BASE, [
      { addr: BASE, code: [b(0)] },
      { addr: 0x0c000000n, code: [NOP] },
    ]),
  );
  const r = await runner.run(spec(path));
  t.is(r.verdict, 'error');
  t.regex(r.reason, /PT_LOAD segment 1 \(0xc000000-0xc000004, 4 bytes\) lies outside virt's RAM .* and flash/);
});

test.serial('emu: the abort signal cancels a run', async (t) => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 150);
  const r = await runner.run(spec(kernel([NOP, b(-1)]), { timeoutMs: 5000 }), { signal: controller.signal });
  t.is(r.verdict, 'error');
  t.is(r.reason, 'cancelled');
  t.true(r.durationMs < 30_000, `took ${r.durationMs} ms`);
});

test('emu: onSerial sees the bytes live', async (t) => {
  const chunks: Uint8Array[] = [];
  await runner.run(spec(kernel([...puts('abc\n'), ...poweroff()])), { onSerial: (c) => chunks.push(c) });
  t.is(Buffer.concat(chunks).toString(), 'abc\n');
});

// ------------------------------------------------------------ exceptions taken to the guest's vectors (issue 12 item 3)

const MSR_VBAR_X1 = 0xd518c001,
  MSR_SPSR_X1 = 0xd5184001,
  MSR_ELR_X1 = 0xd5184021,
  MRS_X1_ELR = 0xd5384021;
const ISB = 0xd5033fdf,
  ERET = 0xd69f03e0,
  SVC0 = 0xd4000001;
const VBAR = 0x40100000n;
/** A kernel whose VBAR_EL1 is 0x40100000, with `handler` at its current-EL/SPx synchronous vector (+0x200). */
function withVectors(main: number[], handler: number[]): string {
  const setup = [movz(X1, 0x4010, 16), MSR_VBAR_X1, ISB];
  return kernel([...setup, ...main], [], [{ addr: VBAR + 0x200n, code: handler }]);
}
const skipAndReturn = [MRS_X1_ELR, addi(X1, X1, 4), MSR_ELR_X1, ERET];

test('emu: no vector table (VBAR_EL1 = 0, nothing there) is a fault at once, naming the exception', async (t) => {
  const r = await runner.run(spec(kernel([NOP, UDF, ...poweroff()])));
  t.is(r.verdict, 'fault');
  t.is(r.fault?.kind, 'undefined instruction');
  t.is(r.fault?.esr, '0x2000000');
  t.regex(r.fault?.detail ?? '', /no vector table: VBAR_EL1 is 0x0/);
  t.is(r.reason, 'guest took undefined instruction', 'at once, not at the timeout');
});

test('emu: a handled exception returns; the run then ends as the kernel does (timeout, not fault)', async (t) => {
  const r = await runner.run(spec(withVectors([UDF, ...puts('back\n'), b(0)], skipAndReturn), { timeoutMs: 400 }));
  t.is(r.verdict, 'timeout', r.reason);
  t.is(r.serial, 'back\n');
  t.is(r.fault, null);
});

test('emu: the same exception again and again without progress is a fault (a loop at the vector)', async (t) => {
  // The handler returns to the udf without skipping it.
  const r = await runner.run(spec(withVectors([UDF, ...poweroff()], [ERET])));
  t.is(r.verdict, 'fault', r.reason);
  t.is(r.fault?.kind, 'undefined instruction');
  t.is(r.fault?.pc, '0x4008000c');
  t.regex(r.fault?.detail ?? '', /taken 8 times in a row at 0x4008000c with the same registers/);
});

// Serial: alone on the thread, the guest clock (not the wall-clock backstop) ends it.
test.serial('emu: a handler that has not returned at the timeout makes the run a fault naming the exception', async (t) => {
  const r = await runner.run(spec(withVectors([SVC0, ...poweroff()], [NOP, b(-1)]), { timeoutMs: 300 }));
  t.is(r.verdict, 'fault', r.reason);
  t.regex(r.reason, /guest took SVC and did not return from its handler \(timeout after 300 ms\)/);
  t.is(r.fault?.esr, '0x56000000');
  t.is(r.fault?.pc, '0x40080010', 'ELR: the instruction after the svc');
});

test('emu: a vector that is `b .` is a fault at once (the handler can never return)', async (t) => {
  const r = await runner.run(spec(withVectors([movz(X3, 0x5000, 16), ldrx(X4, X3), ...poweroff()], [b(0)])));
  t.is(r.verdict, 'fault');
  t.is(r.fault?.kind, 'data abort');
  t.is(r.fault?.esr, '0x96000010');
  t.is(r.fault?.address, '0x50000000');
  t.regex(r.fault?.detail ?? '', /branch to itself/);
});

test('emu: an exception from EL0 is taken to the lower-EL vector and its handler runs with EL1 privileges', async (t) => {
  // ERET to EL0t at the svc below. Unicorn would translate the handler with EL0's cached flags
  // (its mrs elr_el1 undefined): the machine edits them to EL1's (sysregs.ts el1HflagsFromEl0).
  const el0At = BASE + 4n * 9n;
  const main = [...mov32(X1, Number(el0At)), MSR_ELR_X1, movz(X1, 0), MSR_SPSR_X1, ERET];
  const code = [movz(X1, 0x4010, 16), MSR_VBAR_X1, ISB, ...main];
  t.is(BASE + BigInt(code.length * 4), el0At);
  const handler = [MRS_X1_ELR, ...puts('el1\n'), ERET];
  const r = await runner.run(
    spec(kernel([...code, SVC0, ...puts('el0\n'), b(0)], [], [{ addr: VBAR + 0x400n, code: handler }]), { timeoutMs: 2000 }),
  );
  t.is(r.verdict, 'timeout', r.reason);
  t.is(
    r.serial,
    'el1\nel0\n',
    `the handler ran at EL1 and ERET went back to EL0 after the svc (${r.reason}; ${JSON.stringify(r.details)})`,
  );
});

test('emu: software step armed while debug exceptions are masked (PSTATE.D at reset) steps nothing: the kernel runs on', async (t) => {
  const MSR_MDSCR_X1 = 0xd5100241;
  const r = await runner.run(spec(kernel([movz(X1, 0x2001), MSR_MDSCR_X1, ISB, ...puts('armed\n'), ...poweroff()])));
  t.is(r.verdict, 'completed', r.reason);
  t.is(r.serial, 'armed\n');
});

test('emu: with gic-version=3 the GICv3 ITS (virt 7.2 has one) reads as QEMU; LPI translation is an infrastructure error naming it', async (t) => {
  const gicv3 = { machine: { machine: { 'gic-version': '3' } } };
  // GITS_TYPER at 0x08080008: QEMU 7.2's value (kernels/its-probe).
  const typer = await runner.run(spec(kernel([movz(X3, 0x0808, 16), ldrx(X4, X3), ...poweroff()]), gicv3));
  t.is(typer.verdict, 'completed', typer.reason);
  // str w4, [x3, #0x40] with x3 = 0x08090000: GITS_TRANSLATER in the translation frame.
  const r = await runner.run(spec(kernel([movz(X3, 0x0809, 16), 0xb9004064, ...poweroff()]), gicv3));
  t.is(r.verdict, 'error', r.reason);
  t.regex(r.reason, /does not model GICv3 ITS at 0x8090040: a write to the ITS translation frame/);
});
