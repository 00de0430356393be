// Exceptions and the MMU on the real Unicorn 2.0.1 (issue 12 items 3 and 4): what the engine does
// by itself, measured, and the bundled kernels that take exceptions / turn the MMU on, on every
// CPU model. Both runners on the same kernels: test/kernels.test.ts.
import test from 'ava';
import { runSubject } from '../harness/cli/run-command.js';
import { VirtMachine } from '../harness/emu/virt-machine.js';
import { HCR_RW, isNonSecureAarch64El1, SCR_NS, SCR_RW, SYSREG } from '../harness/emu/sysregs.js';
import { EXCP, UC_PROT, Unicorn } from '../harness/emu/unicorn.js';
import { subject } from './helpers/subjects.js';

const words = (list: number[]) => new Uint8Array(new Uint32Array(list).buffer);
const NOP = 0xd503201f;

test('unicorn 2.0.1 reports exceptions to UC_HOOK_INTR and drops them: ESR/ELR untouched, pc = preferred return', (t) => {
  const cases: [string, number, number, bigint][] = [
    ['svc #0x12', 0xd4000241, EXCP.SWI, 0x40000008n],
    ['brk #7', 0xd42000e0, EXCP.BKPT, 0x40000004n],
    ['udf #3', 0x00000003, EXCP.UDEF, 0x40000004n],
    ['hvc #5 (no EL2 enabled: undefined)', 0xd40000a2, EXCP.UDEF, 0x40000004n],
    ['smc #1', 0xd4000023, EXCP.SMC, 0x40000008n],
  ];
  for (const [name, insn, intno, pc] of cases) {
    const uc = Unicorn.open({ model: 'A57' });
    uc.memMap(0x40000000n, 0x1000, UC_PROT.ALL);
    uc.memWrite(0x40000000n, words([NOP, insn, NOP, 0x14000000]));
    const seen: unknown[] = [];
    uc.hookIntr((n) => {
      seen.push({ n, pc: uc.regRead('pc'), esr: uc.regRead('esr_el1'), elr: uc.regRead('elr_el1'), pstate: uc.regRead('pstate') & 0xfn });
      uc.emuStop();
    });
    t.is(uc.emuStart(0x40000000n, 0x4000000cn, 100_000), 0, name);
    t.deepEqual(seen, [{ n: intno, pc, esr: 0n, elr: 0n, pstate: 5n }], name);
    uc.close();
  }
});

test('unicorn 2.0.1 starts EL1 Secure and AArch32-below-EL3 (SCR_EL3 = 0); the virt machine makes it Non-secure AArch64', (t) => {
  const uc = Unicorn.open({ model: 'A57' });
  t.teardown(() => uc.close());
  t.is(uc.sysRegRead(SYSREG.SCR_EL3), 0n, 'NS = 0, RW = 0: why the MMU could not be turned on');
  t.is(uc.sysRegRead(SYSREG.HCR_EL2), 0n);
  t.false(isNonSecureAarch64El1(uc));
  for (const model of ['A57', 'A53', 'A72', 'MAX'] as const) {
    const machine = VirtMachine.create({ model });
    t.is(machine.uc.sysRegRead(SYSREG.SCR_EL3) & (SCR_NS | SCR_RW), SCR_NS | SCR_RW, model);
    t.is(machine.uc.sysRegRead(SYSREG.HCR_EL2) & HCR_RW, HCR_RW, model);
    t.is(machine.uc.regRead('pstate') & 0xfn, 5n, `${model}: still EL1h`);
    t.deepEqual(machine.uc.memRead(0x40000000n, 8), new Uint8Array(8), `${model}: the borrowed RAM is put back`);
    machine.close();
  }
});

for (const cpu of ['cortex-a57', 'cortex-a53', 'cortex-a72', 'max']) {
  test(`emu ${cpu}: exceptions takes SVC, UDF, BRK, load/store aborts, EL1t SVC and flags through its own vector table`, async (t) => {
    const { runs } = await runSubject(await subject('exceptions'), ['emu'], cpu);
    const run = runs[0]!;
    t.is(run.verdict, 'completed', `${run.reason}\n${run.serial}`);
    t.deepEqual(run.markers, { T1: 'Y', T2: 'Y', T3: 'Y', T4: 'Y', T5: 'Y', T6: 'Y', T7: 'Y', T8: 'Y' });
    t.regex(run.serial, /load: ESR=0x0000000096000010 SPSR=0x00000000200003c5 vector=0x0000000000000200/);
  });

  test(`emu ${cpu}: mmu turns the MMU on with a 4 KiB identity map (and an alias) and keeps printing`, async (t) => {
    const { runs } = await runSubject(await subject('mmu'), ['emu'], cpu);
    const run = runs[0]!;
    t.is(run.verdict, 'completed', `${run.reason}\n${run.serial}`);
    t.deepEqual(run.markers, { T1: 'Y', T2: 'Y', T3: 'Y', T4: 'Y', T5: 'Y' });
    t.regex(run.serial, /MMU ON\n/);
    // T4 reads through VA 0x80000000+: Unicorn 2.0.1 needs a placeholder page there (virtual-alias.ts).
    t.deepEqual(run.details['virtualAliasPages'], ['0x80085000']);
  });
}

test("emu: fault takes its data abort to its `b .` vector and faults at the ldr, with QEMU's syndrome", async (t) => {
  const { runs } = await runSubject(await subject('fault'), ['emu'], 'cortex-a57');
  const run = runs[0]!;
  t.is(run.verdict, 'fault');
  t.is(run.fault?.kind, 'data abort');
  t.is(run.fault?.esr, '0x96000010');
  t.is(run.fault?.address, '0x50000000');
  t.regex(run.fault?.pcSymbol ?? '', /^main\+0x[0-9a-f]+$/);
  t.regex(run.fault?.detail ?? '', /vector at 0x[0-9a-f]+ is a branch to itself/);
});

test('an IRQ taken for an interrupt model goes to VBAR + 0x280 with ELR = pc and no syndrome, and ERET resumes', (t) => {
  const machine = VirtMachine.create({ model: 'A57' });
  t.teardown(() => machine.close());
  const uc = machine.uc;
  // main: x3 += 1 forever; the handler records ELR in x1 and marks x2.
  uc.memWrite(0x40080000n, words([0x91000463 /* add x3, x3, #1 */, 0x17ffffff /* b .-4 */]));
  uc.memWrite(0x40100280n, words([0xd5384021 /* mrs x1, elr_el1 */, 0xd2800022 /* movz x2, #1 */, 0xd69f03e0 /* eret */]));
  uc.regWrite('vbar_el1', 0x40100000n);
  uc.regWrite('pstate', 0x5n); // EL1h, interrupts unmasked
  uc.regWrite('pc', 0x40080000n);
  const result = machine.exceptions.takeInterrupt('irq');
  t.is(result.kind, 'taken');
  t.is(uc.regRead('pc'), 0x40100280n);
  t.is(uc.regRead('pstate') & 0x3cfn, 0x3c5n, 'EL1h with D A I F masked');
  t.is(uc.sysRegRead(SYSREG.SPSR_EL1), 0x5n);
  t.is(uc.regRead('esr_el1'), 0n, 'an IRQ writes no syndrome');
  machine.programCounter = 0x40100280n;
  t.is(machine.runSlice(1000).kind, 'running');
  t.is(uc.regRead('x1'), 0x40080000n);
  t.is(uc.regRead('x2'), 1n);
  t.is(uc.regRead('pstate') & 0x3cfn, 0x5n, 'ERET restored the interrupted PSTATE');
  t.true(uc.regRead('x3') > 0n, 'main ran again after the return');
  t.is(machine.unreturnedException(), null);
});
