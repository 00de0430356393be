// The GIC and timer models against real QEMU 7.2: one probe kernel per GIC version reads IDs,
// TYPERs and reset values, writes registers to see which bits stick, and takes a self-SGI
// through acknowledge and EOI. It runs on qemu-system-aarch64; the same script is replayed on
// the models; every printed value must be equal.
import test from 'ava';
import { VirtInterrupts } from '../../harness/emu/interrupts/virt-interrupts.js';
import { GICV2_PROBE, GICV3_PROBE } from '../helpers/gic-probes.js';
import { replayProbe } from '../helpers/probe-replay.js';
import { runProbeOnQemu, type ProbeStep, type ProbeValues } from '../helpers/register-probe.js';

const show = (values: ProbeValues) => Object.fromEntries([...values].map(([k, v]) => [k, `0x${v.toString(16)}`]));

const cases: { name: string; steps: ProbeStep[]; machine: string; gicVersion: 2 | 3; cpus: number }[] = [
  { name: 'GICv2, 1 CPU', steps: GICV2_PROBE, machine: 'virt', gicVersion: 2, cpus: 1 },
  { name: 'GICv2, 2 CPUs', steps: GICV2_PROBE, machine: 'virt', gicVersion: 2, cpus: 2 },
  { name: 'GICv3, 1 CPU', steps: GICV3_PROBE, machine: 'virt,gic-version=3', gicVersion: 3, cpus: 1 },
  { name: 'GICv3, 2 CPUs', steps: GICV3_PROBE, machine: 'virt,gic-version=3', gicVersion: 3, cpus: 2 },
];

for (const c of cases) {
  test(`${c.name}: the models read back what QEMU 7.2 reads, register by register`, async (t) => {
    const qemu = await runProbeOnQemu(c.steps, c.machine, c.cpus);
    const model = replayProbe(c.steps, new VirtInterrupts({ gicVersion: c.gicVersion, cpus: c.cpus }));
    t.true(qemu.size > 40, `the probe printed ${qemu.size} values`);
    t.deepEqual(show(model), show(qemu));
  });
}
