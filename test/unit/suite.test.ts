// kvm-unit-tests' unittests.cfg format, on a config written here (not the suite's own file).
import test from 'ava';
import {
  evaluateSmp,
  expandSection,
  kvmUnitTestsEnviron,
  machineFromParams,
  parseTimeout,
  parseUnittestsCfg,
  shellWords,
} from '../../harness/suite/kvm-unit-tests.js';

const CFG = `# comment
[alpha]
file = alpha.flat
smp = 2
test_args = 'setup smp=2 mem=256'
qemu_params = -m 256
groups = one

[beta]
file = beta.flat
smp = $((($MAX_SMP < 8)?$MAX_SMP:8))
test_args = "mode 0"
extra_params = -machine gic-version=3,mte=on -device virtio-rng-device -icount 0
timeout = 10s
groups = two

[gamma]
file = gamma.flat
accel = kvm

[delta]
file = delta.flat
groups = two migration

[epsilon]
file = eps.flat
groups = nodefault
`;

const context = { maxSmp: 4, environPath: '/cache/environ', where: 'unittests.cfg' };

test('sections are read as the suite runner reads them', (t) => {
  const sections = parseUnittestsCfg(CFG);
  t.deepEqual(
    sections.map((s) => s.name),
    ['alpha', 'beta', 'gamma', 'delta', 'epsilon'],
  );
  t.like(sections[1], { file: 'beta.flat', testArgs: '"mode 0"', timeout: '10s', groups: ['two'] });
});

test("a section becomes a kernel with arm/run's devices, the environ initrd and its own options", (t) => {
  const [alpha, beta, gamma, delta, epsilon] = parseUnittestsCfg(CFG).map((s) => expandSection(s, context));
  t.like(alpha, { name: 'alpha', file: 'alpha.flat', memoryMiB: 256, timeoutMs: 90_000 });
  t.like((alpha as { machine: object }).machine, {
    smp: 2,
    append: 'setup smp=2 mem=256',
    initrd: '/cache/environ',
    chardevs: ['testdev,id=ctd'],
  });
  const b = beta as { machine: { smp: number; machine: object; devices: string[]; qemuArgs: string[]; append: string }; timeoutMs: number };
  t.is(b.machine.smp, 4);
  t.deepEqual(b.machine.machine, { 'gic-version': '3', mte: 'on' });
  t.deepEqual(b.machine.devices, ['virtio-serial-device', 'virtconsole,chardev=ctd', 'pci-testdev', 'virtio-rng-device']);
  t.deepEqual(b.machine.qemuArgs, ['-icount', '0']);
  t.is(b.machine.append, 'mode 0');
  t.is(b.timeoutMs, 10_000);
  t.regex((gamma as { skipped: string }).skipped, /kvm only/);
  t.regex((delta as { skipped: string }).skipped, /migration/);
  t.regex((epsilon as { skipped: string }).skipped, /manual run only/);
});

test('smp expressions, shell words, timeouts and the environ', (t) => {
  t.is(evaluateSmp('$MAX_SMP', 2, 'x'), 2);
  t.is(evaluateSmp('$((($MAX_SMP < 3)?$MAX_SMP:3))', 8, 'x'), 3);
  t.throws(() => evaluateSmp('$(nproc)', 2, 'x'), { message: /cannot evaluate/ });
  t.deepEqual(shellWords(`-append 'a b' "c d" e\\ f`, 'x'), ['-append', 'a b', 'c d', 'e f']);
  t.throws(() => shellWords('-m `echo 1`', 'x'), { message: /shell expansion/ });
  t.is(parseTimeout('2m', 'x'), 120_000);
  t.deepEqual(machineFromParams(['-M', 'virt,gic-version=2']).machine, { machine: { 'gic-version': '2' } });
  const environ = kvmUnitTestsEnviron('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)', '6.1.0-18-arm64');
  t.regex(environ, /^TARGET=qemu$/m);
  t.regex(environ, /^QEMU_MAJOR=7\nQEMU_MINOR=2\nQEMU_MICRO=22$/m);
  t.regex(environ, /^KERNEL_VERSION=6\nKERNEL_PATCHLEVEL=1\nKERNEL_SUBLEVEL=0\nKERNEL_EXTRAVERSION=18$/m);
  t.regex(environ, /^ERRATA_FORCE=y$/m);
});

test("arm/run's chr-testdev is optional for runners that lack it; pci-testdev is optional except for the pci group", async (t) => {
  const { withoutOptionalDevices } = await import('../../harness/machine/description.js');
  const { emuCannotHonour } = await import('../../harness/runners/emu.js');
  const cfg = `[plain]\nfile = plain.flat\ngroups = selftest\n\n[pci-test]\nfile = pci-test.flat\ngroups = pci\n`;
  const [plain, pci] = parseUnittestsCfg(cfg).map((s) => expandSection(s, context)) as {
    machine: import('../../harness/machine/description.js').MachineOptions;
  }[];
  // QEMU still gets every device arm/run adds.
  t.deepEqual(plain!.machine.devices, ['virtio-serial-device', 'virtconsole,chardev=ctd', 'pci-testdev']);
  t.deepEqual(plain!.machine.chardevs, ['testdev,id=ctd']);
  const left = withoutOptionalDevices(plain!.machine);
  t.is(left.machine!.devices, undefined);
  t.is(left.machine!.chardevs, undefined);
  t.is(left.machine!.initrd, '/cache/environ');
  t.deepEqual(left.left!.entries, ['virtio-serial-device', 'virtconsole,chardev=ctd', 'pci-testdev', 'testdev,id=ctd']);
  t.regex(left.left!.why, /EXIT: STATUS=/);
  t.is(emuCannotHonour({ machine: plain!.machine }), null);
  const pciLeft = withoutOptionalDevices(pci!.machine);
  t.deepEqual(pciLeft.machine!.devices, ['pci-testdev']);
  t.is(emuCannotHonour({ machine: pci!.machine }), null, 'the emulator models pci-testdev (emu/devices/pci-testdev.ts)');
  // Nothing optional: the options come back as they were.
  const bare = { devices: ['virtio-rng-device'] };
  t.is(withoutOptionalDevices(bare).machine, bare);
  t.is(withoutOptionalDevices(bare).left, null);
});

test("QEMU's boot stub places the initrd at RAM + min(RAM / 2, 128 MiB) (past the image, page aligned) and the DTB 2 MiB aligned after it", async (t) => {
  const { linuxBootStub } = await import('../../harness/machine/dtb-placement.js');
  const ram = 0x4000_0000n;
  // Measured on QEMU 7.2 with kernels/initrd (44-byte initrd, 512 MiB).
  t.like(linuxBootStub(ram, 512n << 20n, 0x4008_0000n, { initrdSize: 44 }), { initrdAddress: 0x4800_0000n, dtbAddress: 0x4820_0000n });
  t.like(linuxBootStub(ram, 128n << 20n, 0x4008_0000n), { initrdAddress: 0x4400_0000n, dtbAddress: 0x4400_0000n });
  t.like(linuxBootStub(ram, 128n << 20n, 0x4008_0000n, { imageEnd: 0x4500_0123n, initrdSize: 0x20_0000 }), {
    initrdAddress: 0x4500_1000n,
    dtbAddress: 0x4540_0000n,
  });
});
