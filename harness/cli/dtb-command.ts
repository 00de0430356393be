// `wbdiff dtb <kernel> [machine flags] [-o out.dtb]`: the device tree QEMU gives this kernel on this machine.
import { copyFile } from 'node:fs/promises';
import { resolveRunTargets } from '../build/run-target.js';
import { EXIT, WbdiffError } from '../errors.js';
import { qemuDtb } from '../runners/qemu-dtb.js';
import { DEFAULTS } from '../runners/types.js';
import { parseCommandArgs } from './args.js';
import { MACHINE_FLAGS, machineOverrides } from './machine-flags.js';

export async function dtbCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('dtb', argv, {
    cpu: { type: 'string', default: DEFAULTS.cpu },
    output: { type: 'string', short: 'o' },
    ...MACHINE_FLAGS,
  });
  if (positionals.length !== 1)
    throw new WbdiffError('name one kernel or kernel file', {
      where: 'wbdiff dtb',
      hint: 'e.g. wbdiff dtb bootargs --smp 2 --append "x" -o virt.dtb',
    });
  const [target] = await resolveRunTargets({ kernel: positionals[0]!, overrides: machineOverrides(values) });
  const dtb = await qemuDtb(target!.runSpec(values.cpu!));
  if (values.output) await copyFile(dtb.path, values.output);
  process.stdout.write(`${values.output ?? dtb.path}  (${dtb.bytes.length} bytes${dtb.cached ? ', cached' : ''})\n`);
  return EXIT.ok;
}
