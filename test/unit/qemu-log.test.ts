import test from 'ava';
import { accessKind, isFatalException, QemuLogReader } from '../../harness/runners/qemu-log.js';
import { qemuInvocation } from '../../harness/runners/qemu-args.js';

const ABORT = `Invalid read at addr 0x50000000, size 8, region '(null)', reason: rejected
Taking exception 4 [Data Abort] on CPU 0
...from EL1 to EL1
...with ESR 0x25/0x96000010
...with FAR 0x50000000
...with ELR 0x40080018
...to EL1 PC 0x200 PSTATE 0x3c5
`;

test('a data abort block is read whole, even split across chunks', (t) => {
  const reader = new QemuLogReader();
  const found = [...reader.push(ABORT.slice(0, 90)), ...reader.push(ABORT.slice(90)), ...reader.end()];
  t.is(found.length, 1);
  const e = found[0]!;
  t.is(e.name, 'Data Abort');
  t.is(e.ec, 0x25);
  t.is(e.esr, 0x96000010n);
  t.is(e.far, 0x50000000n);
  t.is(e.elr, 0x40080018n);
  t.is(accessKind(e), 'read');
  t.true(isFatalException(e));
  t.deepEqual(reader.guestErrors, ["Invalid read at addr 0x50000000, size 8, region '(null)', reason: rejected"]);
});

test('a PSCI call taken via HVC is not a fault', (t) => {
  const reader = new QemuLogReader();
  const found = reader.push('Taking exception 6 [HVC] on CPU 0\n...from EL1 to EL2\n...with ESR 0x16/0x5a000000\n...handled as PSCI call\n');
  t.is(found.length, 1);
  t.true(found[0]!.psci);
  t.false(isFatalException(found[0]!));
});

test('write aborts are told from reads by ESR.WnR', (t) => {
  const reader = new QemuLogReader();
  const [e] = reader.push('Taking exception 4 [Data Abort] on CPU 0\n...with ESR 0x25/0x96000050\n...to EL1 PC 0x200\n');
  t.is(accessKind(e!), 'write');
});

test('the QEMU command line is built without a shell and with the log on stderr', (t) => {
  const inv = qemuInvocation({ elfPath: '/k.elf', cpu: 'cortex-a53', timeoutMs: 1000 });
  t.is(inv.file, process.env['WBDIFF_QEMU'] ?? 'qemu-system-aarch64');
  t.deepEqual(inv.args.slice(0, 4), ['-M', 'virt', '-cpu', 'cortex-a53']);
  t.true(inv.args.includes('-nographic'));
  t.deepEqual(inv.args.slice(-2), ['-kernel', '/k.elf']);
  t.is(inv.args[inv.args.indexOf('-d') + 1], 'int,guest_errors');
});
