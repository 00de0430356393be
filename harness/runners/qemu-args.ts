// The QEMU command line, built by a pure function apart from starting the process (as labgrid does).
import type { RunSpec } from './types.js';
import { DEFAULTS } from './types.js';

export interface QemuInvocation {
  file: string;
  args: string[];
}

export const QEMU_BINARY = 'qemu-system-aarch64';

export function qemuInvocation(spec: RunSpec, extra: { gdbPort?: number; binary?: string } = {}): QemuInvocation {
  const args = [
    '-M', 'virt',
    '-cpu', spec.cpu,
    '-m', `${spec.memoryMiB ?? DEFAULTS.memoryMiB}M`,
    '-nographic',
    '-monitor', 'none',
    // No NIC: the default virtio NIC wants a ROM file that minimal installs lack, and kernels need none.
    '-nic', 'none',
    // PSCI SYSTEM_RESET should end the run like SYSTEM_OFF, not loop.
    '-no-reboot',
    // Exceptions and bad accesses go to stderr, where the runner reads them live.
    '-d', 'int,guest_errors',
    '-kernel', spec.elfPath,
  ];
  if (extra.gdbPort !== undefined) args.push('-gdb', `tcp:127.0.0.1:${extra.gdbPort}`, '-S');
  return { file: extra.binary ?? process.env['WBDIFF_QEMU'] ?? QEMU_BINARY, args };
}
