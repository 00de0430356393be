// AArch64 exception encoding (harness/emu/exceptions.ts) and the stage 1 walk that names MMU
// faults (harness/emu/translation.ts): the values are those QEMU 7.2 logs for the same events.
import test from 'ava';
import {
  decodeExceptionGenerating,
  decodePstate,
  describeEsr,
  entryPstate,
  esrAccess,
  esrBrk,
  esrCall,
  esrDataAbort,
  esrDebug,
  esrFpAccess,
  esrHasFar,
  esrInstructionAbort,
  esrUndefined,
  fpTrapped,
  FSC,
  isFpSimdInstruction,
  vectorOffset,
} from '../../harness/emu/exceptions.js';
import { walkFsc, walkStage1 } from '../../harness/emu/translation.js';
import { el1HflagsFromEl0 } from '../../harness/emu/sysregs.js';

test('syndromes as QEMU reports them (EC, IL, ISS)', (t) => {
  t.is(esrCall('svc', 0x42), 0x56000042n);
  t.is(esrCall('hvc', 5), 0x5a000005n);
  t.is(esrCall('smc', 1), 0x5e000001n);
  t.is(esrBrk(0x99), 0xf2000099n);
  t.is(esrUndefined(), 0x02000000n);
  t.is(esrFpAccess(), 0x1fe00000n);
  t.is(esrDataAbort({ sameEl: true, write: false, fsc: FSC.SYNC_EXTERNAL }), 0x96000010n, 'the `fault` kernel on QEMU');
  t.is(esrDataAbort({ sameEl: true, write: true, fsc: FSC.SYNC_EXTERNAL }), 0x96000050n);
  t.is(esrDataAbort({ sameEl: false, write: false, fsc: FSC.TRANSLATION_L0 + 3 }), 0x92000007n);
  t.is(esrInstructionAbort({ sameEl: true, fsc: FSC.SYNC_EXTERNAL }), 0x86000010n);
  t.is(esrDebug('breakpoint', { sameEl: true }), 0xc6000022n);
  t.is(esrDebug('software step', { sameEl: true }), 0xcf000022n);
  t.is(esrDebug('watchpoint', { sameEl: true, write: true }), 0xd6000062n);
  t.is(esrCall('svc', 0x12345), 0x56002345n, 'imm16 only');
});

test('ESR classes in words, debug exceptions by class; access and FAR by class', (t) => {
  t.is(describeEsr(0x96000010n), 'data abort');
  t.is(describeEsr(0x86000010n), 'instruction abort');
  t.is(describeEsr(0x92000007n), 'data abort from a lower EL');
  t.is(describeEsr(0x02000000n), 'undefined instruction');
  t.is(describeEsr(0x56000000n), 'SVC');
  t.is(describeEsr(0xf2000099n), 'BRK instruction');
  t.is(describeEsr(0xc6000022n), 'breakpoint');
  t.is(describeEsr(0xcf000022n), 'software step');
  t.is(describeEsr(0xd6000062n), 'watchpoint');
  t.is(describeEsr(0xfc000000n), 'exception class 0x3f');
  t.is(esrAccess(0x96000050n), 'write');
  t.is(esrAccess(0x96000010n), 'read');
  t.is(esrAccess(0x86000010n), 'fetch');
  t.is(esrAccess(0x56000000n), null);
  t.true(esrHasFar(0x96000010n));
  t.true(esrHasFar(0xd6000062n));
  t.false(esrHasFar(0x56000000n));
  t.false(esrHasFar(0xf2000099n));
});

test('vector offsets: current EL with SP0 / SPx, lower EL AArch64 / AArch32, by kind', (t) => {
  t.is(vectorOffset(decodePstate(0x3c4n), 1), 0x000n, 'EL1t');
  t.is(vectorOffset(decodePstate(0x3c5n), 1), 0x200n, 'EL1h');
  t.is(vectorOffset(decodePstate(0x000n), 1), 0x400n, 'EL0t');
  t.is(vectorOffset(decodePstate(0x010n), 1), 0x600n, 'EL0 AArch32 (usr)');
  t.is(vectorOffset(decodePstate(0x3c5n), 1, 'irq'), 0x280n);
  t.is(vectorOffset(decodePstate(0x000n), 1, 'serror'), 0x580n);
  t.deepEqual(decodePstate(0x600003c5n), { el: 1, spx: true, aarch32: false });
  t.is(entryPstate(), 0x3c5n, 'EL1h, D A I F masked, NZCV clear (QEMU pstate_write(PSTATE_DAIF | mode))');
});

test('exception-generating instructions and FP/SIMD traps decode', (t) => {
  t.deepEqual(decodeExceptionGenerating(0xd4000241), { kind: 'svc', imm16: 0x12 });
  t.deepEqual(decodeExceptionGenerating(0xd40000a2), { kind: 'hvc', imm16: 5 });
  t.deepEqual(decodeExceptionGenerating(0xd4000023), { kind: 'smc', imm16: 1 });
  t.deepEqual(decodeExceptionGenerating(0xd42000e0), { kind: 'brk', imm16: 7 });
  t.deepEqual(decodeExceptionGenerating(0xd45e0000), { kind: 'hlt', imm16: 0xf000 });
  t.is(decodeExceptionGenerating(0xd503201f), null, 'nop');
  t.true(isFpSimdInstruction(0x9e670020), 'fmov d0, x1');
  t.true(isFpSimdInstruction(0x3d800000), 'str q0, [x0]');
  t.false(isFpSimdInstruction(0xf9400000), 'ldr x0, [x0]');
  t.false(isFpSimdInstruction(0x91000000), 'add');
  t.true(fpTrapped(0n, 1));
  t.true(fpTrapped(1n << 20n, 0));
  t.false(fpTrapped(1n << 20n, 1));
  t.false(fpTrapped(3n << 20n, 0));
});

/** A 4 KiB-granule, 48-bit identity map like kernels/mmu builds, in a sparse memory. */
function tables(): Map<bigint, bigint> {
  const mem = new Map<bigint, bigint>();
  const L0 = 0x40081000n,
    L1 = 0x40082000n,
    L2 = 0x40083000n,
    L3 = 0x40084000n;
  mem.set(L0, L1 | 3n);
  mem.set(L1, 0x0n | 0x401n); // 1 GiB device block at 0
  mem.set(L1 + 8n, L2 | 3n);
  mem.set(L2, L3 | 3n);
  mem.set(L2 + 8n, 0x40200000n | 0x701n); // 2 MiB block
  mem.set(L3 + 0x80n * 8n, 0x40080000n | 0x703n); // page 0x40080000
  mem.set(L3 + 0x81n * 8n, 0x40081000n | 0x303n); // page without AF
  return mem;
}
const regs = { tcr: 0x400803510n, ttbr0: 0x40081000n, ttbr1: 0n };

test('stage 1 walk: pages, blocks and the fault level of a miss', (t) => {
  const mem = tables();
  const read = (pa: bigint) => mem.get(pa) ?? 0n;
  t.like(walkStage1(0x40080123n, regs, read), { ok: true, pa: 0x40080123n, level: 3 });
  t.like(walkStage1(0x40212345n, regs, read), { ok: true, pa: 0x40212345n, level: 2 });
  t.like(walkStage1(0x09000018n, regs, read), { ok: true, pa: 0x09000018n, level: 1 });
  const noPage = walkStage1(0x40085000n, regs, read);
  t.deepEqual(noPage, { ok: false, fault: 'translation', level: 3 });
  if (!noPage.ok) t.is(walkFsc(noPage), 0x07);
  const noAf = walkStage1(0x40081008n, regs, read);
  t.deepEqual(noAf, { ok: false, fault: 'access flag', level: 3 });
  t.deepEqual(walkStage1(0x80000000n, regs, read), { ok: false, fault: 'translation', level: 1 });
  t.deepEqual(walkStage1(0xffff000000000000n, regs, read), { ok: false, fault: 'translation', level: 0 }, 'TTBR1 walks disabled (EPD1)');
  t.deepEqual(
    walkStage1(0x40080000n, regs, () => null),
    { ok: false, fault: 'address size', level: 0 },
    'tables outside memory',
  );
});

test('EL1 translation flags from EL0 ones: the value Unicorn 2.0.1 itself computes for EL1', (t) => {
  // 0x82104000 is env->hflags read from a fresh A57 at EL1 (AArch64, MMU index E10_1, UNPRIV,
  // debug target EL1); its EL0 counterpart differs only in the MMU index and UNPRIV.
  t.is(el1HflagsFromEl0(0x80100000, 3n << 20n, 0n), 0x82104000);
  t.is(el1HflagsFromEl0(0x80100000, 0n, 0n) & (3 << 22), 1 << 22, 'FPEN = 0b00 traps FP at EL1 too');
  t.is(el1HflagsFromEl0(0x80100000, 1n << 20n, 0n) & (3 << 22), 0, 'FPEN = 0b01 traps EL0 only');
  t.is(el1HflagsFromEl0(0xc0100000, 3n << 20n, 1n << 25n), 0x92104000, 'SCTLR_EL1.EE: big-endian data; no step pending');
});
