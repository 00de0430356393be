// The QEMU command line, built by a pure function apart from starting the process (as labgrid does).
import { DETERMINISTIC_ICOUNT, DETERMINISTIC_RTC, type MachineOptions } from '../machine/description.js';
import type { RunSpec } from './types.js';
import { DEFAULTS } from './types.js';

export interface QemuInvocation {
  file: string;
  args: string[];
}

export const QEMU_BINARY = 'qemu-system-aarch64';

/** QEMU's option syntax: a comma inside a value is written twice. */
function optionValue(value: string): string {
  return value.replace(/,/g, ',,');
}

/** `virt[,K=V...]` for -machine. */
export function machineArg(machine: MachineOptions['machine']): string {
  return ['virt', ...Object.entries(machine ?? {}).map(([k, v]) => `${k}=${optionValue(v)}`)].join(',');
}

/** `shift=3,sleep=off`: guest time from executed instructions only (machine/description.ts DETERMINISTIC_ICOUNT). */
export function icountArg(): string {
  return `shift=${DETERMINISTIC_ICOUNT.shift},sleep=${DETERMINISTIC_ICOUNT.sleep}`;
}

export function qemuInvocation(spec: RunSpec, extra: { gdbPort?: number; binary?: string } = {}): QemuInvocation {
  const m = spec.machine ?? {};
  const args = [
    '-M',
    machineArg(m.machine),
    '-cpu',
    spec.cpu,
    '-m',
    `${spec.memoryMiB ?? DEFAULTS.memoryMiB}M`,
    ...(m.smp !== undefined && m.smp !== 1 ? ['-smp', String(m.smp)] : []),
    '-nographic',
    '-monitor',
    'none',
    // No NIC: the default virtio NIC wants a ROM file that minimal installs lack, and kernels need none.
    '-nic',
    'none',
    // PSCI SYSTEM_RESET should end the run like SYSTEM_OFF, not loop.
    '-no-reboot',
    // Exceptions, their returns and bad accesses go to stderr, where the runner reads them live.
    '-d',
    'int,guest_errors',
    '-kernel',
    spec.elfPath,
    ...(m.append !== undefined && m.append !== '' ? ['-append', m.append] : []),
    ...(m.initrd !== undefined ? ['-initrd', m.initrd] : []),
    ...(m.chardevs ?? []).flatMap((c) => ['-chardev', c]),
    ...(m.devices ?? []).flatMap((d) => ['-device', d]),
    ...(m.semihosting ? ['-semihosting-config', 'enable=on,target=native'] : []),
    ...(m.deterministic ? ['-icount', icountArg(), '-rtc', `base=${DETERMINISTIC_RTC.base},clock=${DETERMINISTIC_RTC.clock}`] : []),
    ...(m.qemuArgs ?? []),
  ];
  if (extra.gdbPort !== undefined) args.push('-gdb', `tcp:127.0.0.1:${extra.gdbPort}`, '-S');
  return { file: extra.binary ?? process.env['WBDIFF_QEMU'] ?? QEMU_BINARY, args };
}

/** Whether the kernel can end QEMU with its own status: semihosting SYS_EXIT, or chr-testdev. */
export function kernelSetsExitCode(machine: MachineOptions | undefined): 'semihosting' | 'chr-testdev' | null {
  if (machine?.semihosting) return 'semihosting';
  if ((machine?.chardevs ?? []).some((c) => /^testdev(,|$)/.test(c))) return 'chr-testdev';
  if ((machine?.qemuArgs ?? []).some((a) => /^testdev(,|$)/.test(a))) return 'chr-testdev';
  return null;
}
