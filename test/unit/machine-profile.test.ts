// The CPU map lives once, in qemu/virt.json: the emulator's models come from it, and each is one Unicorn has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { FLASH_BASE, FLASH_SIZE } from '../../harness/emu/devices/flash-bus.js';
import { VIRT } from '../../harness/emu/virt-machine.js';
import { REPO_ROOT } from '../../harness/paths.js';
import { VIRT_FLASH_END, VIRT_RAM_BASE } from '../../harness/util/virt-addresses.js';
import { UC_CPU_ARM64 } from '../../harness/emu/unicorn.js';
import { emulatorCpuModels, machineProfile } from '../../harness/machine-profile.js';
import { UNICORN_CPU_MODELS, unicornModelFor } from '../../harness/runners/emu.js';

test('the emulator CPU models are those of qemu/virt.json, each a model Unicorn 2.0.1 has', (t) => {
  t.deepEqual(UNICORN_CPU_MODELS, emulatorCpuModels());
  t.deepEqual(Object.keys(UNICORN_CPU_MODELS), Object.keys(machineProfile().cpus));
  for (const model of Object.values(UNICORN_CPU_MODELS)) t.true(model in UC_CPU_ARM64, model);
  t.is(unicornModelFor(' Cortex-A53 '), 'A53');
  t.is(unicornModelFor('neoverse-n1'), null);
});

test("virt's RAM base and flash end are written once as constants, equal to qemu/virt.json's map and to the flash the emulator builds", (t) => {
  const profile = machineProfile();
  const raw = JSON.parse(readFileSync(join(REPO_ROOT, 'qemu', 'virt.json'), 'utf8')) as { ramBase: string };
  t.is(BigInt(raw.ramBase), VIRT_RAM_BASE);
  const ram = profile.memoryMap.find((r) => r.base === VIRT_RAM_BASE);
  t.truthy(ram, 'virt.json maps RAM at VIRT_RAM_BASE');
  const flash = profile.memoryMap.find((r) => r.name.startsWith('flash'));
  t.is(flash?.base, 0n);
  t.is(flash?.end, VIRT_FLASH_END);
  t.is(FLASH_BASE + FLASH_SIZE, VIRT_FLASH_END);
  t.is(VIRT.ramBase, VIRT_RAM_BASE);
});
