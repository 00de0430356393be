import test from 'ava';
import { ExceptionJudge, REPEAT_LIMIT } from '../../harness/runners/exception-judge.js';
import {
  accessKind,
  exceptionKind,
  qemuErrorLines,
  QemuLogReader,
  type LogEvent,
  type QemuException,
} from '../../harness/runners/qemu-log.js';
import { kernelSetsExitCode, qemuInvocation } from '../../harness/runners/qemu-args.js';
import { interpretExit } from '../../harness/runners/qemu.js';

const ABORT = `Invalid read at addr 0x50000000, size 8, region '(null)', reason: rejected
Taking exception 4 [Data Abort] on CPU 0
...from EL1 to EL1
...with ESR 0x25/0x96000010
...with FAR 0x50000000
...with ELR 0x40080018
...to EL1 PC 0x200 PSTATE 0x3c5
`;

const taken = (events: LogEvent[]): QemuException[] => events.flatMap((e) => (e.kind === 'taken' ? [e.exception] : []));

test('a data abort block is read whole, even split across chunks', (t) => {
  const reader = new QemuLogReader();
  const found = taken([...reader.push(ABORT.slice(0, 90)), ...reader.push(ABORT.slice(90)), ...reader.end()]);
  t.is(found.length, 1);
  const e = found[0]!;
  t.is(e.name, 'Data Abort');
  t.is(e.ec, 0x25);
  t.is(e.esr, 0x96000010n);
  t.is(e.far, 0x50000000n);
  t.is(e.elr, 0x40080018n);
  t.is(e.vector, 0x200n);
  t.is(accessKind(e), 'read');
  t.is(exceptionKind(e), 'data abort');
  t.deepEqual(reader.guestErrors, ["Invalid read at addr 0x50000000, size 8, region '(null)', reason: rejected"]);
});

test('a PSCI call taken via HVC is not an exception the guest handles', (t) => {
  const reader = new QemuLogReader();
  const found = taken(
    reader.push('Taking exception 6 [HVC] on CPU 0\n...from EL1 to EL2\n...with ESR 0x16/0x5a000000\n...handled as PSCI call\n'),
  );
  t.is(found.length, 1);
  t.true(found[0]!.psci);
  t.is(reader.taken, 0);
  t.is(new ExceptionJudge(() => null).onEvent({ kind: 'taken', exception: found[0]! }), null);
});

test('a semihosting call, as QEMU 7.2 logs it, is served by QEMU, not taken by the guest', (t) => {
  const reader = new QemuLogReader();
  const found = taken(
    reader.push('Taking exception 16 [Semihosting call] on CPU 0\n...from EL1 to EL0\n...handling as semihosting call 0x18\n'),
  );
  t.true(found[0]!.semihosting);
  t.is(reader.taken, 0);
});

test('write aborts are told from reads by ESR.WnR; debug exceptions are named by their class', (t) => {
  const reader = new QemuLogReader();
  const [e] = taken(reader.push('Taking exception 4 [Data Abort] on CPU 0\n...with ESR 0x25/0x96000050\n...to EL1 PC 0x200\n'));
  t.is(accessKind(e!), 'write');
  const [bp] = taken(reader.push('Taking exception 3 [Prefetch Abort] on CPU 0\n...with ESR 0x31/0xc6000022\n...to EL1 PC 0x40080200\n'));
  t.is(exceptionKind(bp!), 'breakpoint');
  const [wp] = taken(reader.push('Taking exception 4 [Data Abort] on CPU 0\n...with ESR 0x35/0xd6000062\n...to EL1 PC 0x40080200\n'));
  t.is(exceptionKind(wp!), 'watchpoint');
  const [ss] = taken(
    reader.push('Taking exception 1 [Undefined Instruction] on CPU 0\n...with ESR 0x33/0xce000022\n...to EL1 PC 0x40080200\n'),
  );
  t.is(exceptionKind(ss!), 'software step');
});

// From selftest.flat's vectors-kernel run on QEMU 7.2 (an undefined instruction taken, handled, returned).
const HANDLED = `Taking exception 1 [Undefined Instruction] on CPU 0
...from EL1 to EL1
...with ESR 0x0/0x2000000
...with ELR 0x4008043c
...to EL1 PC 0x40081200 PSTATE 0x3c5
Exception return from AArch64 EL1 to AArch64 EL1 PC 0x40080440
`;

test('an exception the kernel handles and returns from is no fault; a timeout names a handler that never returned', (t) => {
  const reader = new QemuLogReader();
  const judge = new ExceptionJudge((addr) => (addr === 0x40081200n ? 0xd503201f : null));
  const events = reader.push(HANDLED);
  t.deepEqual(
    events.map((e) => e.kind),
    ['taken', 'return'],
  );
  t.is(judge.onEvent(events[0]!), null);
  t.is(judge.pendingCause()?.elr, 0x4008043cn);
  t.is(judge.onEvent(events[1]!), null);
  t.is(judge.pendingCause(), null);
});

test('no vector table, a b . vector and a loop at the vector are unhandled', (t) => {
  const abort = taken(new QemuLogReader().push(ABORT))[0]!;
  t.regex(new ExceptionJudge(() => null).onEvent({ kind: 'taken', exception: abort })!.why, /no vector table/);
  const spinning = { ...abort, vector: 0x40080800n };
  t.regex(
    new ExceptionJudge((a) => (a === 0x40080800n ? 0x14000000 : null)).onEvent({ kind: 'taken', exception: spinning })!.why,
    /branch to itself/,
  );
  const judge = new ExceptionJudge(() => 0xd503201f);
  const again = { ...abort, vector: 0x40080a00n };
  const findings = Array.from({ length: REPEAT_LIMIT }, () => {
    const found = judge.onEvent({ kind: 'taken', exception: again });
    judge.onEvent({ kind: 'return', ret: { fromEl: 1, toEl: 1, pc: again.elr! } });
    return found;
  });
  t.deepEqual(findings.slice(0, -1), Array(REPEAT_LIMIT - 1).fill(null));
  t.regex(findings.at(-1)!.why, /times in a row/);
  // Returning elsewhere between takes is progress (an abort fixed up and skipped).
  const skipped = new ExceptionJudge(() => 0xd503201f);
  for (let i = 0; i < REPEAT_LIMIT * 2; i++) {
    t.is(skipped.onEvent({ kind: 'taken', exception: again }), null);
    skipped.onEvent({ kind: 'return', ret: { fromEl: 1, toEl: 1, pc: again.elr! + 4n } });
  }
  // An SVC in a loop returns to its ELR, which is already past the SVC: progress too.
  const svcLoop = new ExceptionJudge(() => 0xd503201f);
  const svc = { ...again, name: 'SVC', ec: 0x15, esr: 0x56000000n };
  for (let i = 0; i < REPEAT_LIMIT * 2; i++) {
    t.is(svcLoop.onEvent({ kind: 'taken', exception: svc }), null);
    svcLoop.onEvent({ kind: 'return', ret: { fromEl: 1, toEl: 1, pc: svc.elr! } });
  }
});

test('the reader keeps bounded state however much QEMU logs', (t) => {
  const reader = new QemuLogReader();
  const block = HANDLED.repeat(1000);
  for (let i = 0; i < 50; i++) reader.push(block);
  reader.push('x'.repeat(1 << 20));
  t.is(reader.taken, 50_000);
  t.is(reader.returns, 50_000);
  t.true(reader.messages.length <= 20);
  t.is(reader.end().length, 0);
});

test('QEMU exits: power-off, semihosting and chr-testdev statuses, and QEMU failing', (t) => {
  t.like(interpretExit(0, null, [], null), { verdict: 'completed', poweredOff: true, exitStatus: null });
  t.like(interpretExit(3, null, [], 'semihosting'), { verdict: 'completed', exitStatus: 3 });
  t.like(interpretExit(0, null, [], 'semihosting', true), { verdict: 'completed', exitStatus: 0, poweredOff: false });
  t.like(interpretExit(1, null, [], 'chr-testdev'), { verdict: 'completed', exitStatus: 0 });
  t.like(interpretExit(77, null, [], 'chr-testdev'), { verdict: 'completed', exitStatus: 77 });
  t.like(interpretExit(1, null, [], null), { verdict: 'crash' });
  const glib = qemuErrorLines([
    '(process:1234): GLib-ERROR **: 10:00:00.000: ../../../glib/gmem.c:106: failed to allocate 18446744073709551615 bytes',
    'qemu: module ui-ui-gtk not found, do you want to install qemu-system-gui package?',
  ]);
  t.is(glib.length, 1);
  t.like(interpretExit(null, 'SIGTRAP', glib, 'chr-testdev'), { verdict: 'crash' });
  t.like(interpretExit(1, null, ['qemu-system-aarch64: -device nope: unknown device'], 'chr-testdev'), { verdict: 'crash' });
});

test('the QEMU command line is built without a shell, with the machine description', (t) => {
  const inv = qemuInvocation({ elfPath: '/k.elf', cpu: 'cortex-a53', timeoutMs: 1000 });
  t.is(inv.file, process.env['WBDIFF_QEMU'] ?? 'qemu-system-aarch64');
  t.deepEqual(inv.args.slice(0, 4), ['-M', 'virt', '-cpu', 'cortex-a53']);
  t.true(inv.args.includes('-nographic'));
  t.deepEqual(inv.args.slice(-2), ['-kernel', '/k.elf']);
  t.is(inv.args[inv.args.indexOf('-d') + 1], 'int,guest_errors');
  const machine = {
    smp: 2,
    machine: { 'gic-version': '3', odd: 'a,b' },
    append: 'x y',
    initrd: '/env',
    devices: ['pci-testdev'],
    chardevs: ['testdev,id=ctd'],
    semihosting: true,
    qemuArgs: ['-icount', '0'],
  };
  const full = qemuInvocation({ elfPath: '/k.flat', cpu: 'max', timeoutMs: 1000, machine }).args;
  t.is(full[1], 'virt,gic-version=3,odd=a,,b');
  t.is(full[full.indexOf('-smp') + 1], '2');
  t.is(full[full.indexOf('-append') + 1], 'x y');
  t.is(full[full.indexOf('-initrd') + 1], '/env');
  t.is(full[full.indexOf('-device') + 1], 'pci-testdev');
  t.is(full[full.indexOf('-chardev') + 1], 'testdev,id=ctd');
  t.is(full[full.indexOf('-semihosting-config') + 1], 'enable=on,target=native');
  t.deepEqual(full.slice(-2), ['-icount', '0']);
  t.is(kernelSetsExitCode(machine), 'semihosting');
  t.is(kernelSetsExitCode({ chardevs: ['testdev,id=ctd'] }), 'chr-testdev');
});
