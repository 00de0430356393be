// Replays a register probe on the emulator's interrupt models, giving the values the same
// kernel would print there (CPU 0 makes every access, as in the probe kernel).
import type { VirtInterrupts } from '../../harness/emu/interrupts/virt-interrupts.js';
import type { ProbeStep, ProbeValues } from './register-probe.js';

export function replayProbe(steps: ProbeStep[], model: VirtInterrupts): ProbeValues {
  const values: ProbeValues = new Map();
  const region = (address: number) => {
    const found = model.mmioRegions().find((r) => BigInt(address) >= r.base && BigInt(address) < r.base + BigInt(r.size));
    if (!found) throw new Error(`the probe touches 0x${address.toString(16)}, outside the modelled GIC windows`);
    return { region: found, offset: Number(BigInt(address) - found.base) };
  };
  for (const step of steps) {
    switch (step.op) {
      case 'read': {
        const { region: r, offset } = region(step.address);
        values.set(step.label, r.read(0, offset, 4) & 0xffff_ffffn);
        break;
      }
      case 'write': {
        const { region: r, offset } = region(step.address);
        r.write(0, offset, 4, BigInt(step.value >>> 0));
        break;
      }
      case 'mrs': {
        const value = model.readSysreg(0, step.reg);
        if (value === null) throw new Error(`the models do not answer MRS ${JSON.stringify(step.reg)}`);
        values.set(step.label, value);
        break;
      }
      case 'msr':
        if (!model.writeSysreg(0, step.reg, step.value)) throw new Error(`the models do not take MSR ${JSON.stringify(step.reg)}`);
        break;
    }
  }
  return values;
}
