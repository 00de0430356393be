// QEMU's pci-testdev on the emulator's PCIe (emu/devices/pci-testdev.ts) against QEMU 7.2.
import test from 'ava';
import { runSubject } from '../harness/cli/run-command.js';
import { emuCannotHonour } from '../harness/runners/emu.js';
import { subject } from './helpers/subjects.js';

test('pci-testdev: ECAM header, BAR sizing and decoding, and every test count read the same on QEMU and on the emulator', async (t) => {
  const { runs } = await runSubject(await subject('pci-testdev'), ['qemu', 'emu'], 'cortex-a57');
  const [qemu, emu] = runs;
  t.is(qemu!.verdict, 'completed', qemu!.reason);
  t.is(emu!.verdict, 'completed', emu!.reason);
  // QEMU's own figures: 16 writes + the split halfword count for no-eventfd; the eventfd tests
  // count only the byte of the split halfword (their exact writes go to the ioeventfd).
  t.regex(qemu!.serial, /^found at 00:01\.0$/m);
  t.regex(qemu!.serial, /^BAR1 was=00000001 sized=ffffff01 restored=00000001$/m);
  t.regex(qemu!.serial, /name=mmio-no-eventfd after=00000011$/m);
  t.regex(qemu!.serial, /name=portio-datamatch-eventfd after=00000001$/m);
  t.regex(qemu!.serial, /^after disable: mem=ffffffff io=ffffffff$/m);
  t.is(emu!.serial, qemu!.serial);
  for (const id of ['T1', 'T2', 'T3', 'T4']) t.is(emu!.markers[id], 'Y', id);
});

test('the emulator accepts -device pci-testdev and still refuses devices it does not model', (t) => {
  t.is(emuCannotHonour({ machine: { devices: ['pci-testdev'] } }), null);
  t.regex(
    emuCannotHonour({ machine: { devices: ['pci-testdev', 'virtio-rng-device'] } }) ?? '',
    /does not model --device virtio-rng-device \(/,
  );
  t.regex(emuCannotHonour({ machine: { devices: ['pci-testdev,addr=05.0'] } }) ?? '', /does not model --device pci-testdev,addr=05\.0/);
});
