// Devices of the emulator's virt board against QEMU 7.2, on kernels written here.
import test from 'ava';
import { runSubject } from '../harness/cli/run-command.js';
import { FW_CFG_FILES, FwCfg } from '../harness/emu/devices/mmio.js';
import { subject } from './helpers/subjects.js';

test('fwcfg: the signature, id, items and file directory read the same bytes on QEMU and on the emulator', async (t) => {
  const { runs } = await runSubject(await subject('fwcfg'), ['qemu', 'emu'], 'cortex-a57');
  const [qemu, emu] = runs;
  t.is(qemu!.verdict, 'completed', qemu!.reason);
  t.is(emu!.verdict, 'completed', emu!.reason);
  t.regex(qemu!.serial, /^FILES=9$/m);
  t.is(emu!.serial, qemu!.serial);
});

test('fw_cfg: reading a file whose bytes QEMU builds (ACPI, SMBIOS, table-loader) names it; an unused key reads 0', (t) => {
  const reasons: string[] = [];
  const fwcfg = new FwCfg(0x0902_0000n, (_device, _offset, detail) => reasons.push(detail));
  const select = (key: number) => fwcfg.write(8, 2, BigInt(((key & 0xff) << 8) | (key >> 8)));
  select(0x0010);
  t.is(fwcfg.read(0, 4), 0n);
  select(0x0024);
  t.is(fwcfg.read(0, 4), 0xffff_ffffn, 'etc/boot-fail-wait: no reboot timeout');
  t.deepEqual(reasons, []);
  for (const file of FW_CFG_FILES.filter((f) => f.size > 0 && f.select !== 0x24)) {
    select(file.select);
    fwcfg.read(0, 1);
  }
  t.deepEqual(
    reasons.map((r) => /file (\S+)/.exec(r)?.[1]),
    ['etc/acpi/rsdp', 'etc/acpi/tables', 'etc/smbios/smbios-anchor', 'etc/smbios/smbios-tables', 'etc/table-loader'],
  );
});

test('its-probe: the GICv3 ITS registers read the same on QEMU and on the emulator, at reset and after its_init-style writes', async (t) => {
  const { runs } = await runSubject(await subject('its-probe'), ['qemu', 'emu'], 'cortex-a57');
  const [qemu, emu] = runs;
  t.is(qemu!.verdict, 'completed', qemu!.reason);
  t.is(emu!.verdict, 'completed', emu!.reason);
  t.regex(qemu!.serial, /^REG BASER0 0x8107000040100200$/m);
  t.is(emu!.serial, qemu!.serial);
});
