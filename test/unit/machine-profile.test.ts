// The CPU map lives once, in qemu/virt.json: the emulator's models come from it, and each is one Unicorn has.
import test from 'ava';
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
