// What diagnose and parity trace: the named kernel resolved (one resolver), each target checked
// against what the emulator can honour before anything runs, since both trace on the emulator.
import { resolveRunTargets, type RunTarget } from '../build/run-target.js';
import { WbdiffError } from '../errors.js';
import { emuCannotHonour } from '../runners/emu.js';
import { parsePositiveInt } from './args.js';
import { type MachineFlagValues, machineOverrides } from './machine-flags.js';

export async function resolveTraceTargets(
  command: 'diagnose' | 'parity',
  kernel: string,
  values: MachineFlagValues & { variant?: string[] | undefined; manifest?: string | undefined; timeout?: string | undefined },
  options: { manifestRequired: boolean; why: string },
): Promise<RunTarget[]> {
  const targets = await resolveRunTargets({
    kernel,
    variants: values.variant,
    overrides: machineOverrides(values),
    timeoutMs: parsePositiveInt(values.timeout, '--timeout'),
    patchManifest: { path: values.manifest, required: options.manifestRequired },
  });
  for (const { subject } of targets) {
    const refused = emuCannotHonour(subject);
    if (refused)
      throw new WbdiffError(refused.replace(/: run this kernel on QEMU.*$/, ''), {
        where: `wbdiff ${command} ${subject.id}`,
        hint: `${options.why}; run the kernel with wbdiff run --runner qemu instead`,
      });
  }
  return targets;
}
